"""apps.core.index_operations on PostgreSQL: a migration that builds an index concurrently can be run again after
being cut short, whether the cut left an invalid index behind or a finished one."""

import pytest
from django.db import connection

from apps.core.index_operations import index_create, index_drop, index_valid
from tests.services import postgres_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TABLE = "test_index_operations"
NAME = "test_index_operations_code_idx"


@pytest.fixture
def table():
    postgres_or_fail()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (id int PRIMARY KEY, code text)")
        cursor.execute(f"INSERT INTO {TABLE} VALUES (1, 'a'), (2, 'a')")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def test_an_invalid_leftover_is_rebuilt(table):
    # A concurrent build that fails (here, unique over duplicates) leaves its index behind, marked invalid: what a
    # migration killed mid-build leaves. IF NOT EXISTS would skip it and call the migration done.
    with pytest.raises(Exception, match="could not create unique index"), connection.cursor() as cursor:
        cursor.execute(f'CREATE UNIQUE INDEX CONCURRENTLY "{NAME}" ON {TABLE} (code)')
    with connection.schema_editor(atomic=False) as editor:
        assert index_valid(editor, NAME) is False
        index_create(editor, NAME, f"{TABLE} (code)")
        assert index_valid(editor, NAME) is True


def test_a_finished_index_is_kept_and_a_drop_can_run_twice(table):
    with connection.schema_editor(atomic=False) as editor:
        assert index_valid(editor, NAME) is None
        index_create(editor, NAME, f"{TABLE} (code)")
        index_create(editor, NAME, f"{TABLE} (code)")  # a run cut after its build, run again
        assert index_valid(editor, NAME) is True
        index_drop(editor, NAME)
        index_drop(editor, NAME)
        assert index_valid(editor, NAME) is None
