"""The house of STYLE.md, checked from the code itself: which part may import which,
no import cycle, and no file over 400 lines."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "yascheduler"
MAX_LINES = 400

# What each part may import of the others (support/ is for everyone). Only app/
# imports everything; the engine and the catalog know nothing of storage, streamers
# or the web app, and are given what they need; the HTTP side reads snapshots it is
# given. Streaming and the web app name the repositories they are given (types).
ALLOWED = {
    "support": set(),
    "catalog": set(),
    "programming": {"catalog"},
    "store": {"catalog"},
    "streaming": {"programming", "store"},
    "webapp": {"store"},
    "http": set(),
    "tools": set(),
    "fleet": set(),
    "app": {"catalog", "programming", "store", "streaming", "webapp", "http", "tools", "fleet"},
}


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported(name: str, path: Path) -> set[str]:
    """The yascheduler modules a module imports, anywhere in it (lazy imports count)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    known = modules()
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            submodules = {f"{module}.{alias.name}" for alias in node.names} & known.keys()
            names.update(submodules)
            if len(submodules) < len(node.names):  # names defined in the module itself
                names.add(module)
    return {n for n in names if n in known and n != name}


def part_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ALLOWED) else None


def test_every_module_is_in_a_part_of_the_house():
    loose = [
        name
        for name in modules()
        if name not in ("yascheduler", "yascheduler.__main__") and part_of(name) is None
    ]
    assert loose == []


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_a_part_imports_only_what_the_house_allows(part):
    forbidden = []
    for name, path in modules().items():
        if part_of(name) != part:
            continue
        for target in imported(name, path):
            other = part_of(target)
            if other not in (None, part, "support") and other not in ALLOWED[part]:
                forbidden.append(f"{name} imports {target}")
    assert forbidden == []


def test_no_import_cycle():
    graph = {name: imported(name, path) for name, path in modules().items()}
    cycles = []
    state: dict[str, str] = {}

    def visit(name, trail):
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(trail[trail.index(target) :] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_file_is_over_400_lines():
    files = [*PACKAGE.rglob("*.py"), *ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/*.py")]
    files.append(ROOT / "fabfile.py")
    long = {
        str(path.relative_to(ROOT)): count
        for path in files
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
