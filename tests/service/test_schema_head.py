"""`skills serve` skips Alembic when the database is at the newest migration; that shortcut is
right only while the migrations keep the rules service.core.schema_head rests on."""

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from service.core.migrate import alembic_config, upgrade
from service.core.schema_head import VERSIONS, at_head, shipped_head


def test_migration_files_sort_in_apply_order_and_form_one_chain():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    by_file = {
        r.module.__file__.rsplit("/", 1)[-1]: r for r in script.walk_revisions("base", "heads")
    }
    names = sorted(p.name for p in VERSIONS.glob("[0-9]*.py"))
    assert sorted(by_file) == names  # every file is a migration Alembic knows
    previous = None
    for name in names:
        assert by_file[name].down_revision == previous, f"{name} does not follow {previous}"
        previous = by_file[name].revision
    assert script.get_heads() == [shipped_head()]


def test_at_head_only_when_the_database_holds_exactly_the_newest_revision(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = create_engine(url)
    assert not at_head(engine)  # no schema at all
    upgrade(url, "0014_cmi5_lms")
    assert not at_head(engine)
    upgrade(url)
    assert at_head(engine)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO alembic_version VALUES ('branch')"))
    assert not at_head(engine)  # two rows: left to Alembic
    engine.dispose()
