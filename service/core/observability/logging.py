"""Structured JSON logs with the request id, scrubbed of personal data.

Code never logs ID or phone numbers on purpose; the scrubber is the second line of defence for
what a library or an exception message might carry (PIPL: personal information stays out of logs).
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys

from service.core.personal_numbers import scrub

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    """Stamp each record with the request id when it is made, not when it is formatted."""
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    return record


logging.setLogRecordFactory(_record_with_request_id)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return scrub(json.dumps(entry, ensure_ascii=False, default=str))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs whole URLs at INFO
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    # Muted whatever uvicorn's own configuration says (see UVICORN_LOGGING below).
    logging.getLogger("uvicorn.access").disabled = True


# How every uvicorn serving the app logs: through the root logger's JSON handler, and without
# uvicorn's access log, which writes the raw path and query string (share codes, launch grants,
# fetch codes, name searches). The app's request log line (``skills.access``) takes its place:
# method, route template, status, duration and request id (OWASP Logging Cheat Sheet, "Data to
# exclude").
UVICORN_LOGGING: dict = {"log_config": None, "access_log": False}
