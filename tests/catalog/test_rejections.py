"""A catalog that breaks a rule of CATALOG.md is refused, naming the entry, and changes
nothing."""

import pytest


from tests.catalog.conftest import small_catalog, stored_documents, rejection


# --- rejections -------------------------------------------------------------------------


def set_in(path, value):
    """A change to small_catalog(): put `value` at `path` (keys and indexes)."""

    def change(catalog):
        *parents, last = path
        target = catalog
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def remove(path):
    def change(catalog):
        *parents, last = path
        target = catalog
        for key in parents:
            target = target[key]
        del target[last]

    return change


def append_to(path, value):
    def change(catalog):
        target = catalog
        for key in path:
            target = target[key]
        target.append(value)

    return change


SONG = ("radios", 0, "playlists", 0, "songs", 0)
SHOW = ("radios", 0, "playlists", 1, "show")
JINGLE = ("radios", 0, "jingles", 0)
SONG_PATH = "radios[0].playlists[0].songs[0]"
SHOW_PATH = "radios[0].playlists[1].show"

REJECTED = [
    # top level
    (set_in(("users",), {}), "users", "must be a list"),
    (set_in(("radios",), "r1"), "radios", "must be a list"),
    (set_in(("radios", 1), ["r2"]), "radios[1]", "must be an object"),
    # users
    (remove(("users", 0, "id")), "users[0].id", "is required"),
    (set_in(("users", 0, "id"), "1"), "users[0].id", "must be an integer"),
    (set_in(("users", 0, "id"), True), "users[0].id", "must be an integer"),
    (set_in(("users", 0, "id"), 1.0), "users[0].id", "must be an integer"),
    (set_in(("users", 0, "id"), 2**63), "users[0].id", "must be from 1 to 2147483647"),
    (set_in(("users", 0, "id"), 0), "users[0].id", "must be from 1 to 2147483647"),
    (set_in(("users", 1, "id"), -5), "users[1].id", "must be from 1 to 2147483647"),
    (set_in(("users", 1, "id"), 2**31), "users[1].id", "must be from 1 to 2147483647"),
    (set_in(("users", 1, "id"), 1), "users[1].id", "duplicate user id 1, also at users[0].id"),
    (set_in(("users", 0, "username"), ""), "users[0].username", "must not be empty"),
    (
        set_in(("users", 1, "username"), "mat"),
        "users[1].username",
        "duplicate username 'mat', also at users[0].username",
    ),
    (remove(("users", 0, "api_key")), "users[0].api_key", "is required"),
    (set_in(("users", 0, "api_key"), 5), "users[0].api_key", "must be a string"),
    (set_in(("users", 0, "hd"), "yes"), "users[0].hd", "must be true or false"),
    (set_in(("users", 0, "auth_tokens"), "tok-a"), "users[0].auth_tokens", "must be a list"),
    (set_in(("users", 0, "auth_tokens", 0), 3), "users[0].auth_tokens[0]", "must be a string"),
    (
        set_in(("users", 1, "auth_tokens"), ["tok-b", "tok-a"]),
        "users[1].auth_tokens[1]",
        "duplicate auth token, also at users[0].auth_tokens[0]",
    ),
    # radios
    (remove(("radios", 0, "uuid")), "radios[0].uuid", "is required"),
    (set_in(("radios", 0, "uuid"), " "), "radios[0].uuid", "must not be empty"),
    (
        set_in(("radios", 1, "uuid"), "r1"),
        "radios[1].uuid",
        "duplicate uuid 'r1', also at radios[0].uuid",
    ),
    (set_in(("radios", 0, "name"), 1), "radios[0].name", "must be a string"),
    (set_in(("radios", 0, "ready"), 1), "radios[0].ready", "must be true or false"),
    (set_in(("radios", 0, "deleted"), "yes"), "radios[0].deleted", "must be true or false"),
    (
        set_in(("radios", 0, "timezone"), "Mars/Base"),
        "radios[0].timezone",
        "unknown time zone 'Mars/Base'",
    ),
    (
        set_in(("radios", 0, "timezone"), "Europe"),
        "radios[0].timezone",
        "unknown time zone 'Europe'",
    ),
    (
        set_in(("radios", 0, "timezone"), "../etc"),
        "radios[0].timezone",
        "unknown time zone '../etc'",
    ),
    (set_in(("radios", 0, "playlists"), {}), "radios[0].playlists", "must be a list"),
    # playlists
    (remove(("radios", 0, "playlists", 1, "id")), "radios[0].playlists[1].id", "is required"),
    (
        set_in(("radios", 0, "playlists", 1, "id"), "11"),
        "radios[0].playlists[1].id",
        "must be an integer",
    ),
    (
        set_in(("radios", 0, "playlists", 1, "id"), 10),
        "radios[0].playlists[1].id",
        "duplicate playlist id 10, also at radios[0].playlists[0].id",
    ),
    (
        set_in(("radios", 1, "playlists", 0, "id"), 11),
        "radios[1].playlists[0].id",
        "duplicate playlist id 11, also at radios[0].playlists[1].id",
    ),
    (remove(("radios", 0, "playlists", 1, "name")), "radios[0].playlists[1].name", "is required"),
    (
        set_in(("radios", 0, "playlists", 0, "enabled"), "no"),
        "radios[0].playlists[0].enabled",
        "must be true or false",
    ),
    (
        set_in(("radios", 0, "playlists", 1, "deleted"), 1),
        "radios[0].playlists[1].deleted",
        "must be true or false",
    ),
    (
        append_to(("radios", 0, "playlists"), {"deleted": True}),
        "radios[0].playlists[2].id",
        "is required",
    ),
    (
        append_to(("radios", 0, "playlists"), {"id": 10, "deleted": True}),
        "radios[0].playlists[2].id",
        "duplicate playlist id 10, also at radios[0].playlists[0].id",
    ),
    (
        set_in(("radios", 0, "playlists", 1, "name"), "default"),
        "radios[0].playlists[1].name",
        "radio 'r1' would have 2 playlists named 'default' (ids 10, 11)",
    ),
    # shows
    (set_in(SHOW, []), SHOW_PATH, "must be an object"),
    (remove(SHOW + ("days",)), SHOW_PATH + ".days", "is required"),
    (set_in(SHOW + ("days",), []), SHOW_PATH + ".days", "must not be empty"),
    (set_in(SHOW + ("days",), "MON"), SHOW_PATH + ".days", "must be a list"),
    (
        set_in(SHOW + ("days",), ["MON", "mon"]),
        SHOW_PATH + ".days[1]",
        "unknown day 'mon' (one of MON TUE WED THU FRI SAT SUN)",
    ),
    (
        set_in(SHOW + ("days",), ["MON", "MON"]),
        SHOW_PATH + ".days[1]",
        "duplicate day 'MON', also at " + SHOW_PATH + ".days[0]",
    ),
    (remove(SHOW + ("time",)), SHOW_PATH + ".time", "is required"),
    (
        set_in(SHOW + ("time",), "24:00:00"),
        SHOW_PATH + ".time",
        "must be HH:MM:SS from 00:00:00 to 23:59:59, not '24:00:00'",
    ),
    (
        set_in(SHOW + ("time",), "7:00"),
        SHOW_PATH + ".time",
        "must be HH:MM:SS from 00:00:00 to 23:59:59, not '7:00'",
    ),
    (set_in(SHOW + ("time",), 700), SHOW_PATH + ".time", "must be a string"),
    (set_in(SHOW + ("duration",), 0), SHOW_PATH + ".duration", "must be > 0"),
    (
        set_in(SHOW + ("duration",), 604801),
        SHOW_PATH + ".duration",
        "must be at most 604800 (7 days)",
    ),
    (set_in(SHOW + ("random_play",), "no"), SHOW_PATH + ".random_play", "must be true or false"),
    (set_in(SHOW + ("enabled",), 0), SHOW_PATH + ".enabled", "must be true or false"),
    # songs
    (remove(SONG + ("id",)), SONG_PATH + ".id", "is required"),
    (
        set_in(("radios", 1, "playlists", 0, "songs", 0, "id"), 110),
        "radios[1].playlists[0].songs[0].id",
        "duplicate song id 110, also at radios[0].playlists[1].songs[0].id",
    ),
    (remove(SONG + ("filename",)), SONG_PATH + ".filename", "is required"),
    (set_in(SONG + ("filename",), ""), SONG_PATH + ".filename", "must not be empty"),
    (remove(SONG + ("duration",)), SONG_PATH + ".duration", "is required"),
    (set_in(SONG + ("duration",), 0), SONG_PATH + ".duration", "must be > 0"),
    (set_in(SONG + ("duration",), -3.5), SONG_PATH + ".duration", "must be > 0"),
    (set_in(SONG + ("duration",), "200"), SONG_PATH + ".duration", "must be a number"),
    (set_in(SONG + ("duration",), True), SONG_PATH + ".duration", "must be a number"),
    (
        set_in(SONG + ("duration",), float("nan")),
        SONG_PATH + ".duration",
        "must be a finite number",
    ),
    (
        set_in(SONG + ("duration",), float("inf")),
        SONG_PATH + ".duration",
        "must be a finite number",
    ),
    (set_in(SONG + ("duration",), 10**400), SONG_PATH + ".duration", "must be a finite number"),
    (set_in(SONG + ("artist",), 5), SONG_PATH + ".artist", "must be a string"),
    (set_in(SONG + ("title",), ["x"]), SONG_PATH + ".title", "must be a string"),
    (set_in(SONG + ("title",), "a\ud800b"), SONG_PATH + ".title", "must be valid Unicode text"),
    (set_in(SONG + ("frequency",), 1.5), SONG_PATH + ".frequency", "must be between 0 and 1"),
    (set_in(SONG + ("frequency",), -0.1), SONG_PATH + ".frequency", "must be between 0 and 1"),
    (set_in(SONG + ("enabled",), "true"), SONG_PATH + ".enabled", "must be true or false"),
    (set_in(SONG + ("order",), 1.5), SONG_PATH + ".order", "must be an integer"),
    (
        set_in(SONG + ("last_play_time",), "yesterday"),
        SONG_PATH + ".last_play_time",
        "must be an ISO 8601 time, not 'yesterday'",
    ),
    (
        set_in(SONG + ("last_play_time",), 1700000000),
        SONG_PATH + ".last_play_time",
        "must be a string",
    ),
    # jingles
    (set_in(JINGLE + ("id",), ""), "radios[0].jingles[0].id", "must not be empty"),
    (set_in(JINGLE + ("id",), 1), "radios[0].jingles[0].id", "must be a string"),
    (
        append_to(("radios", 0, "jingles"), {"id": "j1", "filename": "j/x.mp3", "duration": 2}),
        "radios[0].jingles[1].id",
        "duplicate jingle id 'j1', also at radios[0].jingles[0].id",
    ),
    (
        append_to(("radios", 0, "jingles"), {"id": "j1", "deleted": True}),
        "radios[0].jingles[1].id",
        "duplicate jingle id 'j1', also at radios[0].jingles[0].id",
    ),
    (
        append_to(("radios", 0, "jingles"), {"deleted": True}),
        "radios[0].jingles[1].id",
        "is required",
    ),
    (set_in(JINGLE + ("deleted",), "yes"), "radios[0].jingles[0].deleted", "must be true or false"),
    (set_in(JINGLE + ("name",), 3), "radios[0].jingles[0].name", "must be a string"),
    (remove(JINGLE + ("filename",)), "radios[0].jingles[0].filename", "is required"),
    (set_in(JINGLE + ("duration",), 0), "radios[0].jingles[0].duration", "must be > 0"),
    (
        set_in(JINGLE + ("schedule",), {"type": "hourly"}),
        "radios[0].jingles[0].schedule",
        "must be a list",
    ),
    (
        set_in(JINGLE + ("schedule", 1), {"type": "weekly"}),
        "radios[0].jingles[0].schedule[1].type",
        "unknown type 'weekly' (one of between_songs hourly)",
    ),
    (set_in(JINGLE + ("schedule", 1), {}), "radios[0].jingles[0].schedule[1].type", "is required"),
    (
        set_in(JINGLE + ("schedule", 0), {"type": "between_songs"}),
        "radios[0].jingles[0].schedule[0].range",
        "is required",
    ),
    (
        set_in(JINGLE + ("schedule", 0, "range"), 0),
        "radios[0].jingles[0].schedule[0].range",
        "must be >= 1",
    ),
    (
        set_in(JINGLE + ("schedule", 0, "range"), 2.5),
        "radios[0].jingles[0].schedule[0].range",
        "must be an integer",
    ),
]


@pytest.mark.parametrize(
    "change, path, problem", REJECTED, ids=[f"{path}: {problem}" for _, path, problem in REJECTED]
)
def test_broken_entry_is_rejected_with_its_path(db, change, path, problem):
    catalog = small_catalog()
    change(catalog)

    error = rejection(catalog)

    assert (error.path, error.problem) == (path, problem)
    assert str(error) == f"{path}: {problem}"
    assert stored_documents() == {"users": [], "radios": []}


def test_a_deleted_entry_still_needs_a_uuid(db):
    error = rejection({"radios": [{"deleted": True}]})

    assert (error.path, error.problem) == ("radios[0].uuid", "is required")
