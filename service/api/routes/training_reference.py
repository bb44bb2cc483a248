"""Reference data (public, read-only): districts, "361" clusters, occupations and vocabularies."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlmodel import Session, select

from service.api.deps import SessionDep
from service.api.pagination import PLAIN_TEXT, Page, PageParamsDep, paginate
from service.api.problems import not_found
from service.core.search import contains_text
from service.training.reference_checks import load_policy
from service.training.reference_data import OCCUPATION_CLUSTERS
from service.training.reference_models import (
    RefCluster,
    RefClusterVersion,
    RefDistrict,
    RefFundingKind,
    RefLearnerGroup,
    RefOccupation,
    RefOccupationLevel,
    RefOfferingMode,
    RefSkillLevel,
    RefTrainingType,
)

router = APIRouter(prefix="/api/v1/reference", tags=["reference data"])


def _levels(session: Session, codes: list[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {code: [] for code in codes}
    rows = session.exec(
        select(RefOccupationLevel).where(RefOccupationLevel.occupation_code.in_(codes))
    ).all()
    for row in rows:
        out[row.occupation_code].append(row.level)
    return {code: sorted(levels, reverse=True) for code, levels in out.items()}


def _occupation_answer(code: str, name: str, levels: list[int]) -> dict:
    """One occupation with its levels and, per edition of the "361" list, its clusters (empty:
    the occupation implies no cluster, so an offering of it accepts any or none)."""
    clusters = {
        version: list(by_code.get(code, ())) for version, by_code in OCCUPATION_CLUSTERS.items()
    }
    return {"code": code, "name": name, "levels": levels, "clusters": clusters}


@router.get("/districts")
def districts(session: SessionDep):
    return session.exec(select(RefDistrict).order_by(RefDistrict.code)).all()


@router.get("/cluster-versions")
def cluster_versions(session: SessionDep):
    return session.exec(select(RefClusterVersion).order_by(RefClusterVersion.version)).all()


@router.get("/clusters")
def clusters(
    session: SessionDep,
    version: str | None = Query(None, max_length=10, description="Default: the current edition"),
):
    if version is None:
        current = session.exec(
            select(RefClusterVersion).where(RefClusterVersion.is_current)
        ).first()
        version = current.version if current else ""
    rows = session.exec(
        select(RefCluster).where(RefCluster.version == version).order_by(RefCluster.code)
    ).all()
    if not rows:
        raise not_found("This edition of the cluster list")
    return {"version": version, "clusters": rows}


@router.get("/levels")
def levels(session: SessionDep):
    return session.exec(select(RefSkillLevel).order_by(RefSkillLevel.level.desc())).all()


@router.get("/occupations", response_model=Page[dict])
def occupations(
    params: PageParamsDep,
    session: SessionDep,
    q: str | None = Query(
        None, max_length=50, pattern=PLAIN_TEXT, description="Name or code contains"
    ),
):
    stmt = select(RefOccupation).order_by(RefOccupation.code)
    if q:
        stmt = stmt.where(
            contains_text(RefOccupation.name, q) | contains_text(RefOccupation.code, q)
        )
    rows, total = paginate(session, stmt, params)
    levels_by_code = _levels(session, [r.code for r in rows])
    items = [_occupation_answer(r.code, r.name, levels_by_code[r.code]) for r in rows]
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


@router.get("/occupations/{code}")
def occupation(code: str, session: SessionDep):
    row = session.get(RefOccupation, code)
    if row is None:
        raise not_found("Occupation")
    return _occupation_answer(row.code, row.name, _levels(session, [code])[code])


def _vocabulary(model):
    def read(session: SessionDep):
        return session.exec(select(model)).all()

    return read


for _path, _model in (
    ("/training-types", RefTrainingType),
    ("/funding-kinds", RefFundingKind),
    ("/offering-modes", RefOfferingMode),
    ("/groups", RefLearnerGroup),
):
    router.add_api_route(_path, _vocabulary(_model), methods=["GET"])


@router.get("/policy")
def policy(session: SessionDep):
    """The rule parameters in force (subsidy rules, daily hours cap)."""
    return load_policy(session)
