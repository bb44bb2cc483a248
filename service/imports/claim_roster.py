"""The subsidy claim roster (补贴申领名册) of one offering, as the XLSX a training provider hands
to the human resources and social security bureau (人力资源和社会保障局) when it claims
vocational training subsidies (职业技能培训补贴).

One row per *completed* enrollment (only a completed training is claimed: README, Training
records / Enrollments), in completion order: the person (name, sex, full ID number, target
groups, phone), the training (occupation, level, the person's own dates, 学时), the assessment,
the credential and the subsidy decision with its reasons. A title row names the offering, the
organization and the period; a totals row closes the sheet. Column choices: README, "Subsidy
claim roster".

The bureau matches claims by ID number, so the roster carries the full numbers, decrypted here:
the export is audited (the action, the offering and the row count; never a number), and the
router commits that audit row before any byte leaves. Rows are read in chunks and written to an
openpyxl write-only workbook in an anonymous temporary file (no name on disk, gone when closed),
so a large offering never sits in memory and no file of numbers outlives the response. Cells go
through :func:`service.core.spreadsheet.xlsx_row`: a name typed as ``=HYPERLINK(...)`` stays
text, and ID and phone numbers stay text (never a number Excel would round).
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from sqlmodel import Session, col, select

from service.accounts.access import Principal
from service.accounts.audit import record_audit
from service.accounts.models import Organization
from service.core.spreadsheet import xlsx_row
from service.core.timeutil import CITY_TZ, as_utc
from service.issuing.lifelong_record import credentials_for_enrollments
from service.training.hours_rules import minutes_to_xueshi
from service.training.learners import cipher
from service.training.ledger import minutes_by_enrollment
from service.training.models import Enrollment, Learner, Offering
from service.training.occupations import LEVEL_NAMES
from service.training.reference_data import FundingKind
from service.training.reference_models import (
    RefFundingKind,
    RefLearnerGroup,
    RefOccupation,
    RefTrainingType,
)
from service.training.states import EnrollmentState
from service.training.subsidy import (
    ANNUAL_LIMIT_REACHED,
    LOWER_LEVEL_AFTER_HIGHER,
    OCCUPATION_LEVEL_ALREADY_SUBSIDISED,
)

AUDIT_ACTION = "offering.subsidy_roster"
SHEET_TITLE = "补贴申领名册"
TITLE = "职业技能培训补贴申领名册"
CHUNK = 500
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HEADER = (
    "序号",
    "姓名",
    "性别",
    "身份证号码",
    "人员类别",
    "联系电话",
    "职业（工种）",
    "培训等级",
    "培训起止日期",
    "培训学时",
    "考核结果",
    "考核成绩",
    "证书编号",
    "是否享受补贴",
    "备注",
)
HOURS_COLUMN = HEADER.index("培训学时")
SUBSIDY_COLUMN = HEADER.index("是否享受补贴")
NOTE_COLUMN = HEADER.index("备注")
COLUMN_WIDTHS = (6, 12, 6, 22, 16, 14, 18, 10, 24, 10, 10, 10, 48, 12, 40)

# National skill levels as the certificates name them: 五级/初级工 .. 一级/高级技师.
LEVEL_GRADES = {5: "五级", 4: "四级", 3: "三级", 2: "二级", 1: "一级"}

# The subsidy rules' reasons in the bureau's words (service.training.subsidy has the rules and
# English messages with the figures; an unknown code falls back to its message).
REASON_TEXT = {
    ANNUAL_LIMIT_REACHED: "本年度享受补贴次数已达上限",
    OCCUPATION_LEVEL_ALREADY_SUBSIDISED: "同一职业（工种）同一等级已享受过补贴",
    LOWER_LEVEL_AFTER_HIGHER: "已享受该职业（工种）更高等级补贴，不再享受低等级补贴",
}
CREDENTIAL_STATE_TEXT = {"revoked": "已撤销", "suspended": "已暂停", "expired": "已过期"}


@dataclass(frozen=True, slots=True)
class RosterRow:
    number: int
    name: str
    sex: str | None
    id_number: str
    groups: str
    phone: str | None
    occupation: str
    level: str
    period: str
    xueshi: Decimal
    assessment: str
    score: float | None
    credentials: str
    subsidised: bool
    note: str

    def cells(self) -> list[Any]:
        return [
            self.number,
            self.name,
            self.sex,
            self.id_number,
            self.groups,
            self.phone,
            self.occupation,
            self.level,
            self.period,
            self.xueshi,
            self.assessment,
            self.score,
            self.credentials,
            "是" if self.subsidised else "否",
            self.note,
        ]


@dataclass(slots=True)
class RosterTotals:
    learners: int = 0
    xueshi: Decimal = Decimal("0.00")
    subsidised: int = 0

    def add(self, row: RosterRow) -> None:
        self.learners += 1
        self.xueshi += row.xueshi
        self.subsidised += int(row.subsidised)


@dataclass(frozen=True, slots=True)
class RosterExport:
    """The finished workbook (an anonymous temporary file at offset 0) and its totals."""

    file: IO[bytes]
    totals: RosterTotals


class _Labels:
    """The reference data's Chinese names, read once per export."""

    def __init__(self, session: Session, offering: Offering):
        self.groups = {r.code: r.label for r in session.exec(select(RefLearnerGroup))}
        occupation = session.get(RefOccupation, offering.occupation_code)
        self.occupation = occupation.name if occupation else offering.occupation_code
        self.level = level_text(offering.level)
        training_type = session.get(RefTrainingType, offering.training_type)
        self.training_type = training_type.label if training_type else offering.training_type
        funding = session.get(RefFundingKind, offering.funding)
        self.funding = funding.label if funding else offering.funding


