"""Bulk loading with PostgreSQL COPY, addressed by Django model so table and column names follow the schema.

Rows are tuples in the order of the columns given. Any NOT NULL column the caller does not name is
filled from the field's default (or a neutral value of its type), so the seeder keeps working when
another app adds a column with a default. Ids are reserved from the table's own sequence first, so
the caller knows them without a RETURNING round trip and later inserts by the product never collide.
Triggers and constraints stay on: COPY fires row triggers (pghistory included) like any INSERT.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models

CHUNK_ROWS = 100_000

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def encode(value: Any) -> str:
    """One value in COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, int | float | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return f"{value.total_seconds()} seconds"
    if isinstance(value, list | tuple):
        return _array_literal(value).translate(_ESCAPES)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":")).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


def _encode_json(value: Any) -> str:
    if value is None:
        return "\\N"
    return json.dumps(value, separators=(",", ":"), default=str).translate(_ESCAPES)


def _array_literal(values: Sequence[Any]) -> str:
    items = []
    for v in values:
        if v is None:
            items.append("NULL")
        elif isinstance(v, str):
            items.append('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            items.append(str(v))
    return "{" + ",".join(items) + "}"


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Reserve `count` consecutive ids from the model's sequence; return the first."""
    if count <= 0:
        return 0
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
        seq = cur.fetchone()[0]
        cur.execute("SELECT nextval(%s)", [seq])
        first = cur.fetchone()[0]
        if count > 1:
            cur.execute("SELECT setval(%s, %s)", [seq, first + count - 1])
    return first


def _neutral(field: models.Field) -> Any:
    """A value for a NOT NULL column without a default: empty, zero or now, by type."""
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DateTimeField):
        return dt.datetime.now(dt.UTC)
    if isinstance(field, models.DateField):
        return dt.date.today()
    if isinstance(field, models.TimeField):
        return dt.time(0, 0)
    if isinstance(field, models.DurationField):
        return dt.timedelta(0)
    if isinstance(field, models.DecimalField | models.FloatField | models.IntegerField):
        return 0
    if isinstance(field, models.JSONField):
        return {}
    if field.get_internal_type() == "ArrayField" or type(field).__name__ == "ArrayField":
        return []
    return ""


def _filler(model: type[models.Model], named: set[str]) -> list[tuple[str, Callable[[], Any]]]:
    """(column, value factory) for the concrete columns the caller left out."""
    out: list[tuple[str, Callable[[], Any]]] = []
    for field in model._meta.concrete_fields:
        if field.column in named or field.attname in named or field.primary_key:
            continue
        if isinstance(field, models.UUIDField) and not field.null:
            out.append((field.column, uuid.uuid4))
            continue
        if field.has_default():
            default = field.default
            if callable(default):
                value = default()
                # A per-row default (uuid4, a sequence) must stay per-row; a clock or an empty
                # container may be shared by the whole batch.
                if isinstance(value, uuid.UUID):
                    out.append((field.column, default))
                    continue
            else:
                value = default
            if hasattr(value, "value") and isinstance(value, models.Choices):
                value = value.value
            out.append((field.column, lambda v=value: v))
            continue
        if field.null:
            continue
        if getattr(field, "db_default", models.NOT_PROVIDED) is not models.NOT_PROVIDED:
            continue
        value = _neutral(field)
        out.append((field.column, lambda v=value: v))
    return out


def copy_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> int:
    """COPY rows (tuples in `columns` order; use attnames such as `clinic_id`) into the model's table."""
    meta = model._meta
    by_name = {f.attname: f.column for f in meta.concrete_fields} | {f.name: f.column for f in meta.concrete_fields}
    cols = [by_name.get(c, c) for c in columns]
    json_cols = {f.column for f in meta.concrete_fields if isinstance(f, models.JSONField)}
    encoders = [_encode_json if c in json_cols else encode for c in cols]
    extra = _filler(model, set(cols))
    all_cols = cols + [c for c, _ in extra]
    per_row = [(i, f) for i, (_, f) in enumerate(extra) if f is uuid.uuid4]
    constant_tail = [encode(f()) for _, f in extra]
    sql = "COPY {} ({}) FROM STDIN".format(
        connection.ops.quote_name(meta.db_table), ", ".join(connection.ops.quote_name(c) for c in all_cols)
    )
    total = 0
    t0 = time.perf_counter()
    buf = io.StringIO()
    pending = 0
    with connection.cursor() as cur:
        raw = cur.cursor  # the psycopg2 cursor under Django's wrapper

        def flush() -> None:
            nonlocal buf, pending
            if pending:
                buf.seek(0)
                raw.copy_expert(sql, buf)
            buf = io.StringIO()
            pending = 0

        for row in rows:
            tail = constant_tail
            if per_row:
                tail = list(constant_tail)
                for i, f in per_row:
                    tail[i] = str(f())
            values = [enc(v) for enc, v in zip(encoders, row, strict=True)]
            line = "\t".join(values + tail) if tail else "\t".join(values)
            buf.write(line)
            buf.write("\n")
            pending += 1
            total += 1
            if pending >= CHUNK_ROWS:
                flush()
        flush()
        # Fresh statistics before anything plans against this table: foreign-key checks of the next
        # sections (and the load run) would otherwise plan for an empty table.
        cur.execute(f"ANALYZE {connection.ops.quote_name(meta.db_table)}")
    if os.environ.get("BENCH_SEED_VERBOSE"):
        print(f"    copy {meta.db_table}: {total} rows in {time.perf_counter() - t0:.1f}s", flush=True)
    return total


def model_or_none(label: str) -> type[models.Model] | None:
    """The model `app_label.ModelName` if it exists on this branch, else None (seed what exists)."""
    from django.apps import apps

    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def field_names(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.concrete_fields} | {f.attname for f in model._meta.concrete_fields}
