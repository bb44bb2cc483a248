"""training: learners, offerings, enrollments, hours ledger, learning records; reference data

Revision ID: 0004_training
Revises: 0003_credentials
Create Date: 2026-11-28 14:21:39.204624
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_training"
down_revision: str | None = "0003_credentials"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# --- Reference data, copied as literals from service/training/reference_data.py and
# occupations.py at the time of this revision, so the migration stays stable if those modules
# change (a later correction is a new data migration).

DISTRICTS = [
    ("330200", "宁波市", "city"),
    ("330203", "海曙区", "district"),
    ("330205", "江北区", "district"),
    ("330206", "北仑区", "district"),
    ("330211", "镇海区", "district"),
    ("330212", "鄞州区", "district"),
    ("330213", "奉化区", "district"),
    ("330225", "象山县", "county"),
    ("330226", "宁海县", "county"),
    ("330281", "余姚市", "county_city"),
    ("330282", "慈溪市", "county_city"),
]

CLUSTER_VERSIONS = [
    (
        "2023",
        "“361”万千亿级产业集群",
        "《宁波市加快打造“361”万千亿级产业集群行动方案（2023—2027年）》, issued July 2023, as summarised by 宁波市经信局 "
        "(jxj.ningbo.gov.cn, 2023-12-04). The '1' is 'a group of emerging and future industries' "
        "(前沿新材料、未来智能、元宇宙、未来诊疗 等); the list is open ('等'), so it is one bucket here rather than "
        "separate entries.",
        False,
    ),
    (
        "2025",
        "“361”现代化产业体系",
        "《加快建设“361”现代化产业体系实施方案》, 宁波市人民政府办公厅, 2025-06-21: three flagship clusters (标志性产业集群), six "
        "strategic clusters (战略性产业集群) and 'a batch of forward-looking future industries' "
        "(一批前瞻性未来产业). The same plan's productive-service and agriculture strands are not industry "
        "clusters and are not listed.",
        True,
    ),
]

CLUSTERS = [
    ("2023", "digital_industry", "数字产业", "trillion", "万亿级产业集群"),
    ("2023", "green_petrochemical", "绿色石化", "trillion", "万亿级产业集群"),
    ("2023", "high_end_equipment", "高端装备", "trillion", "万亿级产业集群"),
    ("2023", "new_functional_materials", "新型功能材料", "hundred_billion", "千亿级产业集群"),
    ("2023", "new_energy", "新能源", "hundred_billion", "千亿级产业集群"),
    ("2023", "key_basic_components", "关键基础件", "hundred_billion", "千亿级产业集群"),
    ("2023", "smart_home_appliances", "智能家电", "hundred_billion", "千亿级产业集群"),
    ("2023", "fashion_textile_apparel", "时尚纺织服装", "hundred_billion", "千亿级产业集群"),
    ("2023", "modern_health", "现代健康", "hundred_billion", "千亿级产业集群"),
    (
        "2023",
        "emerging_future_industries",
        "新兴和未来产业（前沿新材料、未来智能、元宇宙、未来诊疗等）",
        "emerging",
        "新兴和未来产业集群",
    ),
    ("2025", "green_petrochemical", "绿色石化", "flagship", "标志性产业集群"),
    ("2025", "nev_high_end_equipment", "新能源汽车及高端装备", "flagship", "标志性产业集群"),
    ("2025", "new_materials", "新材料", "flagship", "标志性产业集群"),
    ("2025", "ai_robotics", "人工智能与机器人", "strategic", "战略性产业集群"),
    ("2025", "next_gen_it", "新一代信息技术", "strategic", "战略性产业集群"),
    ("2025", "green_energy", "绿色能源", "strategic", "战略性产业集群"),
    ("2025", "life_health", "生命健康", "strategic", "战略性产业集群"),
    ("2025", "fashion_consumer_goods", "时尚消费品", "strategic", "战略性产业集群"),
    ("2025", "aerospace_marine_equipment", "航空航天与海工装备", "strategic", "战略性产业集群"),
    ("2025", "future_industries", "前瞻性未来产业", "future", "未来产业"),
]

SKILL_LEVELS = [(5, "初级工"), (4, "中级工"), (3, "高级工"), (2, "技师"), (1, "高级技师")]

OCCUPATIONS = [
    ("4-01-02-02", "电子商务师", (5, 4, 3, 2, 1)),
    ("4-01-02-07", "互联网营销师", (5, 4, 3, 2, 1)),
    ("4-02-06-03", "物流服务师", (5, 4, 3, 2, 1)),
    ("4-03-02-01", "中式烹调师", (5, 4, 3, 2, 1)),
    ("4-03-02-02", "中式面点师", (5, 4, 3, 2, 1)),
    ("4-03-02-03", "西式烹调师", (5, 4, 3, 2, 1)),
    ("4-03-02-04", "西式面点师", (5, 4, 3, 2, 1)),
    ("4-03-02-07", "茶艺师", (5, 4, 3, 2, 1)),
    ("4-04-04-02", "网络与信息安全管理员", (5, 4, 3, 2, 1)),
    ("4-04-05-05", "人工智能训练师", (5, 4, 3, 2, 1)),
    ("4-07-03-02", "企业人力资源管理师", (4, 3, 2, 1)),
    ("4-07-05-01", "保安员", (5, 4, 3, 2, 1)),
    ("4-07-05-04", "消防设施操作员", (5, 4, 3, 2, 1)),
    ("4-10-01-02", "育婴员", (5, 4, 3)),
    ("4-10-01-03", "保育师", (5, 4, 3)),
    ("4-10-01-05", "养老护理员", (5, 4, 3, 2, 1)),
    ("4-10-01-06", "家政服务员", (5, 4, 3, 2, 1)),
    ("4-10-03-01", "美容师", (5, 4, 3, 2, 1)),
    ("4-10-03-02", "美发师", (5, 4, 3, 2, 1)),
    ("4-12-01-01", "汽车维修工", (5, 4, 3, 2, 1)),
    ("4-14-01-02", "医疗护理员", (5, 4)),
    ("4-14-02-01", "公共营养师", (4, 3, 2, 1)),
    ("4-14-02-02", "健康管理师", (3, 2, 1)),
    ("5-05-01-02", "农业经理人", (3, 2, 1)),
    ("6-11-01-03", "化工总控工", (5, 4, 3, 2, 1)),
    ("6-18-01-01", "车工", (5, 4, 3, 2, 1)),
    ("6-18-01-02", "铣工", (5, 4, 3, 2, 1)),
    ("6-18-01-04", "磨工", (5, 4, 3, 2, 1)),
    ("6-18-01-07", "多工序数控机床操作调整工", (5, 4, 3, 2, 1)),
    ("6-18-02-04", "焊工", (5, 4, 3, 2, 1)),
    ("6-18-04-01", "工具钳工", (5, 4, 3, 2, 1)),
    ("6-20-01-01", "装配钳工", (5, 4, 3, 2, 1)),
    ("6-22-02-01", "汽车装调工", (5, 4, 3, 2, 1)),
    ("6-25-04-10", "物联网安装调试员", (5, 4, 3, 2, 1)),
    ("6-29-01-01", "砌筑工", (5, 4, 3, 2, 1)),
    ("6-29-01-04", "钢筋工", (5, 4, 3, 2, 1)),
    ("6-30-99-00", "工业机器人系统操作员", (5, 4, 3, 2, 1)),
    ("6-31-01-02", "机修钳工", (5, 4, 3, 2, 1)),
    ("6-31-01-03", "电工", (5, 4, 3, 2, 1)),
    ("6-31-01-10", "工业机器人系统运维员", (5, 4, 3, 2, 1)),
]

TRAINING_TYPES = [
    ("employment", "就业技能培训"),
    ("upskilling", "岗位技能提升培训"),
    ("entrepreneurship", "创业培训"),
    ("other", "其他"),
]

FUNDING_KINDS = [
    ("subsidised", "政府补贴"),
    ("market", "市场化"),
    ("enterprise_funded", "企业自主"),
]

OFFERING_MODES = [("online", "线上"), ("offline", "线下"), ("blended", "线上线下混合")]

LEARNER_GROUPS = [
    ("enterprise_employee", "企业职工"),
    ("migrant_worker", "农民工"),
    ("college_graduate", "高校毕业生"),
    ("unemployed", "失业人员"),
    ("rural", "农村劳动力"),
    ("veteran", "退役军人"),
    ("disabled", "残疾人"),
    ("ningbo_craftsman", "宁波工匠培育对象"),
]

POLICY = {
    "id": "current",
    "max_subsidised_per_year": 3,
    "one_per_occupation_level": True,
    "no_lower_level_after_higher": True,
    "daily_cap_minutes": 480,
}


def _seed() -> None:
    def table(name, *columns):
        return sa.table(name, *(sa.column(c) for c in columns))

    op.bulk_insert(
        table("ref_district", "code", "name", "kind"),
        [dict(code=c, name=n, kind=k) for c, n, k in DISTRICTS],
    )
    op.bulk_insert(
        table("ref_cluster_version", "version", "title", "source", "is_current"),
        [dict(version=v, title=t, source=s, is_current=cur) for v, t, s, cur in CLUSTER_VERSIONS],
    )
    op.bulk_insert(
        table("ref_cluster", "version", "code", "name", "tier", "tier_label"),
        [dict(version=v, code=c, name=n, tier=t, tier_label=tl) for v, c, n, t, tl in CLUSTERS],
    )
    op.bulk_insert(
        table("ref_skill_level", "level", "name"),
        [dict(level=lv, name=n) for lv, n in SKILL_LEVELS],
    )
    op.bulk_insert(
        table("ref_occupation", "code", "name"), [dict(code=c, name=n) for c, n, _ in OCCUPATIONS]
    )
    op.bulk_insert(
        table("ref_occupation_level", "occupation_code", "level"),
        [dict(occupation_code=c, level=lv) for c, _, levels in OCCUPATIONS for lv in levels],
    )
    for name, rows in (
        ("ref_training_type", TRAINING_TYPES),
        ("ref_funding_kind", FUNDING_KINDS),
        ("ref_offering_mode", OFFERING_MODES),
        ("ref_learner_group", LEARNER_GROUPS),
    ):
        op.bulk_insert(table(name, "code", "label"), [dict(code=c, label=lb) for c, lb in rows])
    op.bulk_insert(table("ref_training_policy", *POLICY), [POLICY])


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table(
        "hours_rejection",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=True),
        sa.Column("learner_id", sa.Uuid(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hours_rejection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hours_rejection_enrollment_id"), ["enrollment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_hours_rejection_learner_id"), ["learner_id"], unique=False
        )

    op.create_table(
        "ref_cluster_version",
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "ref_district",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "ref_funding_kind",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "ref_learner_group",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "ref_occupation",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("ref_occupation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ref_occupation_name"), ["name"], unique=False)

    op.create_table(
        "ref_offering_mode",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "ref_skill_level",
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.PrimaryKeyConstraint("level"),
    )
    op.create_table(
        "ref_training_policy",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("max_subsidised_per_year", sa.Integer(), nullable=True),
        sa.Column("one_per_occupation_level", sa.Boolean(), nullable=False),
        sa.Column("no_lower_level_after_higher", sa.Boolean(), nullable=False),
        sa.Column("daily_cap_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ref_training_type",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "ref_cluster",
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("tier", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("tier_label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["version"],
            ["ref_cluster_version.version"],
        ),
        sa.PrimaryKeyConstraint("version", "code"),
    )
    op.create_table(
        "ref_occupation_level",
        sa.Column("occupation_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["level"],
            ["ref_skill_level.level"],
        ),
        sa.ForeignKeyConstraint(
            ["occupation_code"],
            ["ref_occupation.code"],
        ),
        sa.PrimaryKeyConstraint("occupation_code", "level"),
    )
    op.create_table(
        "learner",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("id_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("id_masked", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("phone_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("phone_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("phone_masked", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("employer_organization_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["ref_district.code"],
        ),
        sa.ForeignKeyConstraint(
            ["employer_organization_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_fingerprint"),
        sa.UniqueConstraint("user_id"),
    )
    with op.batch_alter_table("learner", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learner_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_learner_employer_organization_id"),
            ["employer_organization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_learner_phone_fingerprint"), ["phone_fingerprint"], unique=False
        )

    op.create_table(
        "offering",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("occupation_code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("training_type", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("funding", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("package_ids", sa.JSON(), nullable=False),
        sa.Column("required_minutes", sa.Integer(), nullable=False),
        sa.Column("online_share_percent", sa.Integer(), nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=False),
        sa.Column("assessment_required", sa.Boolean(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("district_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("cluster_version", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("cluster_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name="ck_offering_level"),
        sa.CheckConstraint(
            "seats_taken >= 0 AND seats_taken <= capacity", name="ck_offering_seats"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["ref_district.code"],
        ),
        sa.ForeignKeyConstraint(
            ["funding"],
            ["ref_funding_kind.code"],
        ),
        sa.ForeignKeyConstraint(
            ["mode"],
            ["ref_offering_mode.code"],
        ),
        sa.ForeignKeyConstraint(
            ["occupation_code"],
            ["ref_occupation.code"],
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["training_type"],
            ["ref_training_type.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("offering", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_offering_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index("ix_offering_location", ["latitude", "longitude"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_offering_occupation_code"), ["occupation_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_offering_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "enrollment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("offering_id", sa.Uuid(), nullable=False),
        sa.Column("registration", sa.Uuid(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("subsidy_requested", sa.Boolean(), nullable=False),
        sa.Column("subsidised", sa.Boolean(), nullable=False),
        sa.Column("subsidy_year", sa.Integer(), nullable=True),
        sa.Column("subsidy_decision", sa.JSON(), nullable=True),
        sa.Column("assessment_score", sa.Float(), nullable=True),
        sa.Column("assessment_passed", sa.Boolean(), nullable=True),
        sa.Column("assessment_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_by", sa.Uuid(), nullable=True),
        sa.Column("package_completed", sa.Boolean(), nullable=False),
        sa.Column("package_passed", sa.Boolean(), nullable=True),
        sa.Column("package_score", sa.Float(), nullable=True),
        sa.Column("enrolled_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completion_year", sa.Integer(), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessed_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["enrolled_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
        ),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["offering.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "offering_id", name="uq_enrollment_learner_offering"),
        sa.UniqueConstraint("registration"),
    )
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrollment_completion_year"), ["completion_year"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_enrollment_learner_id"), ["learner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_enrollment_offering_id"), ["offering_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_enrollment_state"), ["state"], unique=False)

    op.create_table(
        "hours_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("minutes > 0", name="ck_hours_entry_minutes"),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id", name="uq_hours_entry_source_external"),
    )
    with op.batch_alter_table("hours_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hours_entry_enrollment_id"), ["enrollment_id"], unique=False
        )
        batch_op.create_index(
            "ix_hours_entry_learner_started", ["learner_id", "started_at"], unique=False
        )

    op.create_table(
        "scorm_commit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("commit_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("version", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("cmi_values", sa.JSON(), nullable=False),
        sa.Column("request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("stored_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["stored_by"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enrollment_id", "commit_id", name="uq_scorm_commit"),
    )
    with op.batch_alter_table("scorm_commit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scorm_commit_enrollment_id"), ["enrollment_id"], unique=False
        )

    op.create_table(
        "xapi_statement",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("registration", sa.Uuid(), nullable=False),
        sa.Column("verb_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("object_id", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("statement", sa.JSON(), nullable=False),
        sa.Column("comparison_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("stored_by", sa.Uuid(), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["stored_by"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_xapi_statement_enrollment_id"), ["enrollment_id"], unique=False
        )

    # ### end Alembic commands ###
    _seed()


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_statement_enrollment_id"))

    op.drop_table("xapi_statement")
    with op.batch_alter_table("scorm_commit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorm_commit_enrollment_id"))

    op.drop_table("scorm_commit")
    with op.batch_alter_table("hours_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_hours_entry_learner_started")
        batch_op.drop_index(batch_op.f("ix_hours_entry_enrollment_id"))

    op.drop_table("hours_entry")
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrollment_state"))
        batch_op.drop_index(batch_op.f("ix_enrollment_offering_id"))
        batch_op.drop_index(batch_op.f("ix_enrollment_learner_id"))
        batch_op.drop_index(batch_op.f("ix_enrollment_completion_year"))

    op.drop_table("enrollment")
    with op.batch_alter_table("offering", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offering_organization_id"))
        batch_op.drop_index(batch_op.f("ix_offering_occupation_code"))
        batch_op.drop_index("ix_offering_location")
        batch_op.drop_index(batch_op.f("ix_offering_district_code"))

    op.drop_table("offering")
    with op.batch_alter_table("learner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learner_phone_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_learner_employer_organization_id"))
        batch_op.drop_index(batch_op.f("ix_learner_district_code"))

    op.drop_table("learner")
    op.drop_table("ref_occupation_level")
    op.drop_table("ref_cluster")
    op.drop_table("ref_training_type")
    op.drop_table("ref_training_policy")
    op.drop_table("ref_skill_level")
    op.drop_table("ref_offering_mode")
    with op.batch_alter_table("ref_occupation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ref_occupation_name"))

    op.drop_table("ref_occupation")
    op.drop_table("ref_learner_group")
    op.drop_table("ref_funding_kind")
    op.drop_table("ref_district")
    op.drop_table("ref_cluster_version")
    with op.batch_alter_table("hours_rejection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hours_rejection_learner_id"))
        batch_op.drop_index(batch_op.f("ix_hours_rejection_enrollment_id"))

    op.drop_table("hours_rejection")
    # ### end Alembic commands ###