def level_text(level: int) -> str:
    """``初级工（五级）``: the level as certificates name it."""
    name = LEVEL_NAMES.get(level)
    return f"{name}（{LEVEL_GRADES[level]}）" if name else str(level)


def sex_from_id(number: str) -> str | None:
    """GB 11643: the 17th digit (the sequence code's last) is odd for men, even for women."""
    if len(number) != 18 or not number[16].isdigit():
        return None
    return "男" if int(number[16]) % 2 else "女"


def _day(moment: datetime | None) -> date | None:
    return as_utc(moment).astimezone(CITY_TZ).date() if moment is not None else None


def _period(enrollment: Enrollment) -> str:
    """The person's own training dates: from the first recorded learning (or the enrolment)
    to the completion."""
    start = _day(enrollment.started_at) or _day(enrollment.created_at)
    end = _day(enrollment.completed_at)
    return f"{start.isoformat() if start else ''}至{end.isoformat() if end else ''}"


def assessment_text(enrollment: Enrollment, offering: Offering) -> str:
    if enrollment.assessment_passed is True:
        return "合格"
    if enrollment.package_passed is True:
        return "合格（线上测评）"
    if not offering.assessment_required:
        return "免考核"
    return ""


def _score(enrollment: Enrollment) -> float | None:
    # the trainer's score, else the package's: the score the credential carries
    if enrollment.assessment_score is not None:
        return enrollment.assessment_score
    return enrollment.package_score


def _reasons(decision: dict) -> str:
    texts = []
    for reason in decision.get("reasons") or []:
        code = reason.get("code")
        texts.append(REASON_TEXT.get(code) or reason.get("message") or str(code))
    return "；".join(texts)


def subsidy_note(enrollment: Enrollment, offering: Offering) -> str:
    """Why a completed training is not subsidised ("" when it is)."""
    if enrollment.subsidised:
        return ""
    decision = enrollment.subsidy_decision or {}
    at_completion = decision.get("at_completion") or {}
    if at_completion and not at_completion.get("granted", True):
        return "结业复核未通过：" + (_reasons(at_completion) or "不符合补贴条件")
    if decision and not decision.get("granted", True):
        return "报名审核未通过：" + (_reasons(decision) or "不符合补贴条件")
    if offering.funding != FundingKind.SUBSIDISED:
        return "非政府补贴培训项目"
    return "未申请补贴"


def _credential_text(items: Sequence[dict]) -> tuple[str, str]:
    """The credential ids (a revoked or suspended one marked) and a note when none is issued."""
    if not items:
        return "", "证书签发中"
    texts = []
    for item in items:
        state = CREDENTIAL_STATE_TEXT.get(item.get("state", ""))
        texts.append(f"{item['id']}（{state}）" if state else item["id"])
    return "；".join(texts), ""


def completed_ids(session: Session, offering_id: uuid.UUID) -> list[uuid.UUID]:
    """The offering's completed enrollments, in completion order."""
    return list(
        session.exec(
            select(Enrollment.id)
            .where(
                Enrollment.offering_id == offering_id,
                Enrollment.state == EnrollmentState.COMPLETED,
            )
            .order_by(col(Enrollment.completed_at), col(Enrollment.id))
        ).all()
    )


