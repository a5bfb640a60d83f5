"""Prometheus metrics, kept in one registry per service (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.reports = Counter("denialwatch_reports", "Reports received", ["outcome"], registry=r)
        self.statements = Counter(
            "denialwatch_statements", "Statements extracted", ["polarity"], registry=r
        )
        self.contradictions = Counter(
            "denialwatch_contradictions", "Contradictions found", ["kind"], registry=r
        )
        self.deliveries = Counter(
            "denialwatch_deliveries", "Delivery outcomes", ["platform", "outcome"], registry=r
        )
        self.feed_errors = Counter("denialwatch_feed_errors", "Failed feed polls", registry=r)
        self.analysis_seconds = Histogram(
            "denialwatch_analysis_seconds", "Time to analyse one report", registry=r
        )
        self.delivery_seconds = Histogram(
            "denialwatch_delivery_seconds",
            "Time from contradiction to delivery",
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
            registry=r,
        )
        self.outbox_depth = Gauge("denialwatch_outbox_depth", "Deliveries waiting", registry=r)
        self.oldest_undelivered = Gauge(
            "denialwatch_oldest_undelivered_seconds",
            "Age of the oldest waiting delivery",
            registry=r,
        )
        self.backlog = Gauge(
            "denialwatch_analysis_backlog",
            "Reports stored and awaiting analysis",
            registry=r,
        )
        self.backlog_oldest = Gauge(
            "denialwatch_analysis_backlog_oldest_seconds",
            "Age of the oldest report awaiting analysis",
            registry=r,
        )
        self.workers = Gauge(
            "denialwatch_analysis_workers",
            "Analysis worker processes running and ready (0: analysis runs in the service process)",
            registry=r,
        )
        self.worker_restarts = Counter(
            "denialwatch_analysis_worker_restarts",
            "Analysis worker processes started again after they exited",
            registry=r,
        )
        self.leader = Gauge(
            "denialwatch_scheduler_leader", "1 on the replica running periodic jobs", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
