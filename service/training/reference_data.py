"""Reference data for the training domain: districts, "361" clusters, levels and vocabularies.

Plain, immutable data with lookup helpers. A migration (or ``skills seed``) copies it into
tables; the code here is the reviewed source of that data, so a correction is a code change plus
a data migration, never an edit in production.

Occupations live in :mod:`service.training.occupations` (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.training.occupations import (  # noqa: F401  (re-exported)
    LEVEL_NAMES,
    OCCUPATIONS,
    Occupation,
    get_occupation,
    is_occupation_code,
    level_name,
)

# --- Districts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class District:
    """A county-level division (区县市) of Ningbo, or the city itself, with its GB/T 2260 code."""

    code: str
    name: str
    kind: str  # "city" | "district" (区) | "county" (县) | "county_city" (县级市)


NINGBO_CITY = District("330200", "宁波市", "city")

# Current divisions since the 2016 adjustment (江东区 merged into 鄞州/海曙, 奉化 became a
# district). Codes per GB/T 2260 / the Ministry of Civil Affairs code list.
NINGBO_DISTRICTS: tuple[District, ...] = (
    District("330203", "海曙区", "district"),
    District("330205", "江北区", "district"),
    District("330206", "北仑区", "district"),
    District("330211", "镇海区", "district"),
    District("330212", "鄞州区", "district"),
    District("330213", "奉化区", "district"),
    District("330225", "象山县", "county"),
    District("330226", "宁海县", "county"),
    District("330281", "余姚市", "county_city"),
    District("330282", "慈溪市", "county_city"),
)

_DISTRICTS_BY_CODE = {d.code: d for d in (NINGBO_CITY, *NINGBO_DISTRICTS)}


def get_district(code: str) -> District | None:
    """The division with this code (the city included), or ``None``."""
    return _DISTRICTS_BY_CODE.get(code)


def is_ningbo_district(code: str) -> bool:
    """True for the ten county-level divisions (not for the city code itself)."""
    return code in _DISTRICTS_BY_CODE and code != NINGBO_CITY.code


# --- "361" industry clusters ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndustryCluster:
    """One cluster of one version of the "361" list. ``(version, code)`` is the stable key."""

    version: str
    code: str
    name: str
    tier: str
    tier_label: str


@dataclass(frozen=True, slots=True)
class ClusterVersion:
    version: str
    title: str
    source: str
    clusters: tuple[IndustryCluster, ...]


def _clusters(version: str, tiers: dict[str, tuple[str, list[tuple[str, str]]]]):
    return tuple(
        IndustryCluster(version, code, name, tier, tier_label)
        for tier, (tier_label, entries) in tiers.items()
        for code, name in entries
    )


CLUSTERS_2023 = ClusterVersion(
    version="2023",
    title="“361”万千亿级产业集群",
    source=(
        "《宁波市加快打造“361”万千亿级产业集群行动方案（2023—2027年）》, issued July 2023, as "
        "summarised by 宁波市经信局 (jxj.ningbo.gov.cn, 2023-12-04). The '1' is 'a group of "
        "emerging and future industries' (前沿新材料、未来智能、元宇宙、未来诊疗 等); "
        "the list is open ('等'), so it is one bucket here rather than separate entries."
    ),
    clusters=_clusters(
        "2023",
        {
            "trillion": (
                "万亿级产业集群",
                [
                    ("digital_industry", "数字产业"),
                    ("green_petrochemical", "绿色石化"),
                    ("high_end_equipment", "高端装备"),
                ],
            ),
            "hundred_billion": (
                "千亿级产业集群",
                [
                    ("new_functional_materials", "新型功能材料"),
                    ("new_energy", "新能源"),
                    ("key_basic_components", "关键基础件"),
                    ("smart_home_appliances", "智能家电"),
                    ("fashion_textile_apparel", "时尚纺织服装"),
                    ("modern_health", "现代健康"),
                ],
            ),
            "emerging": (
                "新兴和未来产业集群",
                [
                    (
                        "emerging_future_industries",
                        "新兴和未来产业（前沿新材料、未来智能、元宇宙、未来诊疗等）",
                    )
                ],
            ),
        },
    ),
)

CLUSTERS_2025 = ClusterVersion(
    version="2025",
    title="“361”现代化产业体系",
    source=(
        "《加快建设“361”现代化产业体系实施方案》, 宁波市人民政府办公厅, 2025-06-21: "
        "three flagship clusters (标志性产业集群), six strategic clusters (战略性产业集群) "
        "and 'a batch of forward-looking future industries' (一批前瞻性未来产业). "
        "The same plan's productive-service and "
        "agriculture strands are not industry clusters and are not listed."
    ),
    clusters=_clusters(
        "2025",
        {
            "flagship": (
                "标志性产业集群",
                [
                    ("green_petrochemical", "绿色石化"),
                    ("nev_high_end_equipment", "新能源汽车及高端装备"),
                    ("new_materials", "新材料"),
                ],
            ),
            "strategic": (
                "战略性产业集群",
                [
                    ("ai_robotics", "人工智能与机器人"),
                    ("next_gen_it", "新一代信息技术"),
                    ("green_energy", "绿色能源"),
                    ("life_health", "生命健康"),
                    ("fashion_consumer_goods", "时尚消费品"),
                    ("aerospace_marine_equipment", "航空航天与海工装备"),
                ],
            ),
            "future": ("未来产业", [("future_industries", "前瞻性未来产业")]),
        },
    ),
)

CLUSTER_VERSIONS: dict[str, ClusterVersion] = {v.version: v for v in (CLUSTERS_2023, CLUSTERS_2025)}
CURRENT_CLUSTER_VERSION = "2025"


def clusters_for(version: str) -> tuple[IndustryCluster, ...]:
    """All clusters of one version; ``KeyError`` for an unknown version."""
    return CLUSTER_VERSIONS[version].clusters


def get_cluster(version: str, code: str) -> IndustryCluster | None:
    version_data = CLUSTER_VERSIONS.get(version)
    if version_data is None:
        return None
    return next((c for c in version_data.clusters if c.code == code), None)


# --- Occupations in clusters ---------------------------------------------------------------------
#
# Which "361" clusters an occupation's work belongs to, per edition of the list. It lets an
# offering without a cluster be counted under its occupation's cluster, and refuses a cluster
# the occupation has nothing to do with (a hairdressing class counted as petrochemicals).
#
# Provenance and uncertainty: neither plan maps occupations to clusters. This is a reviewed
# judgement from the plans' descriptions of each cluster (the 2023 high-end equipment cluster
# includes automobiles; the 2025 plan joins them as 新能源汽车及高端装备, keeps marine
# engineering under 航空航天与海工装备, and has no 关键基础件 cluster of its own) and from what
# each occupation makes or runs. It is incomplete on purpose, so an occupation without a row
# (an empty set) is not a contradiction of any cluster; it is either
#   - a service occupation outside every industry cluster (cooks, hairdressers, care workers,
#     security guards, logistics, e-commerce, construction trades, farming managers: the 2025
#     plan's productive-service and agriculture strands are not clusters), or
#   - a trade every cluster employs alike (电工, 机修钳工), where no cluster is implied.
# Such offerings get no derived cluster and accept any cluster staff give. The least certain
# rows are marked ``# verify``: the machining trades also work for smart home appliances and
# new energy equipment makers; extend a row (a code change, reviewed) rather than leave staff
# unable to name the cluster they train for.

_EQUIPMENT_2023 = ("key_basic_components", "high_end_equipment")
_EQUIPMENT_2025 = ("nev_high_end_equipment", "aerospace_marine_equipment")

# (occupation code, clusters in the 2023 edition, clusters in the 2025 edition)
_OCCUPATION_CLUSTER_ROWS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("4-04-04-02", ("digital_industry",), ("next_gen_it",)),  # 网络与信息安全管理员
    ("4-04-05-05", ("digital_industry",), ("ai_robotics",)),  # 人工智能训练师
    ("6-11-01-03", ("green_petrochemical",), ("green_petrochemical",)),  # 化工总控工
    ("6-18-01-01", _EQUIPMENT_2023, _EQUIPMENT_2025),  # 车工  # verify
    ("6-18-01-02", _EQUIPMENT_2023, _EQUIPMENT_2025),  # 铣工  # verify
    ("6-18-01-04", _EQUIPMENT_2023, _EQUIPMENT_2025),  # 磨工  # verify
    ("6-18-01-07", _EQUIPMENT_2023, _EQUIPMENT_2025),  # 多工序数控机床操作调整工  # verify
    ("6-18-02-04", _EQUIPMENT_2023, _EQUIPMENT_2025),  # 焊工  # verify
    ("6-18-04-01", _EQUIPMENT_2023, _EQUIPMENT_2025),  # 工具钳工  # verify
    ("6-20-01-01", _EQUIPMENT_2023, _EQUIPMENT_2025),  # 装配钳工  # verify
    ("6-22-02-01", ("high_end_equipment",), ("nev_high_end_equipment",)),  # 汽车装调工
    ("6-25-04-10", ("digital_industry",), ("next_gen_it",)),  # 物联网安装调试员
    ("6-30-99-00", ("high_end_equipment",), ("ai_robotics",)),  # 工业机器人系统操作员
    ("6-31-01-10", ("high_end_equipment",), ("ai_robotics",)),  # 工业机器人系统运维员
)

_ROW_EDITIONS = ("2023", "2025")  # the editions of the rows' second and third columns


def _in_list_order(version: str, codes: tuple[str, ...]) -> tuple[str, ...]:
    """``codes`` in the order the edition lists its clusters; ``KeyError`` for a typo."""
    known = {c.code for c in clusters_for(version)}
    unknown = set(codes) - known
    if unknown:
        raise KeyError(f"not clusters of the {version} edition: {sorted(unknown)}")
    return tuple(c.code for c in clusters_for(version) if c.code in codes)


# edition -> occupation code -> the clusters of that edition the occupation belongs to
OCCUPATION_CLUSTERS: dict[str, dict[str, tuple[str, ...]]] = {
    version: {code: _in_list_order(version, row[i]) for code, *row in _OCCUPATION_CLUSTER_ROWS}
    for i, version in enumerate(_ROW_EDITIONS)
}


def occupation_clusters(version: str, occupation_code: str) -> tuple[str, ...]:
    """The clusters of ``version`` the occupation belongs to; empty when it implies none."""
    return OCCUPATION_CLUSTERS.get(version, {}).get(occupation_code, ())


# --- Vocabularies --------------------------------------------------------------------------------


class TrainingType(StrEnum):
    EMPLOYMENT = "employment"
    UPSKILLING = "upskilling"
    ENTREPRENEURSHIP = "entrepreneurship"
    OTHER = "other"


TRAINING_TYPE_LABELS: dict[TrainingType, str] = {
    TrainingType.EMPLOYMENT: "就业技能培训",
    TrainingType.UPSKILLING: "岗位技能提升培训",
    TrainingType.ENTREPRENEURSHIP: "创业培训",
    TrainingType.OTHER: "其他",
}


class FundingKind(StrEnum):
    SUBSIDISED = "subsidised"
    MARKET = "market"
    ENTERPRISE_FUNDED = "enterprise_funded"


FUNDING_KIND_LABELS: dict[FundingKind, str] = {
    FundingKind.SUBSIDISED: "政府补贴",
    FundingKind.MARKET: "市场化",
    FundingKind.ENTERPRISE_FUNDED: "企业自主",
}


class OfferingMode(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    BLENDED = "blended"


OFFERING_MODE_LABELS: dict[OfferingMode, str] = {
    OfferingMode.ONLINE: "线上",
    OfferingMode.OFFLINE: "线下",
    OfferingMode.BLENDED: "线上线下混合",
}


class LearnerGroup(StrEnum):
    ENTERPRISE_EMPLOYEE = "enterprise_employee"
    MIGRANT_WORKER = "migrant_worker"
    COLLEGE_GRADUATE = "college_graduate"
    UNEMPLOYED = "unemployed"
    RURAL = "rural"
    VETERAN = "veteran"
    DISABLED = "disabled"
    NINGBO_CRAFTSMAN = "ningbo_craftsman"


LEARNER_GROUP_LABELS: dict[LearnerGroup, str] = {
    LearnerGroup.ENTERPRISE_EMPLOYEE: "企业职工",
    LearnerGroup.MIGRANT_WORKER: "农民工",
    LearnerGroup.COLLEGE_GRADUATE: "高校毕业生",
    LearnerGroup.UNEMPLOYED: "失业人员",
    LearnerGroup.RURAL: "农村劳动力",
    LearnerGroup.VETERAN: "退役军人",
    LearnerGroup.DISABLED: "残疾人",
    LearnerGroup.NINGBO_CRAFTSMAN: "宁波工匠培育对象",
}


def labelled(labels: dict[StrEnum, str]) -> tuple[tuple[str, str], ...]:
    """``(code, label)`` pairs in declaration order, the shape a seeding migration inserts."""
    return tuple((str(code), label) for code, label in labels.items())
