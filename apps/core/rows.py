"""Model instances from the rows of a hand-written statement, without RawQuerySet's mapping of columns to fields.

RawQuerySet works out, on every query, which column is which field (`resolve_model_init_order`, the converters,
the annotations); on the dispatch's customer read and the send's row read that cost more than the query itself. A
statement here selects the model's concrete fields first, in their order (`model_columns`), then whatever else it
needs; `model_from_row` applies the same database converters the ORM would (SQLite's UUIDs and times as text,
JSON) and hands back the rest of the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Model


def model_columns(model: type[Model], table_alias: str) -> str:
    """The model's concrete columns, quoted and in field order, as `alias.column, …`."""
    quote = connection.ops.quote_name
    return ", ".join(f"{table_alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def model_from_row(model: type[Model], row: Sequence) -> tuple[Model, tuple]:
    """The instance built from the row's first columns (those of `model_columns`), and the row's other columns."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's connection, not the proxy every thread shares
    names, converters = _plan(model, wrapper)
    values = list(row[: len(names)])
    for index, col, functions in converters:
        value = values[index]
        for function in functions:
            value = function(value, col, wrapper)
        values[index] = value
    return model.from_db(wrapper.alias, names, values), tuple(row[len(names) :])


@lru_cache(maxsize=64)
def _plan(model: type[Model], wrapper) -> tuple[list[str], list[tuple[int, object, list]]]:
    """Per model and connection (a thread's own; the backend's converters are bound to it): the field names, and
    for the fields that have any, their converters. Bounded: gunicorn's and Celery's threads are a fixed pool; a
    server with a thread per request only recycles entries."""
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        functions = wrapper.ops.get_db_converters(col) + field.get_db_converters(wrapper)
        if functions:
            converters.append((index, col, functions))
    return [f.attname for f in fields], converters
