"""The catalog schema: every rule of CATALOG.md with its error path.

The file alone is read here (catalog.entries.read_catalog, no store);
test_catalog.py imports through the store, with the rules that need it;
test_catalog_view.py, the stored form and the engine's view.
"""

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.catalogs import every_field_catalog as catalog
from yascheduler.catalog.entries import read_catalog
from yascheduler.support.errors import CatalogError


USER = ("users", 0)
RADIO = ("radios", 0)
PLAYLIST = ("radios", 0, "playlists", 0)
SONG = ("radios", 0, "playlists", 0, "songs", 0)
SHOW = ("radios", 0, "playlists", 1, "show")
JINGLE = ("radios", 0, "jingles", 0)
SCHEDULE = ("radios", 0, "jingles", 0, "schedule", 0)


def path_of(steps) -> str:
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def changed(steps, value=...):
    """A catalog with `value` at `steps`, or without what is there (value left out)."""
    document = catalog()
    *parents, last = steps
    target = document
    for step in parents:
        target = target[step]
    if value is ...:
        del target[last]
    elif isinstance(target, list) and last == len(target):
        target.append(value)
    else:
        target[last] = value
    return document


def problem_of(document) -> tuple[str, str]:
    with pytest.raises(CatalogError) as caught:
        read_catalog(document)
    return caught.value.path, caught.value.problem


# (where, what is put there (... : taken away), the problem)
KINDS = [
    (("users",), {}, "must be a list"),
    (("radios",), "r1", "must be a list"),
    (USER, "mat", "must be an object"),
    (USER + ("id",), "1", "must be an integer"),
    (USER + ("username",), 7, "must be a string"),
    (USER + ("api_key",), 1.5, "must be a string"),
    (USER + ("hd",), 1, "must be true or false"),
    (USER + ("auth_tokens",), "t-1", "must be a list"),
    (USER + ("auth_tokens", 0), None, "must be a string"),  # a null in a list is no absence
    (RADIO, ["r1"], "must be an object"),
    (RADIO + ("uuid",), 1, "must be a string"),
    (RADIO + ("name",), 1, "must be a string"),
    (RADIO + ("ready",), "yes", "must be true or false"),
    (RADIO + ("timezone",), 2, "must be a string"),
    (RADIO + ("deleted",), 1, "must be true or false"),
    (RADIO + ("playlists",), {}, "must be a list"),
    (RADIO + ("jingles",), "j1", "must be a list"),
    (PLAYLIST, 10, "must be an object"),
    (PLAYLIST + ("id",), 10.0, "must be an integer"),
    (PLAYLIST + ("name",), ["default"], "must be a string"),
    (PLAYLIST + ("enabled",), "true", "must be true or false"),
    (PLAYLIST + ("deleted",), "no", "must be true or false"),
    (PLAYLIST + ("show",), "MON 07:00", "must be an object"),
    (PLAYLIST + ("songs",), {"id": 1}, "must be a list"),
    (SONG, [100], "must be an object"),
    (SONG + ("id",), True, "must be an integer"),
    (SONG + ("filename",), 100, "must be a string"),
    (SONG + ("duration",), "212.5", "must be a number"),
    (SONG + ("duration",), False, "must be a number"),
    (SONG + ("artist",), 5, "must be a string"),
    (SONG + ("title",), {"en": "x"}, "must be a string"),
    (SONG + ("frequency",), "high", "must be a number"),
    (SONG + ("enabled",), 1, "must be true or false"),
    (SONG + ("order",), "1", "must be an integer"),
    (SONG + ("last_play_time",), 1700000000, "must be a string"),
    (SHOW + ("days",), "MON", "must be a list"),
    (SHOW + ("time",), 700, "must be a string"),
    (SHOW + ("duration",), "1h", "must be a number"),
    (SHOW + ("random_play",), "no", "must be true or false"),
    (SHOW + ("enabled",), 0, "must be true or false"),
    (SHOW + ("max_wait",), "30", "must be a number"),
    (JINGLE, "j1", "must be an object"),
    (JINGLE + ("id",), 1, "must be a string"),
    (JINGLE + ("name",), 3, "must be a string"),
    (JINGLE + ("filename",), ["j"], "must be a string"),
    (JINGLE + ("duration",), "6", "must be a number"),
    (JINGLE + ("deleted",), "yes", "must be true or false"),
    (JINGLE + ("schedule",), {"type": "hourly"}, "must be a list"),
    (SCHEDULE, "hourly", "must be an object"),
    (SCHEDULE + ("type",), 4, "must be a string"),
    (SCHEDULE + ("range",), "4", "must be an integer"),
]

