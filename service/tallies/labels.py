"""Human names next to codes in breakdown rows (districts, clusters, occupations, ...).

Reference tables are small and loaded once per request or export; organization names are
looked up on first sight and cached for the rest of the request.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from service.accounts.models import Organization
from service.training.occupations import LEVEL_NAMES
from service.training.reference_models import (
    RefCluster,
    RefDistrict,
    RefFundingKind,
    RefLearnerGroup,
    RefOccupation,
    RefTrainingType,
)

LABEL_COLUMNS = {
    "district": "district_name",
    "cluster": "cluster_name",
    "training_type": "training_type_label",
    "funding": "funding_label",
    "group": "group_label",
    "organization": "organization_name",
    "occupation": "occupation_name",
    "level": "level_name",
}


class Labeller:
    def __init__(self, session: Session):
        self.session = session
        self.districts = {r.code: r.name for r in session.exec(select(RefDistrict))}
        self.clusters = {(r.version, r.code): r.name for r in session.exec(select(RefCluster))}
        self.types = {r.code: r.label for r in session.exec(select(RefTrainingType))}
        self.funding = {r.code: r.label for r in session.exec(select(RefFundingKind))}
        self.groups = {r.code: r.label for r in session.exec(select(RefLearnerGroup))}
        self._occupations: dict[str, str] | None = None
        self._orgs: dict[str, str | None] = {}

    def occupation(self, code: str) -> str | None:
        if self._occupations is None:
            self._occupations = {r.code: r.name for r in self.session.exec(select(RefOccupation))}
        return self._occupations.get(code)

    def organization(self, org_id: str) -> str | None:
        if org_id not in self._orgs:
            org = self.session.get(Organization, uuid.UUID(org_id))
            self._orgs[org_id] = org.name if org else None
        return self._orgs[org_id]

    def apply(self, item: dict, group_by) -> dict:
        for dim in group_by:
            name = LABEL_COLUMNS.get(dim)
            if name is None:
                continue
            if dim == "district":
                item[name] = self.districts.get(item["district"])
            elif dim == "cluster":
                item[name] = self.clusters.get((item["cluster_version"], item["cluster"]))
            elif dim == "training_type":
                item[name] = self.types.get(item["training_type"])
            elif dim == "funding":
                item[name] = self.funding.get(item["funding"])
            elif dim == "group":
                item[name] = self.groups.get(item["group"])
            elif dim == "organization":
                item[name] = self.organization(item["organization"])
            elif dim == "occupation":
                item[name] = self.occupation(item["occupation"])
            elif dim == "level":
                item[name] = LEVEL_NAMES.get(item["level"])
        return item
