"""Catalogs for tests, built in code so each test says what it needs."""

from datetime import UTC, datetime


def songs(prefix: str, first_id: int, count: int, duration: float = 30.0) -> list[dict]:
    return [
        {
            "id": first_id + i,
            "filename": f"{prefix}/{first_id + i}.mp3",
            "duration": duration,
            "artist": f"{prefix} artist {i}",
            "title": f"{prefix} title {i}",
        }
        for i in range(count)
    ]


def radio(
    uuid: str, first_song_id: int, playlist_id: int, duration: float = 30.0, **fields
) -> dict:
    return {
        "uuid": uuid,
        "name": uuid.title(),
        "playlists": [
            {"id": playlist_id, "name": "default", "songs": songs(uuid, first_song_id, 6, duration)}
        ],
        **fields,
    }


USERS = [
    {"id": 1, "username": "mat", "api_key": "key-mat", "hd": True, "auth_tokens": ["tok-mat"]},
    {"id": 2, "username": "zoe", "api_key": "key-zoe", "auth_tokens": ["tok-zoe"]},
]


def basic_catalog(duration: float = 30.0) -> dict:
    return {
        "users": USERS,
        "radios": [
            radio("radio-1", 100, 10, duration),
            radio("radio-2", 200, 20, duration),
            radio("radio-off", 300, 30, duration, ready=False),
        ],
    }


def every_field_catalog() -> dict:
    """A valid catalog with one of every field of CATALOG.md (test_catalog_schema breaks
    each in turn)."""
    return {
        "users": [
            {"id": 1, "username": "mat", "api_key": "k-1", "hd": True, "auth_tokens": ["t-1"]},
            {"id": 2, "username": "eve", "api_key": "k-2"},
        ],
        "radios": [
            {
                "uuid": "r1",
                "name": "Radio One",
                "ready": True,
                "timezone": "Europe/Paris",
                "playlists": [
                    {
                        "id": 10,
                        "name": "default",
                        "enabled": True,
                        "songs": [
                            {
                                "id": 100,
                                "filename": "a/100.mp3",
                                "duration": 212.5,
                                "artist": "Daft Punk",
                                "title": "Aerodynamic",
                                "frequency": 0.5,
                                "enabled": True,
                                "last_play_time": "2026-11-27T21:04:00+00:00",
                            },
                            {"id": 101, "filename": "a/101.mp3", "duration": 180},
                        ],
                    },
                    {
                        "id": 11,
                        "name": "Morning",
                        "show": {
                            "days": ["MON", "FRI"],
                            "time": "07:00:00",
                            "duration": 3600,
                            "random_play": False,
                            "enabled": True,
                            "start": "soft",
                            "max_wait": 30,
                        },
                        "songs": [
                            {"id": 110, "filename": "m/110.mp3", "duration": 150, "order": 1}
                        ],
                    },
                ],
                "jingles": [
                    {
                        "id": "j1",
                        "name": "Station ID",
                        "filename": "j/id.mp3",
                        "duration": 6,
                        "schedule": [{"type": "between_songs", "range": 4}, {"type": "hourly"}],
                    }
                ],
            },
            {
                "uuid": "r2",
                "playlists": [
                    {
                        "id": 20,
                        "name": "default",
                        "songs": [{"id": 200, "filename": "b/200.mp3", "duration": 240}],
                    }
                ],
            },
        ],
    }


# its song 100's last_play_time, as epoch seconds
EVERY_FIELD_LAST_PLAY = datetime(2026, 11, 27, 21, 4, tzinfo=UTC).timestamp()