REQUIRED = [
    USER + ("id",),
    USER + ("username",),
    USER + ("api_key",),
    RADIO + ("uuid",),
    PLAYLIST + ("id",),
    PLAYLIST + ("name",),
    SONG + ("id",),
    SONG + ("filename",),
    SONG + ("duration",),
    SHOW + ("days",),
    SHOW + ("time",),
    SHOW + ("duration",),
    JINGLE + ("id",),
    JINGLE + ("filename",),
    JINGLE + ("duration",),
    SCHEDULE + ("type",),
    SCHEDULE + ("range",),  # between_songs
]

SHOW_PATH = path_of(SHOW)
RULES = [
    # numbers: finite, and their bounds
    (SONG + ("duration",), 0, "must be > 0"),
    (SONG + ("duration",), -1, "must be > 0"),
    (SONG + ("duration",), float("nan"), "must be a finite number"),
    (SONG + ("duration",), float("-inf"), "must be a finite number"),
    (SONG + ("duration",), 10**400, "must be a finite number"),
    (JINGLE + ("duration",), 0.0, "must be > 0"),
    (SONG + ("frequency",), 1.01, "must be between 0 and 1"),
    (SONG + ("frequency",), -0.5, "must be between 0 and 1"),
    (SONG + ("frequency",), float("inf"), "must be a finite number"),
    (SHOW + ("duration",), 0, "must be > 0"),
    (SHOW + ("duration",), 7 * 86400 + 0.5, "must be at most 604800 (7 days)"),
    (SHOW + ("max_wait",), 0, "must be > 0"),
    (SHOW + ("max_wait",), float("nan"), "must be a finite number"),
    (SCHEDULE + ("range",), 0, "must be >= 1"),
    (SCHEDULE + ("range",), -4, "must be >= 1"),
    (SCHEDULE + ("range",), 2**63, "is out of range"),
    (SONG + ("id",), 2**63, "is out of range"),
    (SONG + ("order",), -(2**63) - 1, "is out of range"),
    (PLAYLIST + ("id",), 2**64, "is out of range"),
    (USER + ("id",), 0, "must be from 1 to 2147483647"),
    (USER + ("id",), 2**31, "must be from 1 to 2147483647"),
    (USER + ("id",), -1, "must be from 1 to 2147483647"),
    # texts
    (RADIO + ("uuid",), "", "must not be empty"),
    (USER + ("username",), "\t", "must not be empty"),
    (USER + ("api_key",), " ", "must not be empty"),
    (USER + ("auth_tokens", 0), "", "must not be empty"),
    (PLAYLIST + ("name",), " \n", "must not be empty"),
    (SONG + ("filename",), "", "must not be empty"),
    (JINGLE + ("id",), "", "must not be empty"),
    (JINGLE + ("filename",), "  ", "must not be empty"),
    (RADIO + ("timezone",), "", "must not be empty"),
    (RADIO + ("timezone",), "Europe/Lutece", "unknown time zone 'Europe/Lutece'"),
    (RADIO + ("timezone",), "Europe", "unknown time zone 'Europe'"),
    (SONG + ("title",), "\udc80", "must be valid Unicode text"),
    (SONG + ("artist",), "Daft \ud800Punk", "must be valid Unicode text"),
    (RADIO + ("name",), "\udfff", "must be valid Unicode text"),
    (USER + ("auth_tokens", 0), "t\ud800", "must be valid Unicode text"),
    (JINGLE + ("name",), "\ud83d", "must be valid Unicode text"),
    (
        SONG + ("last_play_time",),
        "2026-13-01T00:00:00",
        "must be an ISO 8601 time, not '2026-13-01T00:00:00'",
    ),
    (SONG + ("last_play_time",), "", "must be an ISO 8601 time, not ''"),
    # shows
    (SHOW + ("days",), [], "must not be empty"),
    (SHOW + ("days", 1), "Fri", "unknown day 'Fri' (one of MON TUE WED THU FRI SAT SUN)"),
    (SHOW + ("days", 1), 5, "unknown day 5 (one of MON TUE WED THU FRI SAT SUN)"),
    (SHOW + ("days", 2), "MON", f"duplicate day 'MON', also at {SHOW_PATH}.days[0]"),
    (SHOW + ("time",), "7:00:00", "must be HH:MM:SS from 00:00:00 to 23:59:59, not '7:00:00'"),
    (SHOW + ("time",), "23:60:00", "must be HH:MM:SS from 00:00:00 to 23:59:59, not '23:60:00'"),
    (SHOW + ("time",), "12:00:60", "must be HH:MM:SS from 00:00:00 to 23:59:59, not '12:00:60'"),
    (SHOW + ("time",), "٠٧:٠٠:٠٠", "must be HH:MM:SS from 00:00:00 to 23:59:59, not '٠٧:٠٠:٠٠'"),
    (
        SHOW + ("time",),
        "07:00:00\n",
        "must be HH:MM:SS from 00:00:00 to 23:59:59, not '07:00:00\\n'",
    ),
    (SHOW + ("start",), "late", "unknown start 'late' (one of soft hard)"),
    (SHOW + ("start",), True, "unknown start True (one of soft hard)"),
    # jingle schedules
    (SCHEDULE + ("type",), "daily", "unknown type 'daily' (one of between_songs hourly)"),
]

