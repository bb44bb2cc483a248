"""Validation against the reference tables, and the rule parameters kept as data.

Codes are checked against the seeded ``ref_*`` tables rather than the Python modules, so a data
migration that corrects the catalogue takes effect at once.
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from service.core.errors import Invalid
from service.training.hours_rules import DEFAULT_DAILY_CAP_MINUTES
from service.training.occupations import get_occupation, level_name
from service.training.reference_data import (
    CURRENT_CLUSTER_VERSION,
    get_cluster,
    occupation_clusters,
)
from service.training.reference_models import (
    RefCluster,
    RefDistrict,
    RefLearnerGroup,
    RefOccupation,
    RefOccupationLevel,
    RefTrainingPolicy,
)
from service.training.subsidy import SubsidyRules

POLICY_ID = "current"


def check_district(session: Session, code: str, field: str = "district_code") -> None:
    """A Ningbo county-level division (the city code itself is not a district)."""
    row = session.get(RefDistrict, code)
    if row is None or row.kind == "city":
        raise Invalid(
            "unknown-district",
            f"{field} must be the code of one of Ningbo's districts, counties or county-level "
            "cities (see GET /api/v1/reference/districts).",
            field=field,
        )


_CODE_LIKE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def check_groups(session: Session, groups: list[str]) -> list[str]:
    """Known group codes, de-duplicated in the order given."""
    known = set(session.exec(select(RefLearnerGroup.code)).all())
    unknown = sorted({g for g in groups if g not in known})
    if unknown:
        # Echo only what looks like a group code: a value typed into the wrong column may be
        # a person's number or name.
        shown = [g for g in unknown if _CODE_LIKE.fullmatch(g)]
        named = f": {', '.join(shown)}" if len(shown) == len(unknown) else ""
        raise Invalid(
            "unknown-group",
            f"Unknown learner group(s){named} (see GET /api/v1/reference/groups).",
            field="groups",
        )
    return list(dict.fromkeys(groups))


def check_occupation_level(session: Session, code: str, level: int) -> RefOccupation:
    occupation = session.get(RefOccupation, code)
    if occupation is None:
        raise Invalid(
            "unknown-occupation",
            f"Occupation {code} is not in the catalogue (see GET /api/v1/reference/occupations).",
            field="occupation_code",
        )
    if session.get(RefOccupationLevel, (code, level)) is None:
        allowed = sorted(
            session.exec(
                select(RefOccupationLevel.level).where(RefOccupationLevel.occupation_code == code)
            ).all(),
            reverse=True,
        )
        raise Invalid(
            "level-not-offered",
            f"Occupation {code} ({occupation.name}) is not certified at level {level}"
            f"{_level_label(level)}; allowed levels: {', '.join(map(str, allowed))}.",
            field="level",
        )
    return occupation


def _level_label(level: int) -> str:
    try:
        return f" ({level_name(level)})"
    except ValueError:
        return ""


def check_cluster(session: Session, version: str | None, code: str | None) -> None:
    if version is None and code is None:
        return
    if not version or not code or session.get(RefCluster, (version, code)) is None:
        raise Invalid(
            "unknown-cluster",
            "cluster_version and cluster_code must name a cluster of a known edition of the "
            "'361' list (see GET /api/v1/reference/clusters).",
            field="cluster_code",
        )


def cluster_for_occupation(
    occupation_code: str, version: str | None, code: str | None
) -> tuple[str | None, str | None]:
    """The ``(cluster_version, cluster_code)`` an offering of this occupation is counted under.

    Run after :func:`check_cluster`. The occupation-to-cluster map is the reviewed Python data
    in :mod:`service.training.reference_data` (it has no table). A cluster given must be one
    of the occupation's clusters in that edition, unless the map names none for the
    occupation (the map is incomplete on purpose). Without a cluster, the current edition's
    one cluster of the occupation is taken; with several, the caller must choose; with none,
    the offering stays outside the clusters (``None``).
    """
    if code is not None:
        allowed = occupation_clusters(version or "", occupation_code)
        if allowed and code not in allowed:
            raise Invalid(
                "cluster-contradicts-occupation",
                f"Cluster {code} of the {version} edition does not fit occupation "
                f"{_occupation_label(occupation_code)}; its clusters in that edition: "
                f"{_cluster_labels(version or '', allowed)}.",
                field="cluster_code",
                cluster_version=version,
                allowed_clusters=list(allowed),
            )
        return version, code
    allowed = occupation_clusters(CURRENT_CLUSTER_VERSION, occupation_code)
    if len(allowed) > 1:
        raise Invalid(
            "cluster-choice-required",
            f"Occupation {_occupation_label(occupation_code)} belongs to several clusters of "
            f"the {CURRENT_CLUSTER_VERSION} edition; give cluster_version "
            f"{CURRENT_CLUSTER_VERSION} and one cluster_code of: "
            f"{_cluster_labels(CURRENT_CLUSTER_VERSION, allowed)}.",
            field="cluster_code",
            cluster_version=CURRENT_CLUSTER_VERSION,
            allowed_clusters=list(allowed),
        )
    if allowed:
        return CURRENT_CLUSTER_VERSION, allowed[0]
    return None, None


def _occupation_label(code: str) -> str:
    occupation = get_occupation(code)
    return f"{code} ({occupation.name})" if occupation else code


def _cluster_labels(version: str, codes: tuple[str, ...]) -> str:
    labels = []
    for code in codes:
        cluster = get_cluster(version, code)
        labels.append(f"{code} ({cluster.name})" if cluster else code)
    return ", ".join(labels)


def load_policy(session: Session) -> RefTrainingPolicy:
    """The current rule parameters; the city's defaults when the row is missing."""
    return session.get(RefTrainingPolicy, POLICY_ID) or RefTrainingPolicy(
        id=POLICY_ID, daily_cap_minutes=DEFAULT_DAILY_CAP_MINUTES
    )


def subsidy_rules(policy: RefTrainingPolicy) -> SubsidyRules:
    return SubsidyRules(
        max_per_year=policy.max_subsidised_per_year,
        one_per_occupation_level=policy.one_per_occupation_level,
        no_lower_level_after_higher=policy.no_lower_level_after_higher,
    )
