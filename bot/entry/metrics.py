"""Prometheus metrics, kept in one registry per service (no global state)."""

from __future__ import annotations

from functools import partial

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NAMESPACE = "denialwatch"
"""The prefix of every metric name: `reports` is exposed as `denialwatch_reports_total`."""


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        counter = partial(Counter, namespace=NAMESPACE, registry=r)
        gauge = partial(Gauge, namespace=NAMESPACE, registry=r)
        histogram = partial(Histogram, namespace=NAMESPACE, registry=r)
        self.reports = counter("reports", "Reports received", ["outcome"])
        self.statements = counter("statements", "Statements extracted", ["polarity"])
        self.contradictions = counter("contradictions", "Contradictions found", ["kind"])
        self.deliveries = counter("deliveries", "Delivery outcomes", ["platform", "outcome"])
        self.feed_errors = counter("feed_errors", "Failed feed polls")
        self.analysis_seconds = histogram("analysis_seconds", "Time to analyse one report")
        self.delivery_seconds = histogram(
            "delivery_seconds",
            "Time from contradiction to delivery",
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
        )
        self.outbox_depth = gauge("outbox_depth", "Deliveries waiting")
        self.oldest_undelivered = gauge(
            "oldest_undelivered_seconds", "Age of the oldest waiting delivery"
        )
        self.backlog = gauge("analysis_backlog", "Reports stored and awaiting analysis")
        self.backlog_oldest = gauge(
            "analysis_backlog_oldest_seconds", "Age of the oldest report awaiting analysis"
        )
        self.workers = gauge(
            "analysis_workers",
            "Analysis worker processes running and ready (0: analysis runs in the service process)",
        )
        self.worker_restarts = counter(
            "analysis_worker_restarts", "Analysis worker processes started again after they exited"
        )
        self.heap_frozen = gauge(
            "heap_frozen_objects",
            "Objects of the service process kept out of the garbage collector's walks",
        )
        self.leader = gauge("scheduler_leader", "1 on the replica running periodic jobs")

    def render(self) -> bytes:
        return generate_latest(self.registry)
