"""A credential from another issuer whose revocation list cannot be fetched: "inconclusive".

The issuer is a small HTTP server on 127.0.0.1 (``tests.credentials.test_foreign_issuers``)
that publishes its key but answers 404 for the status list the credential points at.
"""

from __future__ import annotations

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from tests.credentials.test_foreign_issuers import _public_jwk


def unreachable_status_token(foreign) -> str:
    private = ec.generate_private_key(ec.SECP256R1())
    issuer_id = f"{foreign.base}/issuers/7"
    kid = f"{foreign.base}/keys/7"
    foreign.serve("/keys/7", _public_jwk(private, kid, iss=issuer_id))
    status_url = f"{foreign.base}/status-lists/gone"
    vc = {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:7a1d3c5e-0000-4000-8000-000000000007",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": "杭州某职业技能学校"},
        "issuanceDate": "2024-05-01T00:00:00Z",
        "name": "焊工（中级）",
        "credentialSubject": {
            "id": "did:example:holder",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": f"{foreign.base}/achievements/welder-4",
                "type": ["Achievement"],
                "name": "焊工（中级）",
            },
        },
        "credentialStatus": {
            "id": f"{status_url}#42",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "42",
            "statusListCredential": status_url,
        },
    }
    claims = {
        "vc": vc,
        "iss": issuer_id,
        "nbf": 1714521600,
        "jti": vc["id"],
        "sub": vc["credentialSubject"]["id"],
    }
    return jwt.encode(claims, private, algorithm="ES256", headers={"kid": kid, "typ": "JWT"})
