"""apps.core.index_operations.indexes_here: the LIKE twins Django adds to indexed text columns are PostgreSQL's."""

from types import SimpleNamespace

from apps.core.index_operations import indexes_here

INDEXES = {"t_status_1": "t (status)", "t_status_1_like": "t (status varchar_pattern_ops)"}


def editor(vendor: str) -> SimpleNamespace:
    return SimpleNamespace(connection=SimpleNamespace(vendor=vendor))


def test_postgres_has_every_index_and_sqlite_no_like_twin():
    assert indexes_here(editor("postgresql"), INDEXES) == INDEXES
    assert indexes_here(editor("sqlite"), INDEXES) == {"t_status_1": "t (status)"}
