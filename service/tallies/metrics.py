"""Prometheus metrics of the tallies (default registry, exposed at /metrics)."""

from prometheus_client import Counter, Gauge

RECONCILE_RUNS = Counter(
    "skills_tallies_reconcile_runs_total", "Tally reconcile runs by outcome", ["status"]
)
DRIFT_CORRECTED = Counter(
    "skills_tallies_drift_corrected_total",
    "Rollup cells and completion facts a reconcile found wrong and corrected",
    ["kind"],
)
DRIFT_LAST = Gauge(
    "skills_tallies_drift_last", "Differences found by the last reconcile (0 = none)", ["kind"]
)
RECONCILE_LAST_SUCCESS = Gauge(
    "skills_tallies_reconcile_last_success_timestamp_seconds",
    "Unix time the last reconcile finished without error",
)
