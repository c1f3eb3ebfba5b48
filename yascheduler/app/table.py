"""The two-column table the operator commands print (`config check`, `status`)."""


def table(values: dict, indent: str = "") -> str:
    """Two columns, names then values; a nested object's keys as name.key."""
    rows = list(_rows(values, ""))
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join(f"{indent}{name.ljust(width)}  {shown}" for name, shown in rows)


def _rows(values: dict, prefix: str):
    for name, value in values.items():
        if isinstance(value, dict) and value:
            yield from _rows(value, f"{prefix}{name}.")
        else:
            yield prefix + str(name), _shown(value)


def _shown(value) -> str:
    if value is None or value == {}:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value) or "-"
    return str(value)
