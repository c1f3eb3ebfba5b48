"""The service's Prometheus metrics, on a registry of its own.

A registry per service (not the process-wide default) lets several
services live in one process, as they do in the tests.

The per-message counters are plain dicts exported at scrape time: a
prometheus_client Counter takes a lock on every increment, which cost a
sixth of the message path's time.
"""

from collections import Counter as Tally
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.core import CounterMetricFamily

LATENESS_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# a show's first song: on time (a hard start), within a max_wait, or a song's length late
SHOW_LATENESS_BUCKETS = (0.05, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
WRITE_DELAY_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0, 300.0)


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.received = Tally()
        self.sent = Tally()
        self.unreceived = Tally()
        self.rejected = Tally()
        self.sent_unstored = Tally()
        self.dropped_not_owned = Tally()
        self.ended_unsent = Tally()
        self.registry.register(
            TallyCollector(
                (
                    "yascheduler_messages_received",
                    "Valid streamer messages received, by type",
                    "type",
                    self.received,
                ),
                (
                    "yascheduler_messages_sent",
                    "Messages published to streamers, by type",
                    "type",
                    self.sent,
                ),
                (
                    "yascheduler_messages_unreceived",
                    "Messages published to streamers that reached no subscriber, by type",
                    "type",
                    self.unreceived,
                ),
                (
                    "yascheduler_messages_sent_unstored",
                    "Messages that follow a state change sent before that state was stored "
                    "(the store did not answer), by type",
                    "type",
                    self.sent_unstored,
                ),
                (
                    "yascheduler_messages_dropped_not_owned",
                    "Plays dropped unsent: their radio's lease here expired, or was lost, "
                    "before they could go, by type",
                    "type",
                    self.dropped_not_owned,
                ),
                (
                    "yascheduler_messages_ended_unsent",
                    "Plays not sent: their file ended while they waited for their radio's "
                    "state to be stored (the radio's next play goes instead), by type",
                    "type",
                    self.ended_unsent,
                ),
                (
                    "yascheduler_messages_rejected",
                    "Streamer messages dropped as invalid, by reason",
                    "reason",
                    self.rejected,
                ),
            )
        )
        # yascheduler_instance_info{instance="..."} 1: which instance of the fleet this is
        self.instance = Info("yascheduler_instance", "This instance's id", registry=self.registry)
        self.publish_failures = Counter(
            "yascheduler_publish_failures",
            "Messages that could not be published (Redis down)",
            registry=self.registry,
        )
        self.redis_reconnects = Counter(
            "yascheduler_redis_reconnects",
            "Times the Redis subscription was re-established",
            registry=self.registry,
        )
        self.streamers_dropped = Counter(
            "yascheduler_streamers_dropped",
            "Streamers dropped as dead: a ping unanswered, or unreachable too long",
            registry=self.registry,
        )
        self.play_lateness = Histogram(
            "yascheduler_play_lateness_seconds",
            "How late each play was sent against its plan",
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )
        self.play_hold = Histogram(
            "yascheduler_play_hold_seconds",
            "From a play queued by the engine to its publish: the wait for its radio's state "
            "to be stored, and for the publisher's turn",
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )
        self.show_start_lateness = Histogram(
            "yascheduler_show_start_lateness_seconds",
            "How late each show's first song started against the show's time",
            buckets=SHOW_LATENESS_BUCKETS,
            registry=self.registry,
        )
        self.store_documents_written = Counter(
            "yascheduler_store_documents_written",
            "Documents written to the store by the store writer (changes merged per document)",
            registry=self.registry,
        )
        self.store_write_delay = Histogram(
            "yascheduler_store_write_delay_seconds",
            "From a change queued to its document written",
            buckets=WRITE_DELAY_BUCKETS,
            registry=self.registry,
        )
        self.store_write_seconds = Histogram(
            "yascheduler_store_write_seconds",
            "How long each turn of the store writer took to write what waited",
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )
        self.store_write_failures = Counter(
            "yascheduler_store_write_failures",
            "Store writes or pings that failed (the store did not answer); retried",
            registry=self.registry,
        )
        self.store_changes_refused = Counter(
            "yascheduler_store_changes_refused",
            "Changes the store refused for good (logged with what they were), dropped",
            registry=self.registry,
        )

        self.webapp_latency = Histogram(
            "yascheduler_webapp_request_seconds",
            "Web app request durations, by endpoint",
            ["endpoint"],
            registry=self.registry,
        )
        self.webapp_errors = Counter(
            "yascheduler_webapp_request_errors",
            "Web app requests that failed, by endpoint and reason",
            ["endpoint", "reason"],
            registry=self.registry,
        )

        self.outbox_items_parked = Counter(
            "yascheduler_outbox_items_parked",
            "Web app notifications parked: refused for good, by kind and HTTP status",
            ["kind", "status"],
            registry=self.registry,
        )

    def count_parked(self, kind: str, status: int) -> None:
        self.outbox_items_parked.labels(kind, str(status)).inc()

    def observe_webapp(self, endpoint: str, seconds: float, error: str) -> None:
        self.webapp_latency.labels(endpoint).observe(seconds)
        if error:
            self.webapp_errors.labels(endpoint, error).inc()

    def track(self, gauges: dict) -> None:
        """Gauges read at scrape time: {name: (help, function returning the value)}."""
        for name, (doc, read) in gauges.items():
            Gauge(name, doc, registry=self.registry).set_function(read)

    def track_adherence(self, read: Callable[[], dict]) -> None:
        """The engine's schedule adherence counters, read at scrape time from `read()`
        (programming.adherence.AdherenceMeter.summary)."""
        self.registry.register(AdherenceCollector(read))

    def track_counts(self, counts: dict) -> None:
        """Counters read at scrape time: {name: (help, function returning the count)}."""
        self.registry.register(CountCollector(counts))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class TallyCollector:
    """Exports plain dict counters as labelled Prometheus counters."""

    def __init__(self, *tallies):
        self.tallies = tallies  # (name, help, label, Tally)

    def collect(self):
        for name, doc, label, tally in self.tallies:
            family = CounterMetricFamily(name, doc, labels=[label])
            for value, count in sorted(tally.items()):
                family.add_metric([value], count)
            yield family


class AdherenceCollector:
    """Exports the engine's adherence counters, kept by the engine itself."""

    def __init__(self, read: Callable[[], dict]):
        self.read = read

    def collect(self):
        figures = self.read()
        rules = CounterMetricFamily(
            "yascheduler_separation_rules_broken",
            "Rotation songs chosen that break a separation rule for want of one that kept it, "
            "by rule",
            labels=["rule"],
        )
        for rule, count in sorted(figures["separation_rules_broken"].items()):
            rules.add_metric([rule], count)
        yield rules
        yield CounterMetricFamily(
            "yascheduler_broken_radio_seconds",
            "Seconds radios spent with nothing to play (dead air), those broken now counted so far",
            value=figures["broken_radio_seconds"],
        )
        yield CounterMetricFamily(
            "yascheduler_repeats_within_3h",
            "Songs chosen again within 3 hours of their previous start",
            value=figures["repeats_within_3h"],
        )


class CountCollector:
    """Exports counts kept by the parts themselves as Prometheus counters."""

    def __init__(self, counts: dict):
        self.counts = counts  # name -> (help, read)

    def collect(self):
        for name, (doc, read) in self.counts.items():
            yield CounterMetricFamily(name, doc, value=read())
