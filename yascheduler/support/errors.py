"""The exceptions yascheduler raises on purpose."""


class YaschedulerError(Exception):
    """Base of every error yascheduler raises on purpose."""


class ConfigError(YaschedulerError):
    """A setting has a wrong value; the message names the setting."""


class CatalogError(YaschedulerError):
    """A catalog entry breaks a rule; `path` names the entry (radios[3].name)."""

    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


class MessageError(YaschedulerError):
    """A streamer message is rejected; `reason` is a short metric label."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class StoreError(YaschedulerError):
    """The document store failed: the message says what was being done, and why."""


class NotFoundError(YaschedulerError):
    """What a request names does not exist; `details` go with the answer."""

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.details = details


class ParameterError(YaschedulerError, ValueError):
    """A request's parameter cannot be understood, or asks too much; `parameter` names it
    (the HTTP API answers 400)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter


class RequestRefused(YaschedulerError):
    """A listener request is refused by a rule (programming/requests.py RULES); `rule`
    names it (the HTTP API answers 409)."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
