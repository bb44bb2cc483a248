"""Turn a verification report into what a person reads: a verdict, checks, the credential's facts.

Only what the credential itself says is shown (``credentials.verify.summarise`` picks it out);
nothing is looked up about the learner. When the signature, key or shape did not pass, the facts
are still shown (people want to see what was claimed) under a warning that they are unconfirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from credentials.timefmt import parse_xsd
from service.core.timeutil import CITY_TZ
from service.web.i18n import Translator

# Result -> (tone for colour, icon). The icon and the words carry the meaning; colour only adds.
RESULT_STYLE = {
    "valid": ("good", "✓"),
    "invalid": ("bad", "✗"),
    "revoked": ("bad", "⊘"),
    "suspended": ("warn", "‖"),
    "expired": ("warn", "⌛"),
    "not_yet_valid": ("warn", "⌛"),
    "inconclusive": ("warn", "?"),
}
OUTCOME_ICON = {"passed": "✓", "failed": "✗", "inconclusive": "?", "skipped": "–", "warning": "!"}
TRUST_CHECKS = ("signature", "key_provenance", "shape")


@dataclass
class CheckView:
    name: str
    label: str
    outcome: str
    outcome_label: str
    icon: str
    message: str
    reason: str = ""  # the report's reason code, for machines reading the page (data-reason)


@dataclass
class ReportView:
    result: str
    tone: str
    icon: str
    headline: str
    explanation: str
    checks: list[CheckView]
    facts: list[tuple[str, str]]
    trusted: bool
    credential_id: str | None = None
    title: str | None = None  # the achievement's name, once the credential is shown genuine
    reason: str = ""  # the report's reason code (data-reason)


def _check_message(t: Translator, name: str, outcome: str, reason: str) -> str:
    for key in (f"check.{name}.{reason}", f"check.{name}.{outcome}", f"check.{outcome}"):
        if t.has(key):
            return t(key)
    return t("check.failed")


def format_date(value: str | datetime | None) -> str | None:
    """A calendar date in the city's time zone (YYYY-MM-DD reads the same in both languages)."""
    if not value:
        return None
    try:
        instant = parse_xsd(value) if isinstance(value, str) else value
    except (TypeError, ValueError):
        return None
    return instant.astimezone(CITY_TZ).date().isoformat()


def format_time(value: datetime) -> str:
    return value.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M")


def _issuer_text(t: Translator, cred: dict, trusted: bool) -> str | None:
    """The issuer's name, and where it is from. An unverified credential may claim to be ours:
    then only the claimed name is shown, never "issued by this service"."""
    name = cred.get("issuer_name")
    issuer_id = cred.get("issuer_id")
    if not (name or issuer_id):
        return None
    if not trusted:
        return name or issuer_id
    if cred.get("issued_here"):
        note = t("issuer.here")
    else:
        note = t("issuer.elsewhere", host=urlsplit(str(issuer_id or "")).hostname or issuer_id)
    return f"{name} ({note})" if name else note


def _facts(t: Translator, cred: dict, trusted: bool) -> list[tuple[str, str]]:
    facts: list[tuple[str, str]] = []

    def add(key: str, value: object) -> None:
        if value not in (None, ""):
            facts.append((t(key), str(value)))

    add("field.achievement", cred.get("achievement_name") or cred.get("name"))
    occupation = cred.get("occupation_name")
    if occupation and cred.get("occupation_code"):
        occupation = t("skill.value", name=occupation, code=cred["occupation_code"])
    add("field.skill", occupation)
    level = cred.get("level")
    level_key = f"level.{level}"
    add("field.level", t(level_key) if t.has(level_key) else cred.get("level_name"))
    add("field.issuer", _issuer_text(t, cred, trusted))
    add("field.issued", format_date(cred.get("valid_from")))
    add("field.valid_until", format_date(cred.get("valid_until")))
    if cred.get("hours") is not None:
        add("field.hours", t("hours.value", hours=cred["hours"]))
    add("field.score", cred.get("score"))
    add("field.credential_id", cred.get("id"))
    return facts


def present(t: Translator, report: dict) -> ReportView:
    result = report.get("result", "inconclusive")
    tone, icon = RESULT_STYLE.get(result, RESULT_STYLE["inconclusive"])
    checks = [
        CheckView(
            name=c["name"],
            label=t(f"check.{c['name']}"),
            outcome=c["outcome"],
            outcome_label=t(f"outcome.{c['outcome']}"),
            icon=OUTCOME_ICON.get(c["outcome"], "?"),
            message=_check_message(t, c["name"], c["outcome"], c.get("reason", "")),
            reason=c.get("reason", ""),
        )
        for c in report.get("checks", [])
    ]
    # A check may have several entries (one per broken rule, or a warning beside a pass).
    trusted = all(
        any(c.name == name and c.outcome == "passed" for c in checks)
        and all(c.outcome in ("passed", "warning") for c in checks if c.name == name)
        for name in TRUST_CHECKS
    )
    cred = report.get("credential") or {}
    return ReportView(
        result=result,
        tone=tone,
        icon=icon,
        headline=t(f"result.{result}"),
        explanation=t(f"result.{result}.explain"),
        checks=checks,
        facts=_facts(t, cred, trusted),
        trusted=trusted,
        credential_id=cred.get("id"),
        title=(cred.get("achievement_name") or cred.get("name")) if trusted else None,
        reason=report.get("reason", ""),
    )


def unreadable_message(t: Translator, reason: str) -> str:
    key = f"unreadable.{reason}"
    return t(key) if t.has(key) else t("unreadable.other")
