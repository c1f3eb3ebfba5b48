"""Catalogs for tests, built in code so each test says what it needs."""


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
