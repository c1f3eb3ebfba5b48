"""The settings as documentation: the README's table and the example config file."""

import json
from typing import Any

from .settings import SETTINGS, Setting


def markdown_table() -> str:
    """The README's settings table."""
    lines = [
        "| setting | flag | environment | default | description |",
        "|---|---|---|---|---|",
    ]
    for setting in SETTINGS:
        cells = (
            f"`{setting.name}`",
            f"`{setting.flag}`",
            f"`{setting.env}`",
            _markdown_default(setting),
            setting.doc.replace("|", "\\|"),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _markdown_default(setting: Setting) -> str:
    if setting.default is None or setting.default_text is not None:
        return setting.shown_default
    return f"`{setting.shown_default}`"


def example_toml() -> str:
    """The example config file: every file setting, commented out."""
    blocks = [EXAMPLE_HEADER]
    for setting in SETTINGS:
        if setting.in_file:
            blocks.append(_example_block(setting))
    return "\n".join(blocks)


EXAMPLE_HEADER = """\
# yascheduler configuration, TOML.
#
# Read with --config PATH or YASCHEDULER_CONFIG=PATH. Every setting is
# optional: a command-line flag beats an environment variable, which beats
# this file, which beats the default. Uncomment a line to change a setting.
# Keep secrets in a file that is not committed, or in the environment.
"""


def _example_block(setting: Setting) -> str:
    shown = setting.default if setting.example is None else setting.example
    return (
        f"# {setting.doc}\n"
        f"# {setting.flag}, {setting.env}; default: {setting.shown_default}\n"
        f"# {setting.name} = {_toml_literal(shown)}\n"
    )


def _toml_literal(value: Any) -> str:
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string: same quotes and escapes.
        return json.dumps(value)
    return repr(value)
