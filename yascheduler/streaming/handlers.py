"""What the scheduler does with each streamer message: one method per type.

A message's way reads straight down: the bus hands its bytes to
`receive`, which decodes and checks them (protocol.decode), so every field
a handler reads is there and has its type; the handler acts through the
stream rules (stations.Stations) and liveness (liveness.Streamers), and
replies on the bus.
"""

import logging

from yascheduler.support.errors import MessageError

from . import protocol

log = logging.getLogger("yascheduler.handlers")


class Handlers:
    def __init__(self, bus, streamers, stations, authenticator, metrics, acts_on=None):
        self.bus = bus
        # whether this instance handles the message, among several (fleet/dispatch.py)
        self.acts_on = acts_on or (lambda message: True)
        self.streamers = streamers
        self.stations = stations
        self.authenticator = authenticator
        self.metrics = metrics

    def receive(self, raw: bytes) -> None:
        """A message as it came from Redis: checked, counted, handled; a bad one dropped."""
        try:
            message = protocol.decode(raw)
        except MessageError as error:
            self.metrics.rejected[error.reason] += 1
            log.warning("message rejected (%s): %s", error.reason, error.detail)
            return
        self.metrics.received[message["type"]] += 1
        try:
            self.handle(message)
        except Exception:
            # One message must not take the service down; the traceback says why it failed.
            self.metrics.rejected["handler_error"] += 1
            log.exception("handling %s failed", message["type"])

    def handle(self, message: dict) -> None:
        if "streamer" in message:
            self.streamers.seen(message["streamer"])
        if message["type"] == "play_radio" and not self.streamers.is_registered(
            message["streamer"]
        ):  # on every instance: the streamer's owner pings it, whoever owns the radio
            self.streamers.register(message["streamer"])
        if not self.acts_on(message):
            return
        getattr(self, "on_" + message["type"])(message)

    def act(self, message: dict) -> None:
        """Act on a message held back (fleet: its radio was being handed here); a failure
        is logged, as in `receive`."""
        try:
            getattr(self, "on_" + message["type"])(message)
        except Exception:
            self.metrics.rejected["handler_error"] += 1
            log.exception("handling %s failed", message["type"])

    def reply(self, message: dict, answer: dict) -> None:
        self.bus.publish(message["streamer"], answer)

    def on_test(self, message: dict) -> None:
        self.reply(message, protocol.test_reply(message["info"]))

    def on_register_streamer(self, message: dict) -> None:
        name = message["streamer"]
        if self.streamers.is_registered(name):
            self.stations.drop_streamer(name, "registered again")
        self.streamers.register(name)

    def on_unregister_streamer(self, message: dict) -> None:
        name = message["streamer"]
        if self.streamers.is_registered(name) or self.stations.is_master_of_any(name):
            self.stations.drop_streamer(name, "unregistered")

    def on_pong(self, message: dict) -> None:
        self.streamers.pong(message["streamer"])

    def on_user_authentication(self, message: dict) -> None:
        def answer(user_id, hd):
            self.reply(message, protocol.user_authentication(user_id, hd, message))

        self.authenticator.authenticate(message, answer)

    def on_play_radio(self, message: dict) -> None:
        self.stations.play_radio(message["streamer"], message["radio_uuid"])

    def on_stop_radio(self, message: dict) -> None:
        self.stations.stop_radio(message["streamer"], message["radio_uuid"])

    def on_register_listener(self, message: dict) -> None:
        self.stations.open_session(
            message.get("streamer"),
            message["session_id"],
            message["radio_uuid"],
            protocol.listener_user(message),
        )

    def on_unregister_listener(self, message: dict) -> None:
        self.stations.close_session(
            message.get("streamer"), message["session_id"], message.get("radio_uuid")
        )
