"""Ledger endpoints. Views validate, call one service, and serialize; every read is audited."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from controlled import selectors
from controlled.api import serializers as s
from controlled.api.filters import DiscrepancyFilter, EntryFilter
from controlled.models import LedgerEntry
from controlled.services import counts, draws, stock
from kat_clinic.access.viewsets import ClinicScopedViewSet
from kat_clinic.api.parsers import JSON_ONLY
from kat_clinic.models import StaffMember

ERRORS = {
    409: OpenApiResponse(description="Conflicts with the current state (already witnessed, resolved...)."),
    422: OpenApiResponse(description="A ledger rule refuses the request (stock, expiry, witness, registrant)."),
}


def _staff(request) -> StaffMember:
    staff = getattr(request.user, "staff", None)
    if staff is None:
        raise PermissionDenied("Only staff members keep the ledger.")
    return staff


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class LedgerViewSet(ClinicScopedViewSet):
    """Base of the ledger's viewsets: JSON bodies, no patient unless the resource names one."""

    parser_classes = JSON_ONLY
    audit_patient_attr = None

    def body(self, serializer_class) -> dict:
        return _valid(serializer_class, self.request, context=self.get_serializer_context())


class ProductViewSet(LedgerViewSet, mixins.ListModelMixin):
    """The catalogue: not of one clinic, readable by whoever may read the ledger somewhere."""

    serializer_class = s.ProductSerializer
    audit_resource = "controlled_product"
    audit_clinic_attr = None
    operations = {"list": "controlled.read"}

    def get_base_queryset(self):
        return selectors.product_list()

    def get_queryset(self):
        queryset = self.get_base_queryset()
        return queryset if self.allowed_clinic_ids() else queryset.none()


class RegistrationViewSet(LedgerViewSet, mixins.ListModelMixin):
    serializer_class = s.RegistrationSerializer
    audit_resource = "dea_registration"
    filterset_fields = ["clinic"]
    operations = {"list": "controlled.read"}

    def get_base_queryset(self):
        return selectors.registration_list()


