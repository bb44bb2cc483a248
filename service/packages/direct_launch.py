"""Opening a package outside an enrollment: staff preview a version, anyone signed in opens the
published one, in the player (:mod:`service.packages.player`), recording nothing. (Launches that
record learning belong to an enrollment: ``enrollment_launch``.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from content.models import Package, PackageVersion, VersionStatus
from content.storage import ObjectStorage
from content.versions import latest_published
from service.accounts.access import Principal
from service.accounts.models import Role
from service.core.errors import Conflict, NotFound
from service.core.settings import Settings
from service.packages import player
from service.packages.service import version_of


@dataclass(frozen=True)
class PackageLaunch:
    url: str
    presigned_url: str | None
    expires_at: datetime
    version: PackageVersion


def _is_owner_staff(principal: Principal, package: Package) -> bool:
    return principal.is_admin or (
        principal.role in (Role.org_admin, Role.trainer)
        and principal.org_id == package.organization_id
    )


def launch_package(
    session: Session,
    settings: Settings,
    storage: ObjectStorage,
    principal: Principal,
    package_id: uuid.UUID,
    version_id: uuid.UUID | None,
) -> PackageLaunch:
    """An expiring player URL that opens the version (the newest published one by default).

    The owner's staff may also open a ``ready`` version to check it before publishing; to
    anyone else an unpublished version does not exist.
    """
    package = session.get(Package, package_id)
    if package is None:
        raise NotFound("not-found", "Package was not found.")
    staff = _is_owner_staff(principal, package)
    if version_id is None:
        version = latest_published(session, package.id)
        if version is None:
            raise Conflict("not-published", "This package has no published version.")
    else:
        version = version_of(session, package, version_id)
    launchable = {VersionStatus.published} | ({VersionStatus.ready} if staff else set())
    if version.status not in launchable:
        if not staff and version.status != VersionStatus.published:
            raise NotFound("not-found", "Package version was not found.")
        raise Conflict("not-launchable", f"Version is {version.status}; it cannot be launched.")
    if not version.launch:
        raise Conflict("no-launch", "This version has no launch file.")
    ttl = settings.launch_ttl_seconds
    presigned = None
    if version.launch_key is not None and settings.storage_backend == "s3":
        presigned = storage.presigned_get(version.launch_key, ttl)
    url = player.player_url(settings, version, _player_config(settings, version))
    return PackageLaunch(url, presigned, datetime.now(UTC) + timedelta(seconds=ttl), version)


def _player_config(settings: Settings, version: PackageVersion) -> dict:
    """Outside an enrolment nothing is recorded: SCORM gets the runtime without a token (its
    commits go nowhere), other formats their entry file (an external AU URL as it is)."""
    grant = player.new_grant(settings, version)
    if version.format in player.SCORM_FORMATS:
        return player.scorm_config(settings, version, grant, enrollment_id=None, token=None)
    assert version.launch is not None  # checked by the caller
    return player.framed_config(
        settings, version, grant, player.entry_url(settings, grant, version.launch)
    )
