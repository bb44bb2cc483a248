"""Skill levels and a curated list of occupations (工种) from the national classification.

Codes follow the 《中华人民共和国职业分类大典（2022年版）》 format ``X-XX-XX-XX`` (major group,
middle group, minor group, occupation). The 2022 edition kept the codes of the 2015 edition for
the occupations listed here, and added the 2019-2021 new occupations (工业机器人系统操作员/运维员,
物联网安装调试员, 人工智能训练师, 互联网营销师).

Provenance and uncertainty: no authoritative copy of the 2022 classification was available while
writing this list; codes and certifiable levels are from best knowledge of the classification and
of the national occupational skill standards (国家职业技能标准). The entries marked ``# verify``
below are the least certain. Check every code against the official edition before the seeding
migration is run in production; a correction is a data change only.

Levels: 5 初级工 (lowest) .. 1 高级技师 (highest). "Lower level" means a *larger* number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LEVEL_NAMES: dict[int, str] = {
    5: "初级工",
    4: "中级工",
    3: "高级工",
    2: "技师",
    1: "高级技师",
}
ALL_LEVELS: tuple[int, ...] = (5, 4, 3, 2, 1)
OCCUPATION_CODE_PATTERN = re.compile(r"[1-8]-\d{2}-\d{2}-\d{2}")


def level_name(level: int) -> str:
    """``初级工`` for 5 .. ``高级技师`` for 1; ``ValueError`` outside 1..5."""
    try:
        return LEVEL_NAMES[level]
    except KeyError:
        raise ValueError("skill level must be an integer from 1 (高级技师) to 5 (初级工)") from None


@dataclass(frozen=True, slots=True)
class Occupation:
    code: str
    name: str
    levels: tuple[int, ...]  # the levels this occupation can be certified at

    def allows(self, level: int) -> bool:
        return level in self.levels


def is_occupation_code(code: str) -> bool:
    """True when ``code`` has the ``X-XX-XX-XX`` shape (not whether it is in the catalog)."""
    return bool(OCCUPATION_CODE_PATTERN.fullmatch(code))


_L51 = ALL_LEVELS
_L53 = (5, 4, 3)
_L41 = (4, 3, 2, 1)
_L31 = (3, 2, 1)

_OCCUPATION_ROWS: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    # 4: 社会生产服务和生活服务人员
    ("4-01-02-02", "电子商务师", _L51),
    ("4-01-02-07", "互联网营销师", _L51),
    ("4-02-06-03", "物流服务师", _L51),  # verify
    ("4-03-02-01", "中式烹调师", _L51),
    ("4-03-02-02", "中式面点师", _L51),
    ("4-03-02-03", "西式烹调师", _L51),
    ("4-03-02-04", "西式面点师", _L51),
    ("4-03-02-07", "茶艺师", _L51),
    ("4-04-04-02", "网络与信息安全管理员", _L51),
    ("4-04-05-05", "人工智能训练师", _L51),
    ("4-07-03-02", "企业人力资源管理师", _L41),  # verify
    ("4-07-05-01", "保安员", _L51),
    ("4-07-05-04", "消防设施操作员", _L51),
    ("4-10-01-02", "育婴员", _L53),
    ("4-10-01-03", "保育师", _L53),  # verify levels
    ("4-10-01-05", "养老护理员", _L51),
    ("4-10-01-06", "家政服务员", _L51),
    ("4-10-03-01", "美容师", _L51),
    ("4-10-03-02", "美发师", _L51),
    ("4-12-01-01", "汽车维修工", _L51),
    ("4-14-01-02", "医疗护理员", (5, 4)),  # verify
    ("4-14-02-01", "公共营养师", _L41),  # verify
    ("4-14-02-02", "健康管理师", _L31),
    # 5: 农、林、牧、渔业生产及辅助人员
    ("5-05-01-02", "农业经理人", _L31),  # verify
    # 6: 生产制造及有关人员
    ("6-11-01-03", "化工总控工", _L51),
    ("6-18-01-01", "车工", _L51),
    ("6-18-01-02", "铣工", _L51),
    ("6-18-01-04", "磨工", _L51),
    ("6-18-01-07", "多工序数控机床操作调整工", _L51),
    ("6-18-02-04", "焊工", _L51),
    ("6-18-04-01", "工具钳工", _L51),  # verify
    ("6-20-01-01", "装配钳工", _L51),
    ("6-22-02-01", "汽车装调工", _L51),  # verify
    ("6-25-04-10", "物联网安装调试员", _L51),
    ("6-29-01-01", "砌筑工", _L51),  # verify
    ("6-29-01-04", "钢筋工", _L51),  # verify
    ("6-30-99-00", "工业机器人系统操作员", _L51),
    ("6-31-01-02", "机修钳工", _L51),
    ("6-31-01-03", "电工", _L51),
    ("6-31-01-10", "工业机器人系统运维员", _L51),
)

OCCUPATIONS: dict[str, Occupation] = {
    code: Occupation(code, name, levels) for code, name, levels in _OCCUPATION_ROWS
}


def get_occupation(code: str) -> Occupation | None:
    return OCCUPATIONS.get(code)
