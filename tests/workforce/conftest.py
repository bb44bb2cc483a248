"""An enterprise with staff, a second enterprise, and learners whose ID numbers the tests know
(rosters are lists of ID numbers)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.fixtures.builder import make_id_number


@dataclass
class Workforce:
    enterprise: object
    other: object
    hr: dict  # the enterprise's org_admin
    other_hr: dict

    def person(self, city, district="330212"):
        number = make_id_number()
        return city.add_learner(district=district, id_number=number), number


@pytest.fixture
def workforce(city, make_org, make_user, login) -> Workforce:
    enterprise = make_org(name="宁波甬江机械有限公司", district="330212", kind="enterprise")
    other = make_org(name="宁波北仑港务有限公司", district="330206", kind="enterprise")
    return Workforce(
        enterprise,
        other,
        login(make_user("org_admin", org=enterprise)),
        login(make_user("org_admin", org=other)),
    )
