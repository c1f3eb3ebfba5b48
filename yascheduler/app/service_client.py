"""The operator commands' client of a running scheduler's HTTP API: one place for
the request, its timeout, the admin token, and what is printed when it fails."""

import sys

import requests

TIMEOUT = 60


def call(
    url: str, method: str, path: str, admin_token: str | None = None, **request
) -> dict | None:
    """The scheduler's JSON answer; None, the reason printed, if it gave none or refused."""
    headers = dict(request.pop("headers", {}))
    if admin_token:
        headers["Authorization"] = "Bearer " + admin_token
    try:
        response = requests.request(
            method, url.rstrip("/") + path, timeout=TIMEOUT, headers=headers, **request
        )
    except requests.RequestException as error:
        print(f"yascheduler: {url} unreachable: {error}", file=sys.stderr)
        return None
    if response.status_code != 200:
        print(
            f"yascheduler: {path} refused ({response.status_code}): {error_text(response)}",
            file=sys.stderr,
        )
        return None
    try:
        return response.json()
    except ValueError:
        print(f"yascheduler: {path} did not answer JSON: {response.text[:200]!r}", file=sys.stderr)
        return None


def error_text(response: requests.Response) -> str:
    try:
        return response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return response.text[:500]


def admin_token_missing(token: str | None) -> bool:
    """True, having said so, when a command that changes something has no admin token."""
    if token:
        return False
    print("yascheduler: --admin-token or YASCHEDULER_ADMIN_TOKEN is required", file=sys.stderr)
    return True
