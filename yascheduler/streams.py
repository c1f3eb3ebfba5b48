"""Which streamer is the master of each streamed radio."""

from . import models


class Streams:
    def __init__(self, clock):
        self.clock = clock
        self.masters: dict[str, str] = {}

    def load(self) -> None:
        self.masters = {stream.uuid: stream.master for stream in models.RadioStream.objects}

    def master(self, radio_uuid: str) -> str | None:
        return self.masters.get(radio_uuid)

    def radios_of(self, streamer: str) -> list[str]:
        return [uuid for uuid, master in self.masters.items() if master == streamer]

    def start(self, radio_uuid: str, streamer: str) -> None:
        if self.masters.get(radio_uuid) == streamer:
            return
        # Stored first: if the store fails, memory does not claim a master it never saved.
        models.RadioStream.objects(uuid=radio_uuid).update_one(
            upsert=True, set__master=streamer, set__since=self.clock.now()
        )
        self.masters[radio_uuid] = streamer

    def stop(self, radio_uuid: str) -> None:
        self.masters.pop(radio_uuid, None)
        models.RadioStream.objects(uuid=radio_uuid).delete()

    def count(self) -> int:
        return len(self.masters)
