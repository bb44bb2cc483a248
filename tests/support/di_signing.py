"""A Data Integrity signer for tests (not product code): EdDSA "Create Proof (eddsa-rdfc-2022)"
and the Ed25519Signature2020 equivalent, over the bundled contexts, and a small OB 3.0 badge."""

from __future__ import annotations

import copy
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld import jsonld

from credentials.contexts import document_loader
from credentials.multikey import b58encode, encode_ed25519_multikey

VC2 = "https://www.w3.org/ns/credentials/v2"
VC1 = "https://www.w3.org/2018/credentials/v1"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def canonical(data: dict) -> bytes:
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": document_loader,
    }
    return jsonld.normalize(data, options).encode()


def sign(
    credential: dict,
    key: Ed25519PrivateKey,
    method: str,
    *,
    suite: str = "eddsa-rdfc-2022",
    purpose: str = "assertionMethod",
    proof_context: list | None = None,
    expires: str | None = None,
) -> dict:
    document = copy.deepcopy(credential)
    document.pop("proof", None)
    if suite == "eddsa-rdfc-2022":
        proof = {"type": "DataIntegrityProof", "cryptosuite": suite}
    else:
        proof = {"type": suite}
    proof |= {
        "created": "2026-03-01T10:00:00Z",
        "verificationMethod": method,
        "proofPurpose": purpose,
    }
    if expires is not None:
        proof["expires"] = expires
    if proof_context is not None:
        proof["@context"] = proof_context
    config = {**proof, "@context": proof_context or document["@context"]}
    signed_document = {**document, "@context": proof_context or document["@context"]}
    data = hashlib.sha256(canonical(config)).digest()
    data += hashlib.sha256(canonical(signed_document)).digest()
    proof["proofValue"] = "z" + b58encode(key.sign(data))
    return {**document, "proof": proof}


def badge(
    issuer: str,
    context: list | None = None,
    credential_id: str = "urn:uuid:6a1b1f0e-8f4e-4c59-9d7c-3f1c2a5b7e10",
) -> dict:
    return {
        "@context": context or [VC2, OB],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "City Skills Office"},
        ("validFrom" if (context or [VC2])[0] == VC2 else "issuanceDate"): "2026-03-01T10:00:00Z",
        "name": "Forklift safety",
        "credentialSubject": {
            "id": "did:example:learner-42",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://skills.example/achievements/forklift",
                "type": ["Achievement"],
                "name": "Forklift safety",
                "description": "Operates a counterbalance forklift safely.",
                "criteria": {"narrative": "Passed the practical assessment."},
            },
        },
    }


def did_key(key: Ed25519PrivateKey) -> str:
    return "did:key:" + encode_ed25519_multikey(key.public_key())


def method_of(did: str) -> str:
    return f"{did}#{did.removeprefix('did:key:')}"
