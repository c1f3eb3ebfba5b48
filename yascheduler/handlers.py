"""What the scheduler does with each streamer message: one method per type.

Messages arrive already decoded and checked (protocol.decode), so every
field a handler reads is there and has its type.
"""

import logging

from . import protocol

log = logging.getLogger("yascheduler.handlers")


class Handlers:
    def __init__(self, service):
        self.service = service
        self.bus = service.bus
        self.streamers = service.streamers
        self.streams = service.streams
        self.listeners = service.listeners
        self.programmer = service.programmer
        self.notifier = service.notifier
        self.authenticator = service.authenticator
        self.users = service.users

    def handle(self, message: dict) -> None:
        if "streamer" in message:
            self.streamers.seen(message["streamer"])
        getattr(self, "on_" + message["type"])(message)

    def reply(self, message: dict, answer: dict) -> None:
        self.bus.publish(message["streamer"], answer)

    def on_test(self, message: dict) -> None:
        self.reply(message, protocol.test_reply(message["info"]))

    def on_register_streamer(self, message: dict) -> None:
        name = message["streamer"]
        if self.streamers.is_registered(name):
            self.service.drop_streamer(name, "registered again")
        self.streamers.register(name)

    def on_unregister_streamer(self, message: dict) -> None:
        name = message["streamer"]
        if self.streamers.is_registered(name) or self.streams.radios_of(name):
            self.service.drop_streamer(name, "unregistered")

    def on_pong(self, message: dict) -> None:
        self.streamers.pong(message["streamer"])

    def on_user_authentication(self, message: dict) -> None:
        def answer(user_id, hd):
            self.reply(message, protocol.user_authentication(user_id, hd, message))

        self.authenticator.authenticate(message, answer)

    def on_play_radio(self, message: dict) -> None:
        name, radio_uuid = message["streamer"], message["radio_uuid"]
        if not self.streamers.is_registered(name):
            self.streamers.register(name)
        if not self.programmer.is_programmed(radio_uuid):
            self.reply(message, protocol.radio_unknown(radio_uuid))
            return
        master = self.streams.master(radio_uuid)
        if master is not None and master != name and self.streamers.is_registered(master):
            self.reply(message, protocol.radio_exists(radio_uuid, master))
            return
        self.streams.start(radio_uuid, name)
        log.info("radio %s streamed by %s", radio_uuid, name)
        self.reply(message, protocol.radio_started(radio_uuid))
        self.service.send_current_plays(radio_uuid)

    def on_stop_radio(self, message: dict) -> None:
        name, radio_uuid = message["streamer"], message["radio_uuid"]
        master = self.streams.master(radio_uuid)
        if master is None and not self.programmer.is_programmed(radio_uuid):
            return
        if master == name:
            self.service.stop_stream(radio_uuid, f"stopped by {name}")
        self.reply(message, protocol.radio_stopped(radio_uuid))

    def on_register_listener(self, message: dict) -> None:
        radio_uuid = message["radio_uuid"]
        if self.streams.master(radio_uuid) is None:
            return
        user_id = message.get("user_id")
        session = self.listeners.open(
            message["session_id"], radio_uuid, user_id, message.get("streamer")
        )
        if session is not None:
            self.notifier.start_listening(radio_uuid, self.users.get(user_id))

    def on_unregister_listener(self, message: dict) -> None:
        closed = self.listeners.close(message["session_id"])
        if closed is not None:
            session, duration = closed
            self.notifier.stop_listening(
                session.radio_uuid, duration, self.users.get(session.user_id)
            )
