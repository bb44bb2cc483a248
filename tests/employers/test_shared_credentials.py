"""A learner shares a credential directly with an employer: the employer lists it (with the live
verification result), another employer does not, and it is gone once withdrawn."""

from __future__ import annotations

from sqlmodel import select

from service.issuing.models import CredentialShare


def _share_with(client, holder, credential_id, org_id, show_name=False):
    return client.post(
        f"/api/v1/me/credentials/{credential_id}/shares",
        json={"show_name": show_name, "employer_organization_id": str(org_id)},
        headers=holder.headers,
    )


def _listed(client, headers):
    r = client.get("/api/v1/employer/shared-credentials", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_shared_with_one_employer_only_until_withdrawn(
    client, holder, holder_credential, issue, enterprise, employer, other_employer
):
    second = issue(learner=holder.subject_id, id_number=holder.id_number)["credential"]
    first = _share_with(client, holder, holder_credential["id"], enterprise.id, show_name=True)
    assert first.status_code == 201, first.text
    assert first.json()["employer_organization_id"] == str(enterprise.id)
    later = _share_with(client, holder, second["id"], enterprise.id).json()
    page = _listed(client, employer)
    assert page["total"] == 2
    newest, oldest = page["items"]
    assert newest["code"] == later["code"]  # newest first
    assert newest["holder_name"] is None  # the learner did not choose to show it
    assert oldest["holder_name"] == holder.name
    assert oldest["credential_id"] == holder_credential["id"]
    assert oldest["result"] == "valid"
    assert [c["name"] for c in oldest["checks"]][0] == "signature"
    assert oldest["achievement"] and oldest["issued"]
    assert holder.id_number not in str(page)
    # An addressed share still opens as a link (the code is the secret the learner handed over).
    assert client.get(f"/c/{later['code']}").status_code == 200
    assert _listed(client, other_employer)["total"] == 0
    # Withdrawn: gone from the list at once.
    r = client.delete(f"/api/v1/me/shares/{later['code']}", headers=holder.headers)
    assert r.status_code == 204
    assert [i["code"] for i in _listed(client, employer)["items"]] == [first.json()["code"]]


def test_list_shows_a_revocation_live(
    client, holder, holder_credential, enterprise, employer, revoke
):
    _share_with(client, holder, holder_credential["id"], enterprise.id)
    revoke(holder_credential["id"])
    assert _listed(client, employer)["items"][0]["result"] == "revoked"


def test_only_active_enterprises_can_be_addressed(
    client, session, holder, holder_credential, make_org
):
    school = make_org(kind="vocational_school")
    closed = make_org(name="已注销企业", kind="enterprise")
    closed.is_active = False
    session.add(closed)
    session.commit()
    for org_id in (school.id, closed.id, "00000000-0000-4000-8000-000000000000"):
        r = _share_with(client, holder, holder_credential["id"], org_id)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "employer-not-found"
    session.expire_all()
    assert session.exec(select(CredentialShare)).first() is None


def test_plain_shares_are_not_listed(client, holder, holder_credential, make_share, employer):
    make_share(holder_credential["id"])
    assert _listed(client, employer)["total"] == 0
