"""Log lines: text for a terminal, or one JSON object a line for a log pipeline.

`yascheduler run` and the gunicorn worker configure logging the same way,
from the `log_level` and `log_format` settings; under gunicorn its own
records (gunicorn.error) go through the same handler and format.
"""

import json
import logging
import logging.config
from datetime import UTC, datetime

import ujson

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message"} and "exception" if any, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        try:
            return ujson.dumps(entry, ensure_ascii=False, escape_forward_slashes=False)
        except (UnicodeEncodeError, OverflowError, ValueError):
            # A lone surrogate (from a rejected message) is not UTF-8; json escapes it.
            return json.dumps(entry)


def utc_iso(timestamp: float) -> str:
    """2024-05-01T12:00:00.123Z"""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def dict_config(level: str, log_format: str) -> dict:
    """The logging.config.dictConfig of both entry points (gunicorn's logconfig_dict).

    One handler, on standard error, at the root; gunicorn's loggers hand
    their records to it instead of keeping their own.
    """
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"yascheduler": {"()": formatter, "log_format": log_format}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "yascheduler",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            # Like `yascheduler run`, no access log (gunicorn turns it on with a log config).
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            # urllib3 logs request URLs at DEBUG, and web app URLs carry the scheduler key.
            "urllib3": {"level": max(logging.WARNING, logging.getLevelName(level))},
        },
    }


def configure(level: str, log_format: str) -> None:
    logging.config.dictConfig(dict_config(level, log_format))
