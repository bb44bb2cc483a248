"""One Asia/Shanghai zone for the city's calendar: ``service.core.timeutil.CITY_TZ``."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.core.timeutil import CITY_TZ
from service.training import reference_data
from service.training.hours_rules import GuardContext

ROOT = Path(__file__).resolve().parents[2]


def test_city_tz_is_a_fixed_utc_plus_8_needing_no_tz_database():
    # China has observed no daylight saving time since 1991: +08:00 all year.
    for month in (1, 7):
        instant = datetime(2025, month, 1, 16, 0, tzinfo=UTC)
        assert instant.astimezone(CITY_TZ).utcoffset() == timedelta(hours=8)
    assert datetime(2025, 3, 31, 16, 0, tzinfo=UTC).astimezone(CITY_TZ).date().day == 1


def test_the_hours_guards_default_to_the_same_object():
    assert GuardContext(persons={}, enrollments={}).tz is CITY_TZ
    assert not hasattr(reference_data, "CHINA_TZ")


def _name(func: ast.expr) -> str:
    return getattr(func, "id", getattr(func, "attr", ""))


def test_no_other_module_defines_a_time_zone():
    """``timezone(timedelta(...))`` and ``ZoneInfo(...)`` appear only in service/core/timeutil.

    (SQL ``timezone('Asia/Shanghai', ...)`` in PostgreSQL queries is the database's own.)
    """
    defined = []
    for package in ("service", "content", "credentials", "bench"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    name, first = _name(node.func), node.args[0] if node.args else None
                    offset = isinstance(first, ast.Call) and _name(first.func) == "timedelta"
                    if name == "ZoneInfo" or (name == "timezone" and offset):
                        defined.append(str(path.relative_to(ROOT)))
    assert defined == ["service/core/timeutil.py"]
