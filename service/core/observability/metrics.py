"""Prometheus metrics, exposed at /metrics."""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "skills_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram("skills_http_request_seconds", "HTTP request latency", ["method", "route"])
OUTBOX_PUBLISHED = Counter("skills_outbox_published_total", "Jobs handed to the broker")
OUTBOX_PUBLISH_FAILURES = Counter(
    "skills_outbox_publish_failures_total", "Publish attempts that failed (broker down)"
)
LRS_STATEMENTS_STORED = Counter(
    "skills_lrs_statements_stored_total",
    "Statements the LRS stored; projected: whether they fed an enrolment",
    ["projected"],
)
