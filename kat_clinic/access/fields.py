"""Related fields whose choices are scoped to the clinics the requesting user may act in."""

from __future__ import annotations

from django.db.models.query import ModelIterable
from rest_framework import serializers

from kat_clinic.access.permissions import view_operation
from kat_clinic.access.scoping import clinics_for, in_clinics
from kat_clinic.compiled_query import Param, ParamIds, Prepared

# The prepared lookups of scoped fields: (model, joins, clinic lookup) -> Prepared.
_LOOKUPS: dict[tuple, Prepared] = {}


class ClinicScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key that must name an object of a clinic where the current operation is allowed.

    `clinic_lookup` is the path from the related model to its clinic ("id" for Clinic itself,
    "clinic" for Room, "home_clinic" for Patient). An object of another clinic is answered exactly
    like one that does not exist, so a write cannot probe other clinics.

    The object is read by a prepared query (kat_clinic/compiled_query.py) where the field's queryset
    is its model's own, with joins and only() or defer() at most, and the id a whole number: write
    bodies name a clinic, a patient, a room, and building each lookup cost more than running it.
    Anything else, and every refusal, takes DRF's own path, so the messages are DRF's.
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
        return queryset.filter(**in_clinics(self.clinic_lookup, self.allowed_clinic_ids()))

    def to_internal_value(self, data):
        prepared = self._prepared_lookup()
        if prepared is None or isinstance(data, bool) or not isinstance(data, (int, str)):
            return super().to_internal_value(data)
        try:
            pk = int(data)  # as the model's id field reads it
        except ValueError:
            return super().to_internal_value(data)
        clinics = self.allowed_clinic_ids()
        if not clinics or not -(2**63) <= pk < 2**63:
            return super().to_internal_value(data)
        rows = list(prepared.bind(pk=pk, clinics=sorted(clinics)))
        return rows[0] if len(rows) == 1 else super().to_internal_value(data)

    def _prepared_lookup(self) -> Prepared | None:
        """The prepared read of one object in the caller's clinics, for a field whose queryset is
        its model's own (with joins at most) and whose scope is this class's."""
        queryset = self.queryset
        if (
            queryset is None
            or self.pk_field is not None
            or type(self).get_queryset is not ClinicScopedPrimaryKeyRelatedField.get_queryset
        ):
            return None
        query = queryset.query
        plain = (
            not query.where
            and not query.annotations
            and not query.distinct
            and not query.order_by
            and not query.extra
            and not queryset._prefetch_related_lookups
            and queryset._iterable_class is ModelIterable
            and not query.is_sliced
        )
        if not plain:
            return None
        model = queryset.model
        joins = query.select_related
        names, deferring = query.deferred_loading  # the queryset's only() or defer(), if any
        key = (model, repr(joins), tuple(sorted(names)), deferring, self.clinic_lookup)
        prepared = _LOOKUPS.get(key)
        if prepared is None:
            base = model._default_manager.all()
            if joins is True:
                base = base.select_related()
            elif joins:
                base = base.select_related(*_join_paths(joins))
            if names:
                base = base.defer(*names) if deferring else base.only(*names)
            scoped = base.filter(**in_clinics(self.clinic_lookup, ParamIds("clinics")), pk=Param("pk"))
            prepared = _LOOKUPS[key] = Prepared(lambda: scoped[:2])
        return prepared


def _join_paths(joins: dict, prefix: str = "") -> list[str]:
    """select_related's paths from its nested dict ({"enrollment": {"template": {}}, "step": {}})."""
    paths = []
    for name, nested in joins.items():
        path = f"{prefix}{name}"
        deeper = _join_paths(nested, f"{path}__")
        paths.extend(deeper or [path])
    return paths
