"""The HTTP API: health, status, radios, and the catalog import endpoint.

A plain WSGI application, served by gevent's WSGI server (`yascheduler
run`) or by gunicorn's gevent worker.
"""

import hmac
import logging
from http import HTTPStatus

import ujson

from . import catalog
from .errors import CatalogError

log = logging.getLogger("yascheduler.http")

MAX_CATALOG_BYTES = 64 * 1024 * 1024
RADIO_PREFIX = "/api/radios/"


class HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str, **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **extra}


def make_app(service):
    routes = {
        ("GET", "/healthz"): lambda environ: healthz(service),
        ("GET", "/api/status"): lambda environ: (HTTPStatus.OK, service.status()),
        ("GET", "/metrics"): lambda environ: metrics(service),
        ("POST", "/api/catalog"): lambda environ: import_catalog(service, environ),
    }

    def app(environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        try:
            status, body = dispatch(routes, service, method, path, environ)
        except HttpError as error:
            status, body = error.status, error.body
        return respond(start_response, status, body)

    return app


def dispatch(routes, service, method: str, path: str, environ):
    handler = routes.get((method, path))
    if handler is not None:
        return handler(environ)
    if method == "GET" and path.startswith(RADIO_PREFIX) and len(path) > len(RADIO_PREFIX):
        return radio(service, path[len(RADIO_PREFIX) :])
    if any(route_path == path for _, route_path in routes):
        raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed on {path}")
    raise HttpError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")


def respond(start_response, status: HTTPStatus, body):
    if isinstance(body, bytes):
        payload, content_type = body, "text/plain; version=0.0.4; charset=utf-8"
    elif isinstance(body, str):
        payload, content_type = body.encode(), "text/plain; charset=utf-8"
    else:
        payload, content_type = ujson.dumps(body).encode(), "application/json"
    start_response(
        f"{status.value} {status.phrase}",
        [("Content-Type", content_type), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def healthz(service):
    healthy, reason = service.healthy()
    return (HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE), reason + "\n"


def metrics(service):
    return HTTPStatus.OK, service.metrics.exposition()


def radio(service, radio_uuid: str):
    view = service.radio_view(radio_uuid)
    if view is None:
        raise HttpError(HTTPStatus.NOT_FOUND, f"unknown radio {radio_uuid}")
    return HTTPStatus.OK, view


def import_catalog(service, environ):
    require_admin(service.settings.admin_token, environ)
    body = read_body(environ, MAX_CATALOG_BYTES)
    try:
        change = catalog.import_catalog(body)
    except CatalogError as error:
        log.warning("catalog import rejected: %s", error)
        raise HttpError(HTTPStatus.BAD_REQUEST, str(error), path=error.path) from None
    service.apply_catalog(change)
    return HTTPStatus.OK, {
        "radios": [radio.uuid for radio in change.radios],
        "deleted": change.deleted,
        "users": change.users,
    }


def require_admin(admin_token: str | None, environ) -> None:
    if not admin_token:
        raise HttpError(HTTPStatus.FORBIDDEN, "this endpoint is off: no admin token is configured")
    given = environ.get("HTTP_AUTHORIZATION", "")
    expected = "Bearer " + admin_token
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HttpError(
            HTTPStatus.UNAUTHORIZED, "a valid 'Authorization: Bearer <admin token>' is required"
        )


def read_body(environ, limit: int) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise HttpError(HTTPStatus.BAD_REQUEST, "bad Content-Length") from None
    if length > limit:
        raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {limit} bytes")
    return environ["wsgi.input"].read(length)
