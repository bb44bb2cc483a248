"""The columns of each import kind, and how a header cell names one.

A header cell may give the Chinese name, the English name (the canonical field name, with
spaces or hyphens for the underscores if one likes), or both as the templates write them:
``身份证号 (id_number)``. Full-width characters are folded (NFKC), case is ignored, and the two
names may be split by parentheses (ASCII or full-width), brackets or a slash. A cell naming two
different fields names none.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from service.training.idnumber import compute_check_digit

KINDS = ("learners", "enrollments", "attendance")

# An example ID number that passes GB 11643's check (address 330212, born 1990-03-07, sequence
# 123), so a template's example row fails nothing but the fact that nobody has it.
EXAMPLE_ID_NUMBER = "33021219900307123" + compute_check_digit("33021219900307123")
EXAMPLE_OFFERING_ID = "5f0c2a4e-8b1d-4c3e-9a7f-2d6b1e0c9a11"


@dataclass(frozen=True)
class Column:
    """One column of an import: its canonical ``field``, its Chinese name ``zh``, whether the
    header must have it, an example value, and a note (Chinese, then English) for templates.
    ``text``: digits that must stay text (ID numbers, phones) or dates and times a spreadsheet
    would otherwise convert; templates format such columns as text."""

    field: str
    zh: str
    required: bool
    example: str
    note: str
    text: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def en(self) -> str:
        return self.field

    @property
    def label(self) -> str:
        return f"{self.zh} ({self.en})"


def _id(required: bool = True, note: str = "") -> Column:
    return Column(
        "id_number",
        "身份证号",
        required,
        EXAMPLE_ID_NUMBER,
        note or "18 位居民身份证号，末位可为 X。 18-character resident ID number (last may be X).",
        text=True,
        aliases=("身份证号码", "证件号码", "公民身份号码"),
    )


def _offering() -> Column:
    return Column(
        "offering_id",
        "培训班ID",
        True,
        EXAMPLE_OFFERING_ID,
        "培训班编号（在培训班页面复制）。 The offering's id, as shown on its page.",
        aliases=("培训班编号",),
    )


COLUMNS: dict[str, tuple[Column, ...]] = {
    "learners": (
        _id(),
        Column("name", "姓名", True, "张三", "与身份证一致的姓名。 Name as on the ID card."),
        Column(
            "district_code",
            "区县代码",
            True,
            "330212",
            "户籍或常住地区县代码（6 位）。 6-digit district code (GB/T 2260).",
            text=True,
            aliases=("区县编码", "区县"),
        ),
        Column(
            "phone",
            "手机号",
            False,
            "13800138000",
            "选填，11 位手机号。 Optional: 11-digit mobile number.",
            text=True,
            aliases=("手机号码", "手机", "联系电话"),
        ),
        Column(
            "groups",
            "人员类别",
            False,
            "enterprise_employee",
            "选填，类别代码，多个用分号、逗号或顿号分隔。 "
            "Optional: group codes, separated by ; , or 、",
        ),
        Column(
            "groups_reason",
            "类别依据",
            False,
            "已核验劳动合同",
            "填写人员类别时必填：核验了什么。 Required with groups: what was checked.",
        ),
    ),
    "enrollments": (
        _id(
            required=False,
            note="身份证号与学员ID至少填一项。 ID number or learner id: at least one of them.",
        ),
        Column(
            "learner_id",
            "学员ID",
            False,
            "",
            "身份证号与学员ID至少填一项。 Learner id or ID number: at least one of them.",
            aliases=("学员编号",),
        ),
        Column(
            "name",
            "姓名",
            False,
            "张三",
            "选填，用于核对本人。 Optional: checked against the person's record.",
        ),
        _offering(),
    ),
    "attendance": (
        _id(),
        _offering(),
        Column(
            "date",
            "日期",
            True,
            "2026-03-02",
            "上课日期，如 2026-03-02。 Session date, e.g. 2026-03-02.",
            text=True,
            aliases=("上课日期", "培训日期"),
        ),
        Column(
            "start",
            "开始时间",
            True,
            "09:00",
            "开始时间，如 09:00。 Start time, e.g. 09:00.",
            text=True,
            aliases=("start_time",),
        ),
        Column(
            "end",
            "结束时间",
            True,
            "11:30",
            "结束时间，如 11:30。 End time, e.g. 11:30.",
            text=True,
            aliases=("end_time",),
        ),
        Column(
            "mode",
            "方式",
            True,
            "面授",
            "面授/线下 或 线上/网络。 classroom (offline) or online.",
            aliases=("培训方式", "上课方式"),
        ),
        Column(
            "row_key",
            "记录编号",
            False,
            "KQ-2026-000123",
            "选填：本机构内唯一的考勤记录编号（如考勤系统的记录号），不是表格的行号；"
            "同一编号再次导入即为重复。不填时按身份证号、培训班、日期、起止时间与方式去重。 "
            "Optional: the attendance "
            "record's id, unique within your organization (not the sheet's row number); the same "
            "id imported again is a duplicate. Left empty, a session is known by person, "
            "offering, date, start, end and mode.",
            aliases=("考勤记录编号", "唯一编号"),
        ),
    ),
}

# Enrollments name the person by either column; the header needs at least one of them.
ONE_OF: dict[str, tuple[str, ...]] = {"enrollments": ("id_number", "learner_id")}

_SPLIT = re.compile(r"[()\[\]【】/|]")
_SEPARATORS = re.compile(r"[\s_\-.]+")
_MARKS = re.compile(r"[*:]")  # a required-column star, a trailing colon


def _key(part: str) -> str:
    """A name without separators and marks: ``ID Number``, ``id-number``, ``学员 ID`` match."""
    return _SEPARATORS.sub("", _MARKS.sub("", part))


def _aliases() -> dict[str, str]:
    names: dict[str, str] = {}
    for columns in COLUMNS.values():
        for c in columns:
            for name in (c.field, c.zh, *c.aliases):
                names[_key(name.casefold())] = c.field
    return names


_NAMES = _aliases()


def field_for_header(cell: str) -> str | None:
    """The canonical field a header cell names, or None (blank, unknown, or naming two)."""
    text = unicodedata.normalize("NFKC", cell).casefold().strip()
    found = {_NAMES.get(_key(part)) for part in _SPLIT.split(text) if _key(part)}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def column(kind: str, field: str) -> Column:
    return next(c for c in COLUMNS[kind] if c.field == field)
