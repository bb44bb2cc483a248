"""The issuer Profile and the Achievements, derived from settings and reference data.

No table holds them: the issuer is the city bureau named by ``SKILLS_ISSUER_*`` and there is one
Achievement per (occupation code, level) of the reviewed occupation list
(``service.training.occupations``), so a slug such as ``6-31-01-03-l4`` names it. Both documents
are deterministic, so the copy embedded in a credential and the one served at its id URL agree
(OB 3.0 §B.1.1 Achievement, Profile). The alignment ``targetUrl``s point at the small documents
served under ``/occupations/{code}`` and ``/skill-levels/{n}``.
"""

from __future__ import annotations

import re
from typing import Any

from credentials import documents
from service.core.settings import Settings
from service.training.occupations import LEVEL_NAMES as SHORT_LEVEL_NAMES
from service.training.occupations import Occupation, get_occupation

_SLUG = re.compile(r"^([1-8]-\d{2}-\d{2}-\d{2})-l([1-5])$")


class UnknownAchievement(LookupError):
    """No Achievement for this occupation code and level (not in the catalog, or level not
    certifiable for that occupation)."""


def issuer_profile(settings: Settings) -> dict[str, Any]:
    return documents.issuer_profile(
        public_base_url=settings.public_base_url,
        slug=settings.issuer_slug,
        name=settings.issuer_name,
        url=settings.issuer_url,
        description="宁波市终身职业技能培训 技能微证书 颁发机构 (skill micro-credential issuer)",
    )


def achievement_slug(occupation_code: str, level: int) -> str:
    return f"{occupation_code}-l{int(level)}"


def parse_achievement_slug(slug: str) -> tuple[str, int]:
    match = _SLUG.fullmatch(slug.strip().lower())
    if match is None:
        raise UnknownAchievement(slug)
    return match.group(1), int(match.group(2))


def slug_from_achievement_id(settings: Settings, achievement_id: str) -> str | None:
    prefix = documents.achievement_id(settings.public_base_url, "")
    return achievement_id[len(prefix) :] if achievement_id.startswith(prefix) else None


def occupation_for(occupation_code: str, level: int) -> Occupation:
    occupation = get_occupation(occupation_code)
    if occupation is None or not isinstance(level, int) or not occupation.allows(level):
        raise UnknownAchievement(achievement_slug(occupation_code, level))
    return occupation


def achievement(settings: Settings, occupation_code: str, level: int) -> dict[str, Any]:
    """The OB 3.0 Achievement for one skill (工种) and level; raises UnknownAchievement."""
    occupation = occupation_for(occupation_code, level)
    level_label = documents.LEVEL_NAMES[level]
    slug = achievement_slug(occupation_code, level)
    return documents.achievement_document(
        public_base_url=settings.public_base_url,
        slug=slug,
        name=f"{occupation.name}（{level_label}）技能微证书",
        description=(
            f"完成“{occupation.name}”{level_label}职业技能培训并通过考核。"
            f" Completed training in {occupation.code} at level {level} and passed the assessment."
        ),
        criteria_narrative=(
            "达到培训项目要求的学时（1 学时 = 45 分钟），并通过培训机构组织的考核，"
            "或经认定的先前学习成果（RPL）。"
        ),
        occupation_code=occupation.code,
        occupation_name=occupation.name,
        level=level,
        image_url=documents.achievement_id(settings.public_base_url, slug) + "/image.png",
        creator=issuer_profile(settings),
    )


def achievement_by_slug(settings: Settings, slug: str) -> dict[str, Any]:
    code, level = parse_achievement_slug(slug)
    return achievement(settings, code, level)


def occupation_document(settings: Settings, code: str) -> dict[str, Any] | None:
    """What an alignment ``targetUrl`` for an occupation dereferences to (plain JSON)."""
    occupation = get_occupation(code)
    if occupation is None:
        return None
    base = settings.public_base_url.rstrip("/")
    return {
        "id": f"{base}/occupations/{occupation.code}",
        "code": occupation.code,
        "name": occupation.name,
        "framework": documents.OCCUPATION_FRAMEWORK,
        "levels": [
            {"level": n, "name": SHORT_LEVEL_NAMES[n], "url": f"{base}/skill-levels/{n}"}
            for n in occupation.levels
        ],
        "achievements": [
            documents.achievement_id(base, achievement_slug(occupation.code, n))
            for n in occupation.levels
        ],
    }


def skill_level_document(settings: Settings, level: int) -> dict[str, Any] | None:
    if level not in documents.LEVEL_NAMES:
        return None
    base = settings.public_base_url.rstrip("/")
    return {
        "id": f"{base}/skill-levels/{level}",
        "level": level,
        "name": documents.LEVEL_NAMES[level],
        "short_name": SHORT_LEVEL_NAMES[level],
        "framework": documents.LEVEL_FRAMEWORK,
        "note": "5 is the entry level (初级工), 1 the highest (高级技师).",
    }
