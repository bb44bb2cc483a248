"""Proof of the person: when a provider may act on an existing learner.

A provider (org staff) holding only someone's ID number must not obtain, enrol or change that
person (OWASP API Security Top 10 2023, API1 broken object level authorization). The proofs:

- ``self``: the learner's own account;
- ``platform``: the smart education platform acting for the learner (it verified them);
- ``admin``: the city;
- ``registered``: the provider's organization registered the (then new) person itself;
- ``holder_check``: staff sent the person's ID number *and* name, and both match the record.

A failed holder check is one refusal for every cause (unknown number, other person's number,
wrong name), so the answer never tells whether a number is registered. The proof used is
recorded on the enrollment and in its audit entry; never the number or the name.
"""

from __future__ import annotations

import hmac
import unicodedata

from service.accounts.access import Principal
from service.accounts.models import ORG_ROLES, Role
from service.core.errors import Forbidden
from service.training.access import is_own
from service.training.models import Learner

SELF, PLATFORM, ADMIN, REGISTERED, HOLDER_CHECK = (
    "self",
    "platform",
    "admin",
    "registered",
    "holder_check",
)


def holder_refused() -> Forbidden:
    return Forbidden(
        "holder-check-failed",
        "The ID number and name do not identify a person you may act for.",
    )


def normalise_name(name: str) -> str:
    """Compare names as people write them: full/half width and spacing do not matter."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(folded.split())


def names_match(stored: str, given: str) -> bool:
    a, b = normalise_name(stored), normalise_name(given)
    return bool(a) and hmac.compare_digest(a.encode(), b.encode())


def holder_matches(learner: Learner | None, fingerprint: str, name: str) -> bool:
    """Both the number (as its fingerprint) and the name belong to ``learner``."""
    if learner is None:
        return False
    same_number = hmac.compare_digest(learner.id_fingerprint.encode(), fingerprint.encode())
    return names_match(learner.name, name) and same_number


def enrolment_proof(
    principal: Principal, learner: Learner, *, holder_fingerprint: str | None, name: str | None
) -> str:
    """The proof that lets ``principal`` enrol ``learner``, or a 403."""
    if principal.is_admin:
        return ADMIN
    if principal.role == Role.platform:
        return PLATFORM
    if is_own(principal, learner):  # a delegated token (token exchange): the platform acted
        return PLATFORM if principal.delegated_by is not None else SELF
    if principal.role in ORG_ROLES and principal.org_id is not None:
        if holder_fingerprint is not None or name is not None:
            if holder_matches(learner, holder_fingerprint or "", name or ""):
                return HOLDER_CHECK
            raise holder_refused()
        if learner.registered_by_organization_id == principal.org_id:
            return REGISTERED
        raise Forbidden(
            "holder-check-required",
            "This person was registered elsewhere: send their id_number and name with the "
            "enrollment, or let them enrol themselves through the platform.",
        )
    raise Forbidden("forbidden", "Only the learner, or the platform acting for them, may do this.")
