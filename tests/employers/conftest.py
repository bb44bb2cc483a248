"""Employers: an enterprise with an HR account, credentials to check, a learner who shares.

The learner and share fixtures are the public pages' (``tests.web.conftest``), imported so the
same learner set-up serves both.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import holder, holder_credential, make_share, revoke  # noqa: F401


@pytest.fixture
def enterprise(make_org):
    return make_org(name="宁波甬江精密制造有限公司", district="330212", kind="enterprise")


@pytest.fixture
def employer_user(make_user, enterprise):
    return make_user("employer", enterprise)


@pytest.fixture
def employer(login, employer_user):
    """The employer's sign-in headers."""
    return login(employer_user)


@pytest.fixture
def other_employer(make_org, make_user, login):
    org = make_org(name="宁波港湾物流有限公司", district="330206", kind="enterprise")
    return login(make_user("employer", org))


@pytest.fixture
def issued(issue, token_of):
    """(credential as issued, its compact JWT)."""
    cred = issue()["credential"]
    return cred, token_of(cred["id"])


@pytest.fixture
def check(client, employer):
    """POST a JSON check as the employer; the stored run with its rows."""

    def do(items, headers=None, expect=201):
        r = client.post(
            "/api/v1/employer/checks", json={"items": items}, headers=headers or employer
        )
        assert r.status_code == expect, r.text
        return r.json()

    return do


def tampered(token: str) -> str:
    """The token with its signature changed: a forgery."""
    return token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
