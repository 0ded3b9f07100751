"""Query filters of the ledger's lists."""

from __future__ import annotations

from django_filters import rest_framework as filters

from controlled.models import Discrepancy, LedgerEntry
from kat_clinic.api.filters import IdFilter, StrictFilterSet


class EntryFilter(StrictFilterSet):
    # The chart lists each dose's container and lot: the draws of one session.
    session = IdFilter(field_name="dose__session", help_text="Draws of the doses of this session.")
    # The witness step lists the wastes nobody has confirmed yet.
    witnessed = filters.BooleanFilter(
        field_name="witnessing", lookup_expr="isnull", exclude=True, help_text="With (true) or without a witness."
    )

    class Meta:
        model = LedgerEntry
        fields = ["container", "kind", "dose", "patient", "session", "witnessed"]


class DiscrepancyFilter(StrictFilterSet):
    open = filters.BooleanFilter(field_name="resolved_at", lookup_expr="isnull", help_text="Still unresolved.")

    class Meta:
        model = Discrepancy
        fields = ["container", "registration", "open"]
