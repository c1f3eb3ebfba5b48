"""The service's Prometheus metrics, on a registry of its own.

A registry per service (not the process-wide default) lets several
services live in one process, as they do in the tests.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENESS_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.received = Counter(
            "yascheduler_messages_received",
            "Valid streamer messages received, by type",
            ["type"],
            registry=self.registry,
        )
        self.sent = Counter(
            "yascheduler_messages_sent",
            "Messages published to streamers, by type",
            ["type"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "yascheduler_messages_rejected",
            "Streamer messages dropped as invalid, by reason",
            ["reason"],
            registry=self.registry,
        )
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
            "Streamers unregistered for not answering ping",
            registry=self.registry,
        )
        self.play_lateness = Histogram(
            "yascheduler_play_lateness_seconds",
            "How late each play was sent against its plan",
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )

        self.webapp_latency = Histogram(
            "yascheduler_webapp_request_seconds", "Web app request durations, by endpoint",
            ["endpoint"], registry=self.registry,
        )
        self.webapp_errors = Counter(
            "yascheduler_webapp_request_errors", "Web app requests that failed, by endpoint and reason",
            ["endpoint", "reason"], registry=self.registry,
        )

    def observe_webapp(self, endpoint: str, seconds: float, error: str) -> None:
        self.webapp_latency.labels(endpoint).observe(seconds)
        if error:
            self.webapp_errors.labels(endpoint, error).inc()

    def track(self, gauges: dict) -> None:
        """Gauges read at scrape time: {name: (help, function returning the value)}."""
        for name, (doc, read) in gauges.items():
            Gauge(name, doc, registry=self.registry).set_function(read)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def counts(self, counter: Counter) -> dict:
        """{label value: count} of a labelled counter, for /api/status."""
        totals = {}
        for metric in counter.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    label = next(iter(sample.labels.values()), "")
                    totals[label] = int(sample.value)
        return totals
