"""Upgrading to status lists per key: existing lists keep their URLs and are given the key
that signed their credentials, so old credentials' lists verify with the credential's key."""

from __future__ import annotations

import jwt
from alembic import command
from sqlmodel import select

from credentials import keys
from credentials.models import StatusList
from credentials.status_list import create_list
from service.core.migrate import alembic_config, upgrade

REVISION = "0015_status_lists_per_key"


def _list_path(token):
    status = jwt.decode(token, options={"verify_signature": False})["credentialStatus"]
    entry = status[0] if isinstance(status, list) else status
    return entry["statusListCredential"].removeprefix("https://skills.test")


def test_existing_lists_get_their_credentials_key(
    db_url, client, issue, token_of, session, engine, settings, issuer_key
):
    old_token = token_of(issue()["credential"]["id"])
    new_key = keys.rotate_key(
        session,
        master_key=settings.master_key_bytes(),
        public_base_url=settings.public_base_url,
        issuer_id=settings.issuer_id(),
    )
    session.commit()
    old_kid, new_kid = issuer_key.kid, new_key.kid
    new_token = token_of(issue()["credential"]["id"])
    empty = create_list(session, issuer_id=settings.issuer_id(), purpose="revocation")
    empty_id = empty.id
    session.commit()
    session.close()
    engine.dispose()

    command.downgrade(alembic_config(db_url), f"{REVISION}-1")  # lists as they were: no key
    upgrade(db_url)

    kids = {row.id: row.kid for row in session.exec(select(StatusList)).all()}
    assert kids[empty_id] == new_kid  # no credential yet: the active key's
    for token in (old_token, new_token):
        served = client.get(_list_path(token))
        assert served.status_code == 200  # the same URL is still served
        credential_kid = jwt.get_unverified_header(token)["kid"]
        assert jwt.get_unverified_header(served.text)["kid"] == credential_kid
    assert jwt.get_unverified_header(old_token)["kid"] == old_kid != new_kid
    report = client.post("/api/v1/verify", json={"token": old_token}).json()
    assert report["result"] == "valid", report
