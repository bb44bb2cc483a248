"""Reference-data tables (``ref_*``), seeded by migration ``0004_training``.

The reviewed source of the data is :mod:`service.training.reference_data` and
:mod:`service.training.occupations`; the migration copies it as literals so that it stays stable
if the modules change. The service validates codes against these tables (not the modules), so a
correction shipped as a data migration takes effect without a code release.
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class RefDistrict(SQLModel, table=True):
    """Ningbo's county-level divisions (GB/T 2260), and the city itself (kind ``city``)."""

    __tablename__ = "ref_district"
    code: str = Field(primary_key=True, max_length=6)
    name: str = Field(max_length=40)
    kind: str = Field(max_length=20)


class RefClusterVersion(SQLModel, table=True):
    """One edition of the "361" industry-cluster list (2023, 2025, ...)."""

    __tablename__ = "ref_cluster_version"
    version: str = Field(primary_key=True, max_length=10)
    title: str = Field(max_length=200)
    source: str = Field(max_length=1000)
    is_current: bool = False


class RefCluster(SQLModel, table=True):
    """A cluster of one edition; ``(version, code)`` is the stable key offerings refer to."""

    __tablename__ = "ref_cluster"
    version: str = Field(primary_key=True, max_length=10, foreign_key="ref_cluster_version.version")
    code: str = Field(primary_key=True, max_length=60)
    name: str = Field(max_length=200)
    tier: str = Field(max_length=40)
    tier_label: str = Field(max_length=40)


class RefSkillLevel(SQLModel, table=True):
    """Levels 5 (初级工) .. 1 (高级技师)."""

    __tablename__ = "ref_skill_level"
    level: int = Field(primary_key=True)
    name: str = Field(max_length=20)


class RefOccupation(SQLModel, table=True):
    """An occupation (工种) of the national classification, code ``X-XX-XX-XX``."""

    __tablename__ = "ref_occupation"
    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=100, index=True)


class RefOccupationLevel(SQLModel, table=True):
    """The levels an occupation can be certified at."""

    __tablename__ = "ref_occupation_level"
    occupation_code: str = Field(primary_key=True, max_length=12, foreign_key="ref_occupation.code")
    level: int = Field(primary_key=True, foreign_key="ref_skill_level.level")


class RefTrainingType(SQLModel, table=True):
    __tablename__ = "ref_training_type"
    code: str = Field(primary_key=True, max_length=30)
    label: str = Field(max_length=40)


class RefFundingKind(SQLModel, table=True):
    __tablename__ = "ref_funding_kind"
    code: str = Field(primary_key=True, max_length=30)
    label: str = Field(max_length=40)


class RefOfferingMode(SQLModel, table=True):
    __tablename__ = "ref_offering_mode"
    code: str = Field(primary_key=True, max_length=20)
    label: str = Field(max_length=40)


class RefLearnerGroup(SQLModel, table=True):
    __tablename__ = "ref_learner_group"
    code: str = Field(primary_key=True, max_length=30)
    label: str = Field(max_length=40)


class RefTrainingPolicy(SQLModel, table=True):
    """The rule parameters (subsidy rules, daily hours cap) as data: one row, ``id = 'current'``.

    Seeded with the city's defaults (DESIGN.md, Domain): 3 subsidised trainings per calendar year,
    one subsidy per occupation and level, no lower level after a higher one, 8 hours a day.
    A policy change is an UPDATE of this row (and is then snapshotted into every decision).
    """

    __tablename__ = "ref_training_policy"
    id: str = Field(primary_key=True, max_length=20)
    max_subsidised_per_year: int | None = Field(default=3)
    one_per_occupation_level: bool = True
    no_lower_level_after_higher: bool = True
    daily_cap_minutes: int = 480
