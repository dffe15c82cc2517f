"""Creating and dropping an index in a migration without a lock that stops the service, and safely run again.

On PostgreSQL both go CONCURRENTLY (the migration must be `atomic = False`). A concurrent build that is cut short
leaves an invalid index behind: `IF NOT EXISTS` would then skip the build and record the migration as done, and a
plain CREATE would fail on the name. So an index is built only when it is missing, after dropping an invalid one;
one already valid (a run cut after its build) is kept. The embedded SQLite takes plain statements.
"""

from __future__ import annotations

from django.db import models


def _on_postgres(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def indexes_here(schema_editor, indexes: dict[str, str]) -> dict[str, str]:
    """Of indexes Django created on PostgreSQL ({name: target}), those this database has: the LIKE twin Django adds
    to an indexed text column (`…_like`, varchar_pattern_ops) exists only on PostgreSQL."""
    if _on_postgres(schema_editor):
        return indexes
    return {name: target for name, target in indexes.items() if not name.endswith("_like")}


def index_drop(schema_editor, name: str) -> None:
    concurrently = " CONCURRENTLY" if _on_postgres(schema_editor) else ""
    schema_editor.execute(f'DROP INDEX{concurrently} IF EXISTS "{name}"')


def index_create(schema_editor, name: str, target: str) -> None:
    """`target` is what follows ON: the table and its key, e.g. 'notifications_vehicle (plate)'."""
    if _must_build(schema_editor, name):
        concurrently = " CONCURRENTLY" if _on_postgres(schema_editor) else ""
        schema_editor.execute(f'CREATE INDEX{concurrently} "{name}" ON {target}')


def index_add(schema_editor, model, index: models.Index) -> None:
    """A Django index (expressions included), as `AddIndex` would build it."""
    if _must_build(schema_editor, index.name):
        if _on_postgres(schema_editor):
            schema_editor.add_index(model, index, concurrently=True)
        else:
            schema_editor.add_index(model, index)


def _must_build(schema_editor, name: str) -> bool:
    valid = index_valid(schema_editor, name)
    if valid is False:
        index_drop(schema_editor, name)
    return not valid


def index_valid(schema_editor, name: str) -> bool | None:
    """Whether the index is valid (PostgreSQL; on SQLite an index that exists is), or None when there is none."""
    if _on_postgres(schema_editor):
        query = (
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND pg_catalog.pg_table_is_visible(c.oid)"
        )
    else:
        query = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %s"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(query, [name])
        found = cursor.fetchone()
    return None if found is None else bool(found[0])
