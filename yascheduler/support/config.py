"""Resolving the settings: flags over environment over config file over defaults,
with errors that name the setting, the reason and where the value came from."""

import argparse
import difflib
import os
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .redact import SECRET_SHOWN, redact
from .settings import BY_NAME, SETTINGS, Setting, Settings


def add_arguments(parser: argparse.ArgumentParser, only: Collection[str] | None = None) -> None:
    """A flag per setting (or per setting named in `only`); an unset flag is
    absent from the parsed namespace."""
    for setting in SETTINGS:
        if only is not None and setting.name not in only:
            continue
        help_text = f"{setting.doc} [{setting.env}; default: {setting.shown_default}]"
        parser.add_argument(
            setting.flag,
            dest=setting.name,
            metavar=setting.metavar,
            default=argparse.SUPPRESS,
            help=help_text.replace("%", "%%"),
        )


def resolve(
    args: argparse.Namespace | Mapping[str, Any], environ: Mapping[str, str] = os.environ
) -> Settings:
    """The settings from flags over environment over config file over defaults."""
    flags = _flags(args)
    config = _value(BY_NAME["config"], flags, environ, {})
    config_file = _read_config(config) if config else {}
    values = {setting.name: _value(setting, flags, environ, config_file) for setting in SETTINGS}
    _check_together(values)
    return Settings(**values)


def _check_together(values: Mapping[str, Any]) -> None:
    """Settings that each parse but contradict one another."""
    if values.get("store_listen") is not None and values.get("mongo_url") is not None:
        raise ConfigError(
            "store_listen: serves the embedded store, and mongo_url names another store, so "
            "there is none to serve: give store_listen to the instance that serves the store, "
            "and mongo_url alone to the others"
        )


def _flags(args: argparse.Namespace | Mapping[str, Any]) -> dict[str, Any]:
    """The settings given on the command line (other parsed arguments ignored)."""
    given = vars(args) if isinstance(args, argparse.Namespace) else dict(args)
    return {name: value for name, value in given.items() if name in BY_NAME and value is not None}


def _value(
    setting: Setting,
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    config_file: Mapping[str, tuple[Any, str]],
) -> Any:
    if setting.name in flags:
        raw, source = flags[setting.name], setting.flag
    elif setting.env in environ:
        raw, source = environ[setting.env], setting.env
    elif setting.name in config_file:
        raw, source = config_file[setting.name]
    else:
        return _default(setting, environ)
    try:
        return setting.parse(raw)
    except ValueError as error:
        raise ConfigError(_problem(setting, str(error), raw, source)) from None


def _default(setting: Setting, environ: Mapping[str, str]) -> Any:
    raw = setting.default(environ) if callable(setting.default) else setting.default
    return None if raw is None else setting.parse(raw)


def _problem(setting: Setting, reason: str, raw: Any, source: str) -> str:
    """`name: reason, got 'value' (from source)`, never showing a secret."""
    if setting.secret:
        return f"{setting.name}: {reason} (from {source})"
    shown = redact(raw) if isinstance(raw, str) else raw
    return f"{setting.name}: {reason}, got {shown!r} (from {source})"


def _read_config(config: Path) -> dict[str, tuple[Any, str]]:
    """The file's settings, each with the file name as its source."""
    table = _read_table(config)
    for key in table:
        _check_key(key, config)
    return table


def _read_table(config: Path) -> dict[str, tuple[Any, str]]:
    """Every key of the file, unchecked, with the file name as its source."""
    try:
        with open(config, "rb") as file:
            table = tomllib.load(file)
    except OSError as error:
        raise ConfigError(f"config: cannot read {config}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config: {config} is not valid TOML: {error}") from None
    return {key: (value, str(config)) for key, value in table.items()}


def check_config_file(config: Path) -> tuple[Settings | None, list[str]]:
    """The settings a config file gives on its own (no flags, no environment),
    or every problem found in it: each unknown key and each wrong value."""
    try:
        config_file = _read_table(config)
    except ConfigError as error:
        return None, [str(error)]
    problems = []
    for key in list(config_file):
        try:
            _check_key(key, config)
        except ConfigError as error:
            problems.append(str(error))
            del config_file[key]
    values = {"config": config}
    for setting in SETTINGS:
        if setting.name == "config":
            continue
        try:
            values[setting.name] = _value(setting, {}, {}, config_file)
        except ConfigError as error:
            problems.append(str(error))
    if not problems:
        try:
            _check_together(values)
        except ConfigError as error:
            problems.append(str(error))
    if problems:
        return None, problems
    return Settings(**values), []


def _check_key(key: str, config: Path) -> None:
    setting = BY_NAME.get(key)
    if setting is None:
        near = difflib.get_close_matches(key, BY_NAME, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ConfigError(f"config: {config} has an unknown setting {key!r}{hint}")
    if not setting.in_file:
        raise ConfigError(
            f"config: {config} cannot name {key!r}; use {setting.flag} or {setting.env}"
        )


def format_host_port(address: tuple[str, int]) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def describe(settings: Settings) -> dict[str, Any]:
    """Every setting as it can be logged or shown: no secret, no password."""
    return {setting.name: _shown(setting, getattr(settings, setting.name)) for setting in SETTINGS}


def _shown(setting: Setting, value: Any) -> Any:
    if value is None:
        return None
    if setting.secret:
        return SECRET_SHOWN
    if isinstance(value, tuple):
        return format_host_port(value)
    if isinstance(value, Path):
        return str(value)
    return redact(value) if isinstance(value, str) else value
