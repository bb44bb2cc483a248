"""Reference data: codes are well-formed, unique, and lookups work."""

from __future__ import annotations

import pytest

from service.training.occupations import ALL_LEVELS, is_occupation_code, level_name
from service.training.reference_data import (
    CLUSTER_VERSIONS,
    CURRENT_CLUSTER_VERSION,
    FUNDING_KIND_LABELS,
    LEARNER_GROUP_LABELS,
    NINGBO_CITY,
    NINGBO_DISTRICTS,
    OCCUPATIONS,
    TRAINING_TYPE_LABELS,
    FundingKind,
    LearnerGroup,
    TrainingType,
    clusters_for,
    get_cluster,
    get_district,
    get_occupation,
    is_ningbo_district,
    labelled,
)


def test_ningbo_has_ten_county_level_divisions_under_3302():
    assert len(NINGBO_DISTRICTS) == 10
    assert NINGBO_CITY.code == "330200"
    codes = [d.code for d in NINGBO_DISTRICTS]
    assert len(set(codes)) == 10
    assert all(c.startswith("3302") and len(c) == 6 for c in codes)
    assert get_district("330203").name == "海曙区"
    assert get_district("330213").name == "奉化区"
    assert get_district("330282").name == "慈溪市"
    assert get_district("330204") is None  # 江东区, merged in 2016
    assert is_ningbo_district("330212") and not is_ningbo_district("330200")


def test_cluster_versions_follow_the_361_shape():
    assert set(CLUSTER_VERSIONS) == {"2023", "2025"}
    assert CURRENT_CLUSTER_VERSION in CLUSTER_VERSIONS
    for version in CLUSTER_VERSIONS:
        clusters = clusters_for(version)
        tiers = [c.tier for c in clusters]
        counts = sorted(tiers.count(t) for t in set(tiers))
        assert counts == [1, 3, 6], version
        assert len({c.code for c in clusters}) == len(clusters)
        assert CLUSTER_VERSIONS[version].source
    assert get_cluster("2025", "ai_robotics").name == "人工智能与机器人"
    assert get_cluster("2023", "ai_robotics") is None
    assert get_cluster("2023", "digital_industry").tier == "trillion"
    assert get_cluster("1999", "x") is None
    with pytest.raises(KeyError):
        clusters_for("1999")


def test_occupations_are_well_formed():
    assert len(OCCUPATIONS) >= 35
    for code, occupation in OCCUPATIONS.items():
        assert is_occupation_code(code), code
        assert occupation.levels and set(occupation.levels) <= set(ALL_LEVELS)
        assert occupation.name
    assert get_occupation("6-31-01-03").name == "电工"
    assert get_occupation("6-31-01-03").allows(1)
    assert not get_occupation("4-10-01-02").allows(1)  # 育婴员 stops at 高级工
    assert get_occupation("0-00-00-00") is None
    assert not is_occupation_code("6-31-1-03")


def test_level_names():
    assert [level_name(level) for level in ALL_LEVELS] == [
        "初级工",
        "中级工",
        "高级工",
        "技师",
        "高级技师",
    ]
    with pytest.raises(ValueError):
        level_name(6)


def test_vocabularies_have_labels_for_every_code():
    assert set(TRAINING_TYPE_LABELS) == set(TrainingType)
    assert TRAINING_TYPE_LABELS[TrainingType.UPSKILLING] == "岗位技能提升培训"
    assert set(FUNDING_KIND_LABELS) == set(FundingKind)
    assert set(LEARNER_GROUP_LABELS) == set(LearnerGroup)
    assert labelled(TRAINING_TYPE_LABELS)[0] == ("employment", "就业技能培训")
