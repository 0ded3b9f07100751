"""Entries cannot be changed or removed, and balances move only through entries, whoever writes SQL.

These run as the app's own database connection, so the triggers are what refuses. (The runtime
role without UPDATE/DELETE/TRUNCATE grants is the security work's; once it lands these statements
are also refused by privilege as that role.)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from controlled.models import ContainerBalance, LedgerEntry
from controlled.services.common import write_entry

pytestmark = pytest.mark.django_db

STATEMENTS = [
    "UPDATE controlled_ledgerentry SET change_mg = 1000 WHERE id = %(entry)s",
    "DELETE FROM controlled_ledgerentry WHERE id = %(entry)s",
    "UPDATE controlled_containerbalance SET on_hand_mg = 1000 WHERE container_id = %(container)s",
    "DELETE FROM controlled_containerbalance WHERE container_id = %(container)s",
    "INSERT INTO controlled_containerbalance (container_id, on_hand_mg, entry_count) VALUES (%(container)s, 5, 0)",
    "UPDATE controlled_container SET lot_number = 'OTHER' WHERE id = %(container)s",
]


@pytest.mark.parametrize("statement", STATEMENTS)
def test_raw_sql_cannot_change_the_ledger(vial, statement):
    # given: the receipt of a 500 mg vial
    entry = LedgerEntry.objects.get(container=vial)

    # when
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, {"entry": entry.pk, "container": vial.pk})

    # then
    entry.refresh_from_db()
    vial.refresh_from_db()
    assert (entry.change_mg, entry.balance_after_mg, vial.lot_number) == (D("500.00"), D("500.00"), "KET-2291")
    assert ContainerBalance.objects.get(container=vial).on_hand_mg == D("500.00")


def test_the_typing_time_is_the_database_clock(vial, nurse):
    # given: an entry whose client claims it was typed long ago
    claimed = timezone.now() - dt.timedelta(days=30)

    # when
    entry = write_entry(
        container=vial,
        kind="loss",
        change_mg=D("-1"),
        occurred_at=timezone.now(),
        by=nurse,
        reason="Spilled",
        recorded_at=claimed,
    )

    # then
    assert entry.recorded_at > claimed + dt.timedelta(days=29)
