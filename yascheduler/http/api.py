"""The HTTP API: the dashboard, health, status, radios, and the admin endpoints
(catalog import, parked outbox items).

A plain WSGI application, served by gevent's WSGI server (`yascheduler
run`) or by gunicorn's gevent worker.
"""

import hmac
import logging
import re
from http import HTTPStatus
from importlib import resources
from typing import NamedTuple
from urllib.parse import parse_qsl

import ujson

from yascheduler.support.errors import (
    CatalogError,
    NotFoundError,
    ParameterError,
    RequestRefused,
    StoreError,
)

from . import outbox as outbox_admin
from . import views

log = logging.getLogger("yascheduler.http")

MAX_CATALOG_BYTES = 64 * 1024 * 1024
MAX_SELECTION_BYTES = 1024 * 1024
MAX_REQUEST_BYTES = 4096
RADIO_PREFIX = "/api/radios/"
STATIC_PREFIX = "/static/"
RADIO_PAGE_PREFIX = "/radios/"  # the dashboard's page of one radio: /radios/<uuid>
# a dashboard asset: one plain file name, nothing that could climb out of the directory
ASSET_NAME = re.compile(r"[A-Za-z0-9_-]+\.(html|css|js|svg|png|ico)")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
}


class Asset(NamedTuple):
    content_type: str
    payload: bytes


class HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str, **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **extra}


def make_app(reader, admin):
    """The WSGI application: `reader` (app.read_model) for what it shows, `admin`
    (app.admin) for what the admin endpoints change."""
    routes = {
        ("GET", "/healthz"): lambda environ: healthz(reader),
        ("GET", "/"): lambda environ: asset("index.html"),
        ("GET", "/api/status"): lambda environ: read(views.status, reader, environ),
        ("GET", "/api/instances"): lambda environ: read(views.instances, reader, environ),
        ("GET", "/api/streamers"): lambda environ: read(views.streamers, reader, environ),
        ("GET", "/api/radios"): lambda environ: read(views.radios, reader, environ),
        ("GET", "/api/listeners"): lambda environ: read(views.listeners, reader, environ),
        ("GET", "/api/events"): lambda environ: read(views.events, reader, environ),
        ("GET", "/api/series"): lambda environ: read(views.series, reader, environ),
        ("GET", "/metrics"): lambda environ: (HTTPStatus.OK, reader.metrics()),
        ("GET", "/api/outbox/parked"): lambda environ: read(views.outbox_parked, reader, environ),
        ("POST", "/api/catalog"): lambda environ: import_catalog(admin, environ),
        ("POST", "/api/outbox/parked/retry"): lambda environ: act_on_parked(
            admin, environ, admin.retry_parked
        ),
        ("POST", "/api/outbox/parked/discard"): lambda environ: act_on_parked(
            admin, environ, admin.discard_parked
        ),
    }
    radio_routes = {
        **RADIO_ROUTES,
        ("POST", "requests"): lambda reader, radio_uuid, environ: request_song(
            admin, radio_uuid, environ
        ),
    }

    def app(environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        try:
            status, body = dispatch(routes, radio_routes, reader, method, path, environ)
        except HttpError as error:
            status, body = error.status, error.body
        except StoreError as error:  # what the answer needs of the store did not come
            log.warning("%s %s: %s", method, path, error)
            status, body = HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(error)}
        return respond(start_response, status, body)

    return app


def dispatch(routes, radio_routes, reader, method: str, path: str, environ):
    handler = routes.get((method, path))
    if handler is not None:
        return handler(environ)
    radio_uuid, _, subpath = path.removeprefix(RADIO_PREFIX).partition("/")
    if path.startswith(RADIO_PREFIX) and radio_uuid:
        handler = radio_routes.get((method, subpath))
        if handler is not None:
            return handler(reader, radio_uuid, environ)
    if (
        method == "GET"
        and path.startswith(RADIO_PAGE_PREFIX)
        and len(path) > len(RADIO_PAGE_PREFIX)
    ):
        return asset("radio.html")  # the page asks the API for the radio, by its own path
    if method == "GET" and path.startswith(STATIC_PREFIX):
        return asset(path[len(STATIC_PREFIX) :])
    if any(route_path == path for _, route_path in routes) or (
        radio_uuid and any(route == subpath for _, route in radio_routes)
    ):
        raise HttpError(HTTPStatus.METHOD_NOT_ALLOWED, f"{method} is not allowed on {path}")
    raise HttpError(HTTPStatus.NOT_FOUND, f"no such endpoint: {path}")


