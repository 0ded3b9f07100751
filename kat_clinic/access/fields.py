"""Related fields whose choices are scoped to the clinics the requesting user may act in."""

from __future__ import annotations

from rest_framework import serializers

from kat_clinic.access.permissions import view_operation
from kat_clinic.access.scoping import clinics_for


class ClinicScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key that must name an object of a clinic where the current operation is allowed.

    `clinic_lookup` is the path from the related model to its clinic ("id" for Clinic itself,
    "clinic" for Room, "home_clinic" for Patient). An object of another clinic is answered exactly
    like one that does not exist, so a write cannot probe other clinics.
    """

    def __init__(self, *, clinic_lookup: str, **kwargs):
        self.clinic_lookup = clinic_lookup
        super().__init__(**kwargs)

    def allowed_clinic_ids(self) -> frozenset[int]:
        """The clinics where the request's operation is allowed (none without a request and view)."""
        request = self.context.get("request")
        view = self.context.get("view")
        if request is None or view is None:
            return frozenset()
        operation = view_operation(view, request)
        return clinics_for(request.user, operation) if operation else frozenset()

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        view = self.context.get("view")
        if request is None or view is None:
            return queryset.none()
        lookup = "pk__in" if self.clinic_lookup == "id" else f"{self.clinic_lookup}__in"
        return queryset.filter(**{lookup: self.allowed_clinic_ids()})
