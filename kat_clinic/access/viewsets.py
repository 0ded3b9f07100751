"""Base viewsets: every API endpoint is born clinic-scoped, matrix-checked and audited."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pghistory
from django.db.models import F
from django.http import Http404
from rest_framework import viewsets
from rest_framework.permissions import SAFE_METHODS

from kat_clinic.access.permissions import view_operation
from kat_clinic.access.scoping import clinics_for, in_clinics
from kat_clinic.api.transactions import post_only_reads
from kat_clinic.compiled_query import Prepared

# `audit_clinic_attr` of a clinic-scoped viewset by default: the clinic its queryset is scoped by.
CLINIC_OF_SCOPE = "<clinic_lookup>"
# Lists carry each row's clinic, read through `clinic_lookup` in the same query (no query per row).
AUDIT_CLINIC_ANNOTATION = "audit_clinic_id"


def attribute_path(path: str | None) -> Callable[[object], object] | None:
    """A getter for a dotted attribute path ("session.patient_id"); None where a link is missing."""
    if not path:
        return None
    parts = path.split(".")

    def get(obj):
        for part in parts:
            if obj is None:
                return None
            obj = getattr(obj, part, None)
        return obj

    return get


class AuditedViewMixin:
    """Tells the audit middleware what a request touched, and attaches the acting user to row history.

    Subclasses set `audit_resource` (e.g. "patient") and `audit_patient_attr`, the attribute (or
    dotted path, "session.patient_id") of an object that holds its patient id ("pk" for Patient
    itself, "patient_id" elsewhere, None when the resource is not about one patient), and likewise
    `audit_clinic_attr` for its clinic. Every audited object records both, read from the object itself.
    """

    audit_resource: str = ""
    audit_patient_attr: str | None = "patient_id"
    audit_clinic_attr: str | None = "clinic_id"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        audit = getattr(request, "audit", None)
        if audit is not None:
            audit.resource_type = self.audit_resource or audit.resource_type
            audit.action = getattr(self, "action", None) or request.method.lower()
            audit.operation = view_operation(self, request) or ""
        if request.method not in SAFE_METHODS and request.user.is_authenticated and not self._only_reads(request):
            # pghistory records this user on every row-history event the request writes.
            self._pgh_context = pghistory.context(user=request.user.pk, url=request.path)
            self._pgh_context.__enter__()

    def _only_reads(self, request) -> bool:
        return request.method == "POST" and post_only_reads(type(self), getattr(self, "action", None) or "post")

    def finalize_response(self, request, response, *args, **kwargs):
        context = getattr(self, "_pgh_context", None)
        if context is not None:
            context.__exit__(None, None, None)
            self._pgh_context = None
        return super().finalize_response(request, response, *args, **kwargs)

    def audit_clinic_getter(self) -> Callable[[object], object] | None:
        return attribute_path(self.audit_clinic_attr)

    def audit_objects(self, objects: Iterable[object]) -> None:
        audit = getattr(self.request, "audit", None)
        if audit is None:
            return
        patient_of = attribute_path(self.audit_patient_attr)
        clinic_of = self.audit_clinic_getter()
        for obj in objects:
            audit.add_object(
                resource_id=getattr(obj, "pk", None),
                patient_id=patient_of(obj) if patient_of else None,
                clinic_id=clinic_of(obj) if clinic_of else None,
            )


class ClinicScopedViewSet(AuditedViewMixin, viewsets.GenericViewSet):
    """A viewset whose queryset holds only objects of clinics where this action is allowed.

    Set `clinic_lookup` (the path to the clinic, e.g. "home_clinic" or "session__clinic") and
    implement `get_base_queryset()` (usually a selector with its joins applied). Another clinic's
    object is simply absent: 404 on detail routes, missing from lists.

    The audit row records each object's clinic through the same `clinic_lookup` (a note's session's
    clinic, a consent's patient's home clinic), so every read lands in its clinic's audit trail.
    A viewset whose lookup is many-valued (staff, through memberships) sets `audit_clinic_attr = None`.
    """

    clinic_lookup: str = "clinic"
    audit_clinic_attr: str | None = CLINIC_OF_SCOPE
    operations: dict[str, str] = {}
    # Lists and reads of one object write nothing: no request transaction (kat_clinic/api/transactions.py).
    reads_outside_transaction = frozenset({"list", "retrieve"})
    # A hot read of one object may be prepared (kat_clinic/compiled_query.py): the view's queryset
    # scoped and filtered by `Param("pk")` and `ParamIds("clinics")` (and whatever
    # `retrieve_values` adds), answering exactly what `get_queryset()` would for "retrieve". It is
    # used for a GET without query parameters (which filter backends could read), by the actions
    # that read one object in `retrieve_actions`.
    retrieve_query: Prepared | None = None
    retrieve_actions: frozenset[str] = frozenset({"retrieve"})

    def get_base_queryset(self):
        raise NotImplementedError

    def allowed_clinic_ids(self) -> frozenset[int]:
        operation = view_operation(self, self.request)
        return clinics_for(self.request.user, operation) if operation else frozenset()

    def get_queryset(self):
        queryset = self.get_base_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset.none()
        return self.scoped(queryset, self.allowed_clinic_ids())

    def scoped(self, queryset, clinics):
        """`queryset`'s objects of those clinics: a set of ids, or `ParamIds` in a prepared query."""
        queryset = queryset.filter(**in_clinics(self.clinic_lookup, clinics))
        if self.audit_clinic_attr == CLINIC_OF_SCOPE and "__" in self.clinic_lookup:
            # The join is the scoping filter's own, so the clinic costs no query per row.
            queryset = queryset.annotate(**{AUDIT_CLINIC_ANNOTATION: F(self.clinic_lookup)})
        return queryset

    def _clinic_of_scope(self) -> str:
        """The attribute (path) of an object that holds the clinic it is scoped by."""
        return "pk" if self.clinic_lookup == "id" else self.clinic_lookup.replace("__", ".") + "_id"

    def audit_clinic_getter(self) -> Callable[[object], object] | None:
        if self.audit_clinic_attr != CLINIC_OF_SCOPE:
            return super().audit_clinic_getter()
        if "__" not in self.clinic_lookup:
            return attribute_path(self._clinic_of_scope())
        # Objects read through the queryset carry the annotation; created ones follow the path.
        through_path = attribute_path(self._clinic_of_scope())

        def clinic_of(obj):
            annotated = getattr(obj, AUDIT_CLINIC_ANNOTATION, None)
            return annotated if annotated is not None else through_path(obj)

        return clinic_of

    def audit_columns(self, model) -> tuple[str, str | None, str | None] | None:
        """The columns of `model`'s rows (as this view's lists read them) that hold what
        `audit_objects` reads of an object: its id, its patient and its clinic (None where the view
        audits none); None where one of them is not a column of the row itself."""
        attnames = {field.attname for field in model._meta.concrete_fields}
        pk = model._meta.pk.attname

        def column(attr: str | None) -> str | None | bool:
            if attr is None:
                return None
            name = pk if attr == "pk" else attr
            return name if name in attnames else False

        if self.audit_clinic_attr != CLINIC_OF_SCOPE:
            clinic = column(self.audit_clinic_attr)
        elif "__" in self.clinic_lookup:
            clinic = AUDIT_CLINIC_ANNOTATION  # the scope's own join, annotated by `scoped`
        else:
            clinic = column(self._clinic_of_scope())
        patient = column(self.audit_patient_attr)
        if clinic is False or patient is False:
            return None
        return pk, patient, clinic

    def get_object(self):
        if (
            self.retrieve_query is not None
            and self.action in self.retrieve_actions
            and self.request.method in SAFE_METHODS
            and not self.request.query_params
        ):
            obj = self._prepared_object()
        else:
            obj = super().get_object()
        self.audit_objects([obj])
        return obj

    def retrieve_values(self) -> dict:
        """The values of `retrieve_query`'s parameters other than the object's id."""
        return {"clinics": sorted(self.allowed_clinic_ids())}

    def _prepared_object(self):
        """As DRF's get_object: 404 for an id that is not one (as Django's get_object_or_404 says
        it), or of no object in scope; then the object permissions."""
        model = self.retrieve_query.queryset.model
        not_found = Http404(f"No {model._meta.object_name} matches the given query.")
        try:
            pk = int(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        except (TypeError, ValueError):
            raise not_found from None
        if not -(2**63) <= pk < 2**63:
            raise not_found
        obj = self.retrieve_query.first(pk=pk, **self.retrieve_values())
        if obj is None:
            raise not_found
        self.check_object_permissions(self.request, obj)
        return obj

    def paginate_queryset(self, queryset):
        # Every list goes through here (DRF's ListModelMixin and our own list actions alike).
        page = super().paginate_queryset(queryset)
        self.audit_objects(page if page is not None else queryset)
        return page

    def perform_create(self, serializer):
        instance = serializer.save()
        self.audit_objects([instance])
        return instance

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # DRF's CreateModelMixin.perform_create would skip the audit if listed before this class.
        if "perform_create" not in cls.__dict__ and cls.perform_create is not ClinicScopedViewSet.perform_create:
            raise TypeError(f"{cls.__name__}: list ClinicScopedViewSet before DRF's mixins so creates are audited.")