def iter_rows(
    session: Session,
    offering: Offering,
    ids: Sequence[uuid.UUID],
    labels: _Labels | None = None,
) -> Iterator[RosterRow]:
    """The roster's rows for ``ids`` (completed enrollments of ``offering``), chunk by chunk."""
    labels = labels or _Labels(session, offering)
    pii = cipher()
    number = 0
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        pairs = {
            enrollment.id: (enrollment, learner)
            for enrollment, learner in session.exec(
                select(Enrollment, Learner).where(
                    col(Enrollment.id).in_(chunk), Learner.id == Enrollment.learner_id
                )
            ).all()
        }
        minutes = minutes_by_enrollment(session, chunk)
        credentials = credentials_for_enrollments(session, chunk)
        for enrollment_id in chunk:
            enrollment, learner = pairs[enrollment_id]
            number += 1
            id_number = pii.decrypt(learner.id_encrypted, context=learner.id.bytes)
            phone = (
                pii.decrypt(learner.phone_encrypted, context=learner.id.bytes)
                if learner.phone_encrypted
                else None
            )
            credential_ids, pending = _credential_text(credentials.get(enrollment_id, []))
            note = "；".join(t for t in (subsidy_note(enrollment, offering), pending) if t)
            yield RosterRow(
                number=number,
                name=learner.name,
                sex=sex_from_id(id_number),
                id_number=id_number,
                groups="、".join(labels.groups.get(g, g) for g in learner.groups or []),
                phone=phone,
                occupation=labels.occupation,
                level=labels.level,
                period=_period(enrollment),
                xueshi=minutes_to_xueshi(minutes.get(enrollment_id, {}).get("minutes", 0)),
                assessment=assessment_text(enrollment, offering),
                score=_score(enrollment),
                credentials=credential_ids,
                subsidised=enrollment.subsidised,
                note=note,
            )


def title_cells(session: Session, offering: Offering, labels: _Labels, today: date) -> list[str]:
    organization = session.get(Organization, offering.organization_id)
    org = organization.name if organization else str(offering.organization_id)
    if organization is not None and organization.credit_code:
        org += f"（统一社会信用代码：{organization.credit_code}）"
    return [
        TITLE,
        f"培训项目：{offering.title}",
        f"培训机构：{org}",
        f"职业（工种）：{labels.occupation}（{offering.occupation_code}） {labels.level}",
        f"培训期间：{offering.starts_on.isoformat()}至{offering.ends_on.isoformat()}",
        f"培训类型：{labels.training_type}；资金来源：{labels.funding}",
        f"导出日期：{today.isoformat()}",
    ]


def totals_cells(totals: RosterTotals) -> list[Any]:
    cells: list[Any] = [None] * len(HEADER)
    cells[0] = "合计"
    cells[1] = totals.learners
    cells[HOURS_COLUMN] = totals.xueshi
    cells[SUBSIDY_COLUMN] = totals.subsidised
    cells[NOTE_COLUMN] = (
        f"共{totals.learners}人，合计{totals.xueshi}学时，享受补贴{totals.subsidised}人"
    )
    return cells


def _append(sheet, values: list[Any]) -> None:
    cells = xlsx_row(sheet, values)
    if isinstance(values[HOURS_COLUMN], Decimal):
        cells[HOURS_COLUMN].number_format = "0.00"  # 学时 as the ledger shows them: two places
    sheet.append(cells)


def write_roster(
    session: Session, offering: Offering, handle: IO[bytes], today: date
) -> RosterTotals:
    """Write the roster of ``offering`` as XLSX into ``handle`` (a binary file)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    for index, width in enumerate(COLUMN_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    labels = _Labels(session, offering)
    sheet.append(xlsx_row(sheet, title_cells(session, offering, labels, today)))
    sheet.append(xlsx_row(sheet, list(HEADER)))
    totals = RosterTotals()
    for row in iter_rows(session, offering, completed_ids(session, offering.id), labels):
        _append(sheet, row.cells())
        totals.add(row)
    _append(sheet, totals_cells(totals))
    workbook.save(handle)
    return totals


def export_roster(
    session: Session, principal: Principal, offering: Offering, today: date
) -> RosterExport:
    """The roster as an XLSX in an anonymous temporary file, and its audit entry (flushed; the
    caller commits before handing the file out). Access is the caller's to check: org_admin of
    the offering's organization or admin."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the response, which closes it)
    try:
        totals = write_roster(session, offering, handle, today)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    record_audit(
        session,
        actor=principal,
        action=AUDIT_ACTION,
        subject_type="offering",
        subject_id=str(offering.id),
        detail=f"fields=id_number,phone;rows={totals.learners}",
    )
    session.flush()
    return RosterExport(file=handle, totals=totals)


def file_chunks(handle: IO[bytes], size: int = 65_536) -> Iterator[bytes]:
    """The file's bytes for a streaming response; closes (and so removes) it at the end."""
    try:
        while chunk := handle.read(size):
            yield chunk
    finally:
        handle.close()
