"""Prometheus metrics, one registry per app (tests build many apps): requests by route and
status, latency histograms, answers and abstentions by answerer, and the index's size."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tthc_requests",
            "HTTP requests by route template and status",
            ["method", "path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tthc_request_seconds",
            "HTTP request latency by route template",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.answers = Counter(
            "tthc_answers",
            "Answers given, by answerer and mode",
            ["answerer", "mode"],
            registry=self.registry,
        )
        self.abstentions = Counter(
            "tthc_abstentions",
            "Answers that declined, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.abstention_rate = Gauge(
            "tthc_abstention_ratio",
            "Share of answers that declined since start",
            registry=self.registry,
        )
        self.chunks = Gauge(
            "tthc_index_chunks", "Public passages in the serving index", registry=self.registry
        )
        self.documents = Gauge(
            "tthc_index_documents", "Public documents in the serving index", registry=self.registry
        )
        self.index_bytes = Gauge(
            "tthc_index_bytes",
            "Size on disk of the serving index generation",
            registry=self.registry,
        )
        self.feedback = Counter(
            "tthc_feedback", "Feedback given on answers", ["rating"], registry=self.registry
        )
        self._given = self._declined = 0

    def answered(self, answerer: str, mode: str, abstained: bool, reason: str | None) -> None:
        self._given += 1
        if abstained:
            self._declined += 1
            self.abstentions.labels(reason or "unsupported").inc()
        else:
            self.answers.labels(answerer, mode).inc()
        self.abstention_rate.set(self._declined / self._given)

    def render(self) -> bytes:
        return generate_latest(self.registry)