# (where, what is put there, the path named, the problem)
UNIQUE = [
    (("users", 1, "id"), 1, "users[1].id", "duplicate user id 1, also at users[0].id"),
    (
        ("users", 1, "username"),
        "mat",
        "users[1].username",
        "duplicate username 'mat', also at users[0].username",
    ),
    (  # a token is a secret: not shown
        ("users", 1, "auth_tokens"),
        ["t-2", "t-1"],
        "users[1].auth_tokens[1]",
        "duplicate auth token, also at users[0].auth_tokens[0]",
    ),
    (("radios", 1, "uuid"), "r1", "radios[1].uuid", "duplicate uuid 'r1', also at radios[0].uuid"),
    (
        ("radios", 0, "playlists", 1, "id"),
        10,
        "radios[0].playlists[1].id",
        "duplicate playlist id 10, also at radios[0].playlists[0].id",
    ),
    (
        ("radios", 1, "playlists", 0, "id"),
        11,
        "radios[1].playlists[0].id",
        "duplicate playlist id 11, also at radios[0].playlists[1].id",
    ),
    (
        ("radios", 0, "playlists", 0, "songs", 1, "id"),
        100,
        "radios[0].playlists[0].songs[1].id",
        "duplicate song id 100, also at radios[0].playlists[0].songs[0].id",
    ),
    (
        ("radios", 1, "playlists", 0, "songs", 0, "id"),
        110,
        "radios[1].playlists[0].songs[0].id",
        "duplicate song id 110, also at radios[0].playlists[1].songs[0].id",
    ),
    (
        ("radios", 0, "jingles", 1),
        {"id": "j1", "filename": "j/2.mp3", "duration": 2},
        "radios[0].jingles[1].id",
        "duplicate jingle id 'j1', also at radios[0].jingles[0].id",
    ),
    (
        ("radios", 0, "jingles", 1),
        {"id": "j1", "deleted": True},
        "radios[0].jingles[1].id",
        "duplicate jingle id 'j1', also at radios[0].jingles[0].id",
    ),
]


@pytest.mark.parametrize("steps, value, expected", KINDS, ids=lambda v: repr(v)[:40])
def test_a_value_of_the_wrong_kind_is_named(steps, value, expected):
    assert problem_of(changed(steps, value)) == (path_of(steps), expected)


@pytest.mark.parametrize("steps", REQUIRED, ids=path_of)
def test_a_required_field_is_named_when_absent_or_null(steps):
    assert problem_of(changed(steps)) == (path_of(steps), "is required")
    assert problem_of(changed(steps, None)) == (path_of(steps), "is required")


@pytest.mark.parametrize("steps, value, expected", RULES, ids=lambda v: repr(v)[:40])
def test_a_value_that_breaks_a_rule_is_named_with_the_rule(steps, value, expected):
    assert problem_of(changed(steps, value)) == (path_of(steps), expected)


@pytest.mark.parametrize("steps, value, where, expected", UNIQUE, ids=lambda v: repr(v)[:40])
def test_a_duplicate_names_both_places(steps, value, where, expected):
    assert problem_of(changed(steps, value)) == (where, expected)


