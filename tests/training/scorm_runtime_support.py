"""Shared set-up of the SCORM runtime tests: an enrolment of a learner who signs in, a published
SCORM package parsed from a real manifest, and the player's runtime token."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import timedelta

from content.ingest import inspect_archive
from content.models import Package, PackageVersion, VersionStatus
from content.versions import latest_published
from service.core.timeutil import utcnow
from service.packages.launch_models import LaunchSession
from service.training.models import Enrollment, Offering
from service.training.runtime_tokens import issue_runtime_token
from tests.support.zipkit import HTML, make_zip


@dataclass
class Enrolled:
    enrollment: dict
    headers: dict  # the learner's sign-in

    @property
    def id(self) -> str:
        return self.enrollment["id"]

    @property
    def commit_url(self) -> str:
        return f"/api/v1/enrollments/{self.id}/scorm-commit"

    @property
    def runtime_url(self) -> str:
        return f"/api/v1/enrollments/{self.id}/scorm-runtime"


def enrol(world, **offering) -> Enrolled:
    fields = {"mode": "online", "required_minutes": 90} | offering
    off = world.offering(**fields)
    _, headers = world.learner_with_login()
    r = world.client.post("/api/v1/enrollments", json={"offering_id": off["id"]}, headers=headers)
    assert r.status_code == 201, r.text
    return Enrolled(r.json(), headers)


def _launch_row(world, enrollment: Enrollment) -> uuid.UUID:
    """A launch of the enrolment (as the launch call records it), so a token can name it: of
    the offering's package when it has one, else of a course published for the purpose."""
    offering = world.session.get(Offering, enrollment.offering_id)
    version = None
    for raw in offering.package_ids or []:
        version = latest_published(world.session, uuid.UUID(str(raw)))
    if version is None:
        version = publish(world, SCORM12_TWO_SCOS, {"one.html": HTML, "two.html": HTML})
    now = utcnow()
    row = LaunchSession(
        enrollment_id=enrollment.id,
        registration=enrollment.registration,
        package_version_id=version.id,
        au_id="",
        fetch_code=uuid.uuid4().hex,
        fetched_at=now,
        expires_at=now + timedelta(hours=1),
        created_at=now - timedelta(hours=1),
        format=version.format,
    )
    world.session.add(row)
    world.session.commit()
    return row.session_id


def runtime_token(world, enrolled: Enrolled, launch_session_id: uuid.UUID | None = None) -> str:
    """The token a launch hands the player (issued as the launch does, for a launch that
    opened an hour ago unless ``launch_session_id`` names another)."""
    row = world.session.get(Enrollment, uuid.UUID(enrolled.id))
    launch_session_id = launch_session_id or _launch_row(world, row)
    me = world.client.get("/api/v1/auth/me", headers=enrolled.headers)
    assert me.status_code == 200, me.text
    return issue_runtime_token(
        world.settings,
        user_id=uuid.UUID(me.json()["id"]),
        role="learner",
        org_id=None,
        enrollment_id=row.id,
        launch_session_id=launch_session_id,
    )


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


SCORM12_TWO_SCOS = b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.weld" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="ORG1">
    <organization identifier="ORG1">
      <title>Welding</title>
      <item identifier="I1" identifierref="R1">
        <title>Lesson 1</title>
        <adlcp:masteryscore>80</adlcp:masteryscore>
        <adlcp:datafromlms>level=2;lang=zh</adlcp:datafromlms>
      </item>
      <item identifier="I2" identifierref="R2"><title>Lesson 2</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="R1" type="webcontent" adlcp:scormtype="sco" href="one.html">
      <file href="one.html"/>
    </resource>
    <resource identifier="R2" type="webcontent" adlcp:scormtype="sco" href="two.html">
      <file href="two.html"/>
    </resource>
  </resources>
</manifest>"""

SCORM2004_ONE_SCO = b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="MAN-2004" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
  <organizations default="ORG1">
    <organization identifier="ORG1"><title>Lathe</title>
      <item identifier="SCO1" identifierref="R1">
        <title>Intro</title>
        <adlcp:dataFromLMS>mode=exam</adlcp:dataFromLMS>
        <imsss:sequencing><imsss:objectives>
          <imsss:primaryObjective satisfiedByMeasure="true">
            <imsss:minNormalizedMeasure>0.7</imsss:minNormalizedMeasure>
          </imsss:primaryObjective>
        </imsss:objectives></imsss:sequencing>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="R1" type="webcontent" adlcp:scormType="sco" href="index.html">
      <file href="index.html"/>
    </resource>
  </resources>
</manifest>"""


def publish(world, manifest: bytes, files: dict[str, bytes]) -> PackageVersion:
    """A published version whose description is what ingest reads from ``manifest``."""
    report = inspect_archive(io.BytesIO(make_zip({"imsmanifest.xml": manifest} | files)))
    described = report.to_dict()
    assert described["accepted"], described["errors"]
    session = world.session
    package = Package(organization_id=world.org.id, title=described["title"] or "course")
    session.add(package)
    session.flush()
    version = PackageVersion(
        package_id=package.id,
        number=1,
        status=VersionStatus.published,
        format=described["format"],
        title=described["title"],
        launch=described["launch"],
        units=described["units"],
        storage_prefix=f"packages/{uuid.uuid4().hex}/",
        published_at=utcnow(),
    )
    session.add(version)
    session.commit()
    return version


def enrol_in_package(world, manifest: bytes, files: dict[str, bytes]) -> Enrolled:
    version = publish(world, manifest, files)
    return enrol(world, package_ids=[str(version.package_id)])


def scorm12_course(world) -> Enrolled:
    return enrol_in_package(world, SCORM12_TWO_SCOS, {"one.html": HTML, "two.html": HTML})


def scorm2004_course(world) -> Enrolled:
    return enrol_in_package(world, SCORM2004_ONE_SCO, {"index.html": HTML})
