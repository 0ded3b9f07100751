"""Tamper evidence for the audit trail: a hash chain per clinic, sealed after the fact.

Requests never wait for the chain: the audit middleware inserts rows as before, and a periodic
job (`kat_clinic.audit_seal`, registered with django-celery-beat) seals them in id order, one
transaction per batch under an advisory lock (two sealers never interleave). A row is sealed only
once it is `AUDIT_SEAL_SETTLE_SECONDS` old, and sealing stops at the first younger row, so a row
whose insert was still in flight when a higher id committed is not skipped.

Each link's hash is sha256(previous hash + "\\n" + the row's canonical JSON). `audit_verify` walks
every chain and reports, per chain, the first link that no longer holds: a row changed (hash),
a row removed (missing), a link out of order, or an unsealed row slipped in below the sealed ones.
The owner role can still rewrite both tables and recompute the chain; keep the chain heads that
`manage.py audit_verify` prints somewhere the database's owner cannot write (see docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kat_clinic.audit.models import AuditChainLink, AuditEvent

GENESIS_HASH = "0" * 64
SEAL_LOCK_KEY = 0x6B61745F61756474  # "kat_audt": one sealer at a time, cluster-wide per database
# The fields each hash scheme covers, in this order. A new audit column gets a new scheme; links
# keep the scheme they were sealed with, so old links still verify.
_SCHEME_1 = (
    "id",
    "occurred_at",
    "user_id",
    "username",
    "roles",
    "clinic_id",
    "action",
    "operation",
    "method",
    "path",
    "resource_type",
    "resource_ids",
    "patient_ids",
    "outcome",
    "status_code",
    "request_id",
    "ip",
    "break_glass",
)
SCHEMES: dict[int, tuple[str, ...]] = {
    1: _SCHEME_1,
    2: (*_SCHEME_1, "client_request_id"),
}
CURRENT_SCHEME = max(SCHEMES)
_ALL_FIELDS = tuple(dict.fromkeys(field for fields in SCHEMES.values() for field in fields))


def _canonical(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)  # UUID, inet


def link_hash(*, previous_hash: str, row: dict, scheme: int) -> str:
    content = {field: _canonical(row[field]) for field in SCHEMES[scheme]}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{previous_hash}\n{canonical}".encode()).hexdigest()


def _event_columns(alias: str = "e") -> str:
    return ", ".join(f"{alias}.{connection.ops.quote_name(field)}" for field in _ALL_FIELDS)


def _rows(cursor) -> list[dict]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _chain_heads(cursor, clinic_ids: set[int | None]) -> dict[int | None, tuple[int, str]]:
    heads: dict[int | None, tuple[int, str]] = {}
    for clinic_id in clinic_ids:
        head = (
            AuditChainLink.objects.filter(clinic_id=clinic_id)
            if clinic_id is not None
            else AuditChainLink.objects.filter(clinic_id__isnull=True)
        )
        last = head.order_by("-position").values_list("position", "hash").first()
        heads[clinic_id] = last or (0, GENESIS_HASH)
    return heads


def audit_seal_batch(*, batch_size: int = 2000, settle_seconds: float | None = None) -> int:
    """Seal the next rows in id order; the number sealed (0 when another sealer holds the lock)."""
    if settle_seconds is None:
        settle_seconds = settings.AUDIT_SEAL_SETTLE_SECONDS
    table = AuditEvent._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(f"SELECT coalesce(max(event_id), 0) FROM {AuditChainLink._meta.db_table}")
        watermark = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT {_event_columns()} FROM {table} e WHERE e.id > %s ORDER BY e.id LIMIT %s",
            [watermark, batch_size],
        )
        rows = _rows(cursor)
        cutoff = timezone.now() - dt.timedelta(seconds=settle_seconds)
        settled = []
        for row in rows:
            if row["occurred_at"] >= cutoff:
                break  # a younger row: its lower-id neighbours may still be committing
            settled.append(row)
        heads = _chain_heads(cursor, {row["clinic_id"] for row in settled})
        links = []
        for row in settled:
            position, previous = heads[row["clinic_id"]]
            digest = link_hash(previous_hash=previous, row=row, scheme=CURRENT_SCHEME)
            links.append(
                AuditChainLink(
                    event_id=row["id"],
                    clinic_id=row["clinic_id"],
                    position=position + 1,
                    scheme=CURRENT_SCHEME,
                    previous_hash=previous,
                    hash=digest,
                )
            )
            heads[row["clinic_id"]] = (position + 1, digest)
        AuditChainLink.objects.bulk_create(links)
    return len(links)


def audit_seal(*, batch_size: int = 2000, max_batches: int = 50, settle_seconds: float | None = None) -> int:
    """Seal what has settled, a batch per transaction; the number of rows sealed."""
    total = 0
    for _ in range(max_batches):
        sealed = audit_seal_batch(batch_size=batch_size, settle_seconds=settle_seconds)
        total += sealed
        if sealed < batch_size:
            break
    return total


@dataclass(frozen=True)
class ChainBreak:
    clinic_id: int | None
    position: int
    event_id: int
    reason: str

    def describe(self) -> str:
        chain = f"clinic {self.clinic_id}" if self.clinic_id is not None else "rows without a clinic"
        return f"chain of {chain}, link {self.position}: audit event {self.event_id} {self.reason}"


@dataclass(frozen=True)
class ChainHead:
    clinic_id: int | None
    length: int
    hash: str


@dataclass(frozen=True)
class VerifyReport:
    heads: list[ChainHead]
    breaks: list[ChainBreak]
    sealed: int
    unsealed: int

    @property
    def first_break(self) -> ChainBreak | None:
        return min(self.breaks, key=lambda b: b.event_id, default=None)


def audit_verify() -> VerifyReport:
    """Walk every chain from its first link; the first broken link of each chain."""
    links = AuditChainLink._meta.db_table
    events = AuditEvent._meta.db_table
    breaks: dict[int | None, ChainBreak] = {}
    heads: dict[int | None, ChainHead] = {}
    sealed = 0
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:
            # One snapshot for the whole walk, so a concurrent sealer cannot make it inconsistent.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute(
            f"SELECT l.clinic_id AS link_clinic_id, l.position, l.event_id, l.scheme, l.previous_hash,"
            f" l.hash AS link_hash, e.id IS NOT NULL AS present, {_event_columns()}"
            f" FROM {links} l LEFT JOIN {events} e ON e.id = l.event_id"
            f" ORDER BY l.clinic_id NULLS FIRST, l.position"
        )
        names = [column[0] for column in cursor.description]
        previous: dict[int | None, tuple[int, str]] = {}
        while batch := cursor.fetchmany(2000):
            for values in batch:
                row = dict(zip(names, values, strict=True))
                sealed += 1
                chain = row["link_clinic_id"]
                position, previous_hash = previous.get(chain, (0, GENESIS_HASH))
                previous[chain] = (row["position"], row["link_hash"])
                heads[chain] = ChainHead(clinic_id=chain, length=row["position"], hash=row["link_hash"])
                if chain in breaks:
                    continue
                reason = _link_fault(row, expected_position=position + 1, expected_previous=previous_hash)
                if reason:
                    breaks[chain] = ChainBreak(
                        clinic_id=chain, position=row["position"], event_id=row["event_id"], reason=reason
                    )
        cursor.execute(f"SELECT coalesce(max(event_id), 0) FROM {links}")
        watermark = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT e.id, e.clinic_id FROM {events} e WHERE e.id <= %s"
            f" AND NOT EXISTS (SELECT 1 FROM {links} l WHERE l.event_id = e.id) ORDER BY e.id LIMIT 1",
            [watermark],
        )
        slipped = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {events} WHERE id > %s", [watermark])
        unsealed = cursor.fetchone()[0]
    found = list(breaks.values())
    if slipped:
        found.append(
            ChainBreak(
                clinic_id=slipped[1],
                position=0,
                event_id=slipped[0],
                reason="is not sealed although later rows are: inserted after sealing",
            )
        )
    return VerifyReport(heads=list(heads.values()), breaks=found, sealed=sealed, unsealed=unsealed)


def _link_fault(row: dict, *, expected_position: int, expected_previous: str) -> str:
    if row["position"] != expected_position:
        return f"is at position {row['position']}, expected {expected_position}: a link is missing"
    if row["previous_hash"] != expected_previous:
        return "does not follow the previous link: the chain was rewritten"
    if not row["present"]:
        return "is missing: the row was deleted"
    if row["scheme"] not in SCHEMES:
        return f"was sealed with unknown scheme {row['scheme']}"
    if row["clinic_id"] != row["link_clinic_id"]:
        return "moved to another clinic: the row was altered"
    if link_hash(previous_hash=row["previous_hash"], row=row, scheme=row["scheme"]) != row["link_hash"]:
        return "no longer matches its hash: the row was altered"
    return ""