def test_max_wait_is_only_for_a_soft_start():
    document = changed(SHOW + ("start",), "hard")

    assert problem_of(document) == (f"{SHOW_PATH}.max_wait", "only with start 'soft', not 'hard'")

    del document["radios"][0]["playlists"][1]["show"]["max_wait"]
    _, (radio, _) = read_catalog(document)
    assert radio.playlists[1]["show"]["start"] == "hard"


def test_a_deleted_entry_needs_its_id_alone_and_its_other_fields_are_ignored():
    document = catalog()
    document["radios"][1] = {"uuid": "r2", "deleted": True, "name": 5, "playlists": "x"}
    document["radios"][0]["playlists"][1] = {"id": 11, "deleted": True, "songs": 3}
    document["radios"][0]["jingles"].append({"id": "j9", "deleted": True, "duration": -1})

    _, (one, two) = read_catalog(document)

    assert (two.uuid, two.deleted, two.fields, two.playlists) == ("r2", True, {}, [])
    assert one.deleted_playlists == {11} and list(one.playlist_paths) == [10]
    assert one.deleted_jingles == {"j9"}
    for steps, value in [
        (("radios", 1), {"deleted": True}),
        (("radios", 0, "playlists", 1), {"deleted": True}),
        (("radios", 0, "jingles", 1), {"deleted": True}),
    ]:
        assert problem_of(changed(steps, value)) == (
            f"{path_of(steps)}.{_id(steps)}",
            "is required",
        )
    assert problem_of(changed(("radios", 0, "playlists", 2), {"id": 10, "deleted": True})) == (
        "radios[0].playlists[2].id",
        "duplicate playlist id 10, also at radios[0].playlists[0].id",
    )


def _id(steps) -> str:
    return "uuid" if steps[0] == "radios" and len(steps) == 2 else "id"


def test_nulls_are_absent_fields_and_unknown_keys_are_ignored():
    document = catalog()
    song = document["radios"][0]["playlists"][0]["songs"][1]
    song.update(frequency=None, artist=None, enabled=None, bpm=128, mood="\ud800")
    document["radios"][0]["playlists"][1]["show"].update(start=None, random_play=None)
    document["radios"][0].update(ready=None, color="red")
    document["version"] = 3

    users, (one, _) = read_catalog(document)

    assert one.playlists[0]["songs"][1] == {
        "id": 101,
        "filename": "a/101.mp3",
        "duration": 180.0,
        "frequency": 0.5,
        "enabled": True,
    }
    assert one.playlists[1]["show"]["start"] == "soft"
    assert "ready" not in one.fields  # the stored value stays
    assert users[1] == (
        "users[1]",
        {"_id": 2, "username": "eve", "api_key": "k-2", "hd": False, "auth_tokens": []},
    )


def test_the_document_itself_must_be_an_object():
    assert problem_of([catalog()]) == ("", "must be an object")


def test_reading_leaves_the_document_as_it_was():
    document = catalog()
    document["radios"][0]["playlists"][0]["songs"][1]["frequency"] = None
    before = copy.deepcopy(document)

    read_catalog(document)

    assert document == before


# --- any broken catalog: a CatalogError in our words, never a crash --------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "type", "name", "x"]), children, max_size=3)
    ),
    max_leaves=6,
)


def places(value, steps=()):
    """Every (steps) inside a JSON value, itself included."""
    yield steps
    if isinstance(value, dict | list):
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            yield from places(item, (*steps, key))


PLACES = [steps for steps in places(catalog()) if steps]
# how msgspec's own messages start: each must have become ours
MSGSPEC_WORDS = ("Expected", "Object missing", "Invalid", "Number out", "Integer value")


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(PLACES), json_values)
def test_a_broken_catalog_is_refused_in_our_words(steps, value):
    try:
        read_catalog(changed(steps, value))
    except CatalogError as error:
        assert error.path.startswith(("users", "radios")), error
        assert not error.problem.startswith(MSGSPEC_WORDS), error


def test_a_value_not_equal_to_itself_is_refused_not_read_again_for_ever():
    # NaN != NaN: a refused entry is read again only when it held a null
    with pytest.raises(CatalogError) as refused:
        read_catalog(changed(JINGLE, float("nan")))

    assert refused.value.path == "radios[0].jingles[0]"
