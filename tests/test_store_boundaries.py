"""Who may touch the store: the driver only inside store/, and the engine and the
catalog not even that (they are given what they need: TimelineStore, CatalogStore)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "yascheduler"
DRIVERS = ("pymongo", "mongoengine", "mongomock", "bson")


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, absolute, TYPE_CHECKING imports included."""
    package = ".".join(("yascheduler", *path.relative_to(PACKAGE).parent.parts))
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def modules_of(part: str) -> list[Path]:
    return sorted((PACKAGE / part).rglob("*.py"))


def test_the_relative_imports_are_resolved():
    imports = imported_modules(PACKAGE / "programming" / "engine.py")
    assert "yascheduler.programming.events" in imports
    assert "yascheduler.support.turns" in imports


@pytest.mark.parametrize("part", ["programming", "catalog"])
def test_the_engine_and_the_catalog_import_no_store_streaming_or_webapp(part):
    forbidden = ("yascheduler.store", "yascheduler.streaming", "yascheduler.webapp", *DRIVERS)
    for path in modules_of(part):
        for module in imported_modules(path):
            assert not module.startswith(forbidden), f"{path.name} imports {module}"


def test_only_the_store_imports_the_driver():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "store":
            continue
        drivers = {module for module in imported_modules(path) if module.startswith(DRIVERS)}
        assert not drivers, f"{path.relative_to(PACKAGE)} imports {sorted(drivers)}"