def respond(start_response, status: HTTPStatus, body):
    extra = []
    if isinstance(body, Asset):
        payload, content_type = body.payload, body.content_type
        extra = [("Cache-Control", "no-cache"), ("X-Content-Type-Options", "nosniff")]
    elif isinstance(body, bytes):
        payload, content_type = body, "text/plain; version=0.0.4; charset=utf-8"
    elif isinstance(body, str):
        payload, content_type = body.encode(), "text/plain; charset=utf-8"
    else:
        payload, content_type = ujson.dumps(body).encode(), "application/json"
    start_response(
        f"{status.value} {status.phrase}",
        [("Content-Type", content_type), ("Content-Length", str(len(payload))), *extra],
    )
    return [payload]


def healthz(reader):
    healthy, reason = reader.health()
    return (HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE), reason + "\n"


def read(view, reader, environ, *args):
    """A read-side view (views.py) with the request's query parameters; 400 for a bad one."""
    params = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    try:
        return HTTPStatus.OK, view(reader, *args, params)
    except views.ParameterError as error:
        raise HttpError(HTTPStatus.BAD_REQUEST, str(error), parameter=error.parameter) from None


def asset(name: str):
    """A file of the dashboard, served from the package."""
    match = ASSET_NAME.fullmatch(name)
    if match is None:
        raise HttpError(HTTPStatus.NOT_FOUND, f"no such file: {name}")
    try:
        payload = resources.files(__package__).joinpath("dashboard", name).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise HttpError(HTTPStatus.NOT_FOUND, f"no such file: {name}") from None
    return HTTPStatus.OK, Asset(CONTENT_TYPES[match.group(1)], payload)


def radio(reader, radio_uuid: str):
    view = views.radio(reader, radio_uuid)
    if view is None:
        raise not_here(reader, radio_uuid)
    return HTTPStatus.OK, view


def radio_read(view):
    """A view of one radio (views.py): 404 when it gives None."""

    def handler(reader, radio_uuid: str, environ):
        status, answer = read(view, reader, environ, radio_uuid)
        if answer is None:
            raise not_here(reader, radio_uuid)
        return status, answer

    return handler


def request_song(admin, radio_uuid: str, environ):
    """A listener's request (the web app's): 201, or 409 naming the rule refusing it."""
    require_admin(admin.admin_token, environ)
    body = read_body(environ, MAX_REQUEST_BYTES)
    try:
        return HTTPStatus.CREATED, admin.request_song(radio_uuid, body)
    except ParameterError as error:
        raise HttpError(HTTPStatus.BAD_REQUEST, str(error), parameter=error.parameter) from None
    except NotFoundError as error:
        raise HttpError(HTTPStatus.NOT_FOUND, str(error)) from None
    except RequestRefused as error:
        log.info("radio %s: request refused (%s): %s", radio_uuid, error.rule, error)
        raise HttpError(HTTPStatus.CONFLICT, str(error), rule=error.rule) from None


RADIO_ROUTES = {  # (method, what follows /api/radios/<uuid>/) -> handler
    ("GET", ""): lambda reader, radio_uuid, environ: radio(reader, radio_uuid),
    ("GET", "schedule"): radio_read(views.schedule),
    ("GET", "history"): radio_read(views.history),
    ("GET", "requests"): radio_read(views.requests),
}


def not_here(reader, radio_uuid: str) -> HttpError:
    """A radio this instance does not program: unknown, or programmed by another instance
    (named, with its HTTP address, for the caller to ask it)."""
    owner = reader.radio_owner(radio_uuid)
    if owner is None or owner["instance"] in (None, reader.settings.instance_id):
        return HttpError(HTTPStatus.NOT_FOUND, f"unknown radio {radio_uuid}")
    return HttpError(
        HTTPStatus.NOT_FOUND,
        f"radio {radio_uuid} is not programmed here: its shard is held by instance "
        f"{owner['instance']}",
        owner=owner,
    )


def import_catalog(admin, environ):
    require_admin(admin.admin_token, environ)
    body = read_body(environ, MAX_CATALOG_BYTES)
    try:
        return HTTPStatus.OK, admin.import_catalog(body)
    except CatalogError as error:
        log.warning("catalog import rejected: %s", error)
        raise HttpError(HTTPStatus.BAD_REQUEST, str(error), path=error.path) from None


def act_on_parked(admin, environ, action):
    """Retry or discard the parked items the JSON body names."""
    require_admin(admin.admin_token, environ)
    try:
        named = outbox_admin.parse_selection(read_body(environ, MAX_SELECTION_BYTES))
    except outbox_admin.SelectionError as error:
        raise HttpError(HTTPStatus.BAD_REQUEST, str(error)) from None
    try:
        return HTTPStatus.OK, action(named)
    except NotFoundError as error:
        raise HttpError(HTTPStatus.NOT_FOUND, str(error), **error.details) from None


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