@extend_schema_view(
    create=extend_schema(request=s.ReceiveSerializer, responses={201: s.ContainerSerializer, **ERRORS}),
)
class ContainerViewSet(LedgerViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Containers; POST receives one (checked in by a second person's credentials)."""

    serializer_class = s.ContainerSerializer
    audit_resource = "controlled_container"
    filterset_fields = ["clinic", "product", "registration", "lot_number"]
    operations = {
        "list": "controlled.read",
        "retrieve": "controlled.read",
        "create": "controlled.receive",
        "count_sheet": "controlled.count",
        "waste": "controlled.waste",
        "transfer": "controlled.transfer",
        "return_to_supplier": "controlled.transfer",
        "adjust": "controlled.signoff",
        "loss": "controlled.loss",
    }

    def get_base_queryset(self):
        return selectors.container_list()

    def create(self, request, *args, **kwargs):
        data = self.body(s.ReceiveSerializer)
        container = stock.container_receive(
            by=_staff(request), checked_by=s.credentials_of(data.pop("checked_by")), **data
        )
        container = selectors.container_list().get(pk=container.pk)
        self.audit_objects([container])
        return Response(self.get_serializer(container).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("clinic", int, required=True)],
        responses={200: s.CountSheetContainerSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], url_path="count-sheet", pagination_class=None, filter_backends=[])
    def count_sheet(self, request):
        """What a blind count covers: the containers holding stock, without any figure."""
        clinic_id = int_param(request, "clinic")
        if clinic_id not in self.allowed_clinic_ids():
            raise NotFound()
        sheet = list(counts.count_sheet(clinic_id=clinic_id))
        self.audit_objects(sheet)
        return Response(s.CountSheetContainerSerializer(sheet, many=True).data)

    def _entry_response(self, entry: LedgerEntry, code=status.HTTP_201_CREATED) -> Response:
        entry = selectors.entry_list().get(pk=entry.pk)
        self.audit_objects([entry.container])
        return Response(s.EntrySerializer(entry).data, status=code)

    @extend_schema(request=s.WasteSerializer, responses={201: s.EntrySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def waste(self, request, pk=None):
        data = self.body(s.WasteSerializer)
        witness = s.credentials_of(data.pop("witness", None))
        entry = draws.waste_record(container=self.get_object(), by=_staff(request), witness=witness, **data)
        return self._entry_response(entry)

    @extend_schema(request=s.TransferSerializer, responses={201: s.EntrySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """To another clinic of the organisation; returns the transfer-in entry of the new container."""
        entry = stock.container_transfer(
            container=self.get_object(), by=_staff(request), **self.body(s.TransferSerializer)
        )
        return self._entry_response(entry)

    @extend_schema(request=s.ReturnSerializer, responses={201: s.EntrySerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_supplier(self, request, pk=None):
        entry = stock.container_return(container=self.get_object(), by=_staff(request), **self.body(s.ReturnSerializer))
        return self._entry_response(entry)

    @extend_schema(request=s.AdjustSerializer, responses={201: s.EntrySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        """A count adjustment: the registrant's own sign-off, with a reason."""
        entry = stock.count_adjust(container=self.get_object(), by=_staff(request), **self.body(s.AdjustSerializer))
        return self._entry_response(entry)

    @extend_schema(request=s.LossSerializer, responses={201: s.LossReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def loss(self, request, pk=None):
        """Report a loss or theft: alerts the registrant at once, plans the notice and Form 106."""
        report = stock.loss_report(container=self.get_object(), by=_staff(request), **self.body(s.LossSerializer))
        report = selectors.loss_report_list().get(pk=report.pk)
        return Response(s.LossReportSerializer(report).data, status=status.HTTP_201_CREATED)


def int_param(request, name: str) -> int:
    try:
        value = int(request.query_params.get(name, ""))
    except ValueError:
        raise serializers.ValidationError({name: [f"Give ?{name}=<id>."]})
    if not 0 < value < 2**31:
        raise serializers.ValidationError({name: ["Out of range."]})
    return value


class EntryViewSet(LedgerViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The ledger, read-only; a correction is a new entry, a witness confirms from their own session."""

    serializer_class = s.EntrySerializer
    clinic_lookup = "container__clinic"
    audit_resource = "controlled_entry"
    audit_patient_attr = "patient_id"
    filterset_class = EntryFilter
    operations = {
        "list": "controlled.read",
        "retrieve": "controlled.read",
        "correct": "controlled.correct",
        "witness": "controlled.witness",
    }

    def get_base_queryset(self):
        return selectors.entry_list()

    @extend_schema(request=s.CorrectSerializer, responses={201: s.EntrySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """A correcting entry referencing this one; on a draw with no change_mg it reverses the draw."""
        entry, data = self.get_object(), self.body(s.CorrectSerializer)
        by = _staff(request)
        if data.get("change_mg") is None:
            correction = draws.draw_correct_entered_in_error(draw=entry, by=by, reason=data["reason"])
        else:
            correction = draws.entry_correct(entry=entry, by=by, **data)
        correction = selectors.entry_list().get(pk=correction.pk)
        self.audit_objects([correction])
        return Response(self.get_serializer(correction).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: s.EntrySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def witness(self, request, pk=None):
        """The signed-in user witnesses this pending waste (their own session is the proof)."""
        entry = self.get_object()
        draws.waste_witness(entry=entry, witness=_staff(request))
        entry = selectors.entry_list().get(pk=entry.pk)
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema_view(create=extend_schema(request=s.DrawSerializer, responses={201: s.EntrySerializer, **ERRORS}))
class DrawViewSet(LedgerViewSet):
    """POST a dose drawn from a container: the charted dose and its draw entry, in one transaction."""

    serializer_class = s.EntrySerializer
    clinic_lookup = "container__clinic"
    audit_resource = "controlled_draw"
    audit_patient_attr = "patient_id"
    operations = {"create": "controlled.draw"}

    def get_base_queryset(self):
        return selectors.entry_list()

    def create(self, request, *args, **kwargs):
        data = self.body(s.DrawSerializer)
        witness = s.credentials_of(data.pop("witness", None))
        entry = draws.dose_draw(by=_staff(request), witness=witness, **data)
        entry = selectors.entry_list().get(pk=entry.pk)
        self.audit_objects([entry])
        return Response(s.EntrySerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema_view(create=extend_schema(request=s.CountCreateSerializer, responses={201: s.CountSerializer, **ERRORS}))
class CountViewSet(LedgerViewSet, mixins.ListModelMixin):
    """Blind counts: the counter posts what they see and is answered with what they entered."""

    serializer_class = s.CountSerializer
    audit_resource = "controlled_count"
    filterset_fields = ["clinic", "kind"]
    operations = {"list": "controlled.count", "create": "controlled.count"}

    def get_base_queryset(self):
        return selectors.count_list()

    def create(self, request, *args, **kwargs):
        data = self.body(s.CountCreateSerializer)
        lines = [
            counts.CountedLine(
                container_id=line["container"],
                counted_mg=line.get("counted_mg"),
                counted_devices=line.get("counted_devices"),
            )
            for line in data.pop("lines")
        ]
        count = counts.count_record(by=_staff(request), lines=lines, **data)
        count = selectors.count_list().get(pk=count.pk)
        self.audit_objects([count])
        return Response(self.get_serializer(count).data, status=status.HTTP_201_CREATED)


class DiscrepancyViewSet(LedgerViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.DiscrepancySerializer
    clinic_lookup = "container__clinic"
    audit_resource = "controlled_discrepancy"
    filterset_class = DiscrepancyFilter
    operations = {"list": "controlled.report", "retrieve": "controlled.report", "resolve": "controlled.signoff"}

    def get_base_queryset(self):
        return selectors.discrepancy_list()

    @extend_schema(request=s.ResolveSerializer, responses={200: s.DiscrepancySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        discrepancy = counts.discrepancy_resolve(
            discrepancy=self.get_object(), by=_staff(request), **_valid(s.ResolveSerializer, request)
        )
        return Response(self.get_serializer(selectors.discrepancy_list().get(pk=discrepancy.pk)).data)


class LossReportViewSet(LedgerViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.LossReportSerializer
    clinic_lookup = "entry__container__clinic"
    audit_resource = "controlled_loss_report"
    operations = {"list": "controlled.report", "retrieve": "controlled.report", "sign_off": "controlled.signoff"}

    def get_base_queryset(self):
        return selectors.loss_report_list()

    @extend_schema(request=s.SignOffSerializer, responses={200: s.LossReportSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request, pk=None):
        report = self.get_object()
        stock.loss_report_sign_off(report=report, by=_staff(request), **_valid(s.SignOffSerializer, request))
        return Response(self.get_serializer(selectors.loss_report_list().get(pk=report.pk)).data)


class PolicyViewSet(LedgerViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Each clinic's ledger policy as it applies (the dose form asks whether a container is required)."""

    serializer_class = s.PolicySerializer
    clinic_lookup = "id"
    audit_resource = "controlled_policy"
    audit_clinic_attr = "pk"
    operations = {"list": "controlled.read", "retrieve": "controlled.read"}

    def get_base_queryset(self):
        return selectors.policy_list()
