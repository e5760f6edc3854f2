"""Every Prometheus metric of the service and the worker, declared here and nowhere else.

To add one: declare it below (a `balagh_` name, a help text, bounded labels) and count where
it happens. Figures the store knows (the outbox) are read from it at each scrape instead, so
every replica reports the same.

Several processes on one host (service replicas, workers): set `PROMETHEUS_MULTIPROC_DIR` to
an empty folder they all share, in the environment that starts them (prometheus_client reads
it when first imported). Each process then writes its counts to files there and any one of them
answers a scrape with the sum of all; a process killed keeps its counts in the sum.
"""

import os
from collections.abc import Iterable
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from bot.store.base import OutboxBacklog

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

TURNS = Counter(
    "balagh_dialogue_turns_total",
    "Dialogue turns by channel and outcome: answered, timeout, unavailable (error or down)",
    ["channel", "outcome"],
)
HTTP_SECONDS = Histogram(
    "balagh_http_request_duration_seconds",
    "Time to answer an HTTP request (webhooks, pages, API) by route template and status class",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15),
)
ACTION_ERRORS = Counter(
    "balagh_action_errors_total",
    "Custom actions that raised instead of answering, by action",
    ["action"],
)
NOTIFICATIONS = Counter(
    "balagh_notifications_total",
    "Notification attempts by provider and outcome: sent, retry, failed",
    ["provider", "outcome"],
)
SLA_BREACHES = Counter("balagh_sla_breaches_total", "Complaints that passed their SLA due time")
CALLS = Counter(
    "balagh_calls_total",
    "Calls on the 940 line: started, then self_service, transferred or abandoned; busy: "
    "turned away at the start, every line taken",
    ["outcome"],
)
HOLDS = Counter(
    "balagh_voice_holds_total",
    "Phone turns the dialogue had not answered in time: the caller heard a hold, the first "
    "(first) or a further one (again)",
    ["hold"],
)


def process_registry() -> CollectorRegistry:
    """What this process's counters say, or with PROMETHEUS_MULTIPROC_DIR every process's."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


class _Figures:
    """A collector of figures read once (from the store) for one scrape."""

    def __init__(self, metrics: Iterable[Metric]) -> None:
        self.metrics = list(metrics)

    def collect(self) -> list[Metric]:
        return self.metrics


def outbox_figures(backlog: OutboxBacklog, now: datetime) -> list[Metric]:
    depth = GaugeMetricFamily(
        "balagh_outbox_depth", "Notifications waiting to be sent (pending or being sent)"
    )
    depth.add_metric([], backlog.depth)
    age = GaugeMetricFamily(
        "balagh_outbox_oldest_age_seconds",
        "Age of the oldest notification still waiting (0 when none waits)",
    )
    oldest = backlog.oldest_created_at
    age.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    return [depth, age]


def phone_line_figures(calls_in_progress: int, call_limit: int) -> list[Metric]:
    """The 940 line's calls now, over every replica (from the store), and its limit."""
    calls = GaugeMetricFamily(
        "balagh_voice_calls_in_progress", "Calls the 940 line serves now, over every replica"
    )
    calls.add_metric([], calls_in_progress)
    limit = GaugeMetricFamily(
        "balagh_voice_call_limit",
        "Calls the 940 line takes at once before new callers hear the lines are busy "
        "(BALAGH_VOICE_CALL_LIMIT; 0: no limit)",
    )
    limit.add_metric([], call_limit)
    return [calls, limit]


def exposition(store_figures: Iterable[Metric] = ()) -> bytes:
    """The Prometheus text format: the processes' counters, then the store's figures."""
    figures = CollectorRegistry(auto_describe=False)
    figures.register(_Figures(store_figures))
    return generate_latest(process_registry()) + generate_latest(figures)
