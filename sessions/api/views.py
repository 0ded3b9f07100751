"""Thin views: validate, call one service or selector, serialize. Every error is the project's JSON."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from kat_clinic.access.prepared_lists import PreparedListMixin
from kat_clinic.access.scoping import clinics_for
from kat_clinic.access.viewsets import AuditedViewMixin, ClinicScopedViewSet
from kat_clinic.api.filters import AwareIsoDateTimeFilter, IdFilter, StrictFilterSet
from kat_clinic.api.parsers import JSON_ONLY
from programs.choices import Medication
from sessions import selectors, services
from sessions.api import serializers as s
from sessions.api.board import board_text_years, day_board_data
from sessions.availability import adhoc_shape
from sessions.models import Session
from sessions.placement import Preferences
from sessions.search import availability_search, search_shape

ERRORS = {
    400: OpenApiResponse(description="Malformed request."),
    404: OpenApiResponse(description="No such session in your clinics."),
    409: OpenApiResponse(
        s.ConflictProblemSerializer, description="Clash with another booking (overlap) or an illegal transition."
    ),
    422: OpenApiResponse(description="A scheduling or program rule refuses it; `type` names it."),
}


def _by(request):
    return getattr(request.user, "staff", None)


def _prefs(data: dict | None) -> Preferences:
    data = data or {}
    return Preferences(
        staff_ids=frozenset(data.get("staff", ())),
        room_ids=frozenset(data.get("rooms", ())),
        weekdays=frozenset(data.get("weekdays", ())),
        earliest=data.get("earliest"),
        latest=data.get("latest"),
    )


class SessionFilter(StrictFilterSet):
    staff = IdFilter(field_name="assignments__staff", distinct=True)
    starts_after = AwareIsoDateTimeFilter(field_name="block_starts_at", lookup_expr="gte")
    starts_before = AwareIsoDateTimeFilter(field_name="block_starts_at", lookup_expr="lt")

    class Meta:
        model = Session
        fields = ["clinic", "patient", "status", "kind", "room", "enrollment", "planned_session"]


class SessionViewSet(ClinicScopedViewSet, PreparedListMixin, mixins.RetrieveModelMixin):
    """Booked sessions and their front-desk actions. Sessions carry no clinical data."""

    serializer_class = s.SessionSerializer
    filterset_class = SessionFilter
    # All but `staff`, whose join makes the list DISTINCT (counted apart from the page).
    prepared_filters = frozenset(
        {"clinic", "patient", "status", "kind", "room", "enrollment", "planned_session"}
        | {"starts_after", "starts_before"}
    )
    # A prepared page is read as rows, its assignments by the serializer's own query.
    iterables_written_by_row_plan = (selectors.SessionsWithAssignmentRows,)
    # Bodies nest lists of objects (staff, moves), which form encodings cannot carry: JSON only.
    parser_classes = JSON_ONLY
    audit_resource = "session"
    operations = {
        "list": "session.read",
        "retrieve": "session.read",
        "create": "session.book",
        "book_planned": "session.book",
        "check_in": "session.check_in",
        "start": "session.start",
        "complete": "session.complete",
        "cancel": "session.cancel",
        "no_show": "session.no_show",
        "reschedule": "session.reschedule",
        "reschedule_together": "session.reschedule",
    }

    def get_base_queryset(self):
        return selectors.session_list()

    def _respond(self, session: Session, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.session_list().get(pk=session.pk)
        self.audit_objects([fresh])
        data = s.SessionSerializer(fresh).data
        outcome = getattr(session, "linked_integration_outcome", None)
        if outcome is not None:
            data["linked_integration"] = outcome
        return Response(data, status=code)

    @extend_schema(request=s.BookSessionSerializer, responses={201: s.SessionSerializer, **ERRORS})
    def create(self, request):
        body = s.BookSessionSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        shape = adhoc_shape(
            kind=data["kind"],
            session_minutes=data["session_minutes"],
            block_minutes=data["block_minutes"],
            staff=[(item["role"], item["mode"]) for item in data["staff"]],
            telehealth=data["telehealth"],
            requires_rems=data.get("medication") == Medication.ESKETAMINE,
        )
        session = services.session_book(
            clinic=data["clinic"],
            patient=data["patient"],
            shape=shape,
            starts_at=data["starts_at"],
            room=data.get("room"),
            staff=[item["staff"] for item in data["staff"]],
            by=_by(request),
        )
        return self._respond(session, status.HTTP_201_CREATED)

    @extend_schema(request=s.BookPlannedSerializer, responses={201: s.SessionSerializer, **ERRORS})
    @action(detail=False, methods=["post"], url_path="book-planned")
    def book_planned(self, request):
        body = s.BookPlannedSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        session = services.session_book_planned(
            planned_session=data["planned_session"],
            starts_at=data["starts_at"],
            room=data.get("room"),
            staff=data["staff"],
            telehealth=data["telehealth"],
            by=_by(request),
        )
        return self._respond(session, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.SessionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        return self._respond(services.session_check_in(session_id=self.get_object().pk, by=_by(request)))

    @extend_schema(request=None, responses={200: s.SessionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._respond(services.session_start(session_id=self.get_object().pk, by=_by(request)))

    @extend_schema(request=None, responses={200: s.SessionSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._respond(services.session_complete(session_id=self.get_object().pk, by=_by(request)))

    @extend_schema(request=s.CancelSerializer, responses={200: s.SessionReleasedSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        session = self.get_object()
        body = s.CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            services.session_cancel(
                session_id=session.pk,
                by=_by(request),
                reason=body.validated_data["reason"],
                linked_integration=body.validated_data.get("linked_integration"),
            )
        )

    @extend_schema(request=s.NoShowSerializer, responses={200: s.SessionReleasedSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        body = s.NoShowSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            services.session_mark_no_show(
                session_id=self.get_object().pk,
                by=_by(request),
                linked_integration=body.validated_data.get("linked_integration"),
            )
        )

    @extend_schema(
        request=s.RescheduleSerializer,
        responses={201: s.SessionSerializer, **ERRORS},
        description=(
            "Move a scheduled session. Moving a dosing session whose integration would leave its window "
            "answers 422 `integration_window` with a `proposal` of moves for both; send them to "
            "`reschedule-together`."
        ),
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        session = self.get_object()
        body = s.RescheduleSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        moved = services.session_reschedule(
            session_id=session.pk,
            starts_at=data["starts_at"],
            room=data.get("room"),
            staff=data.get("staff"),
            by=_by(request),
        )
        return self._respond(moved, status.HTTP_201_CREATED)

    @extend_schema(request=s.RescheduleTogetherSerializer, responses={201: s.SessionSerializer(many=True), **ERRORS})
    @action(detail=False, methods=["post"], url_path="reschedule-together", pagination_class=None, filter_backends=[])
    def reschedule_together(self, request):
        body = s.RescheduleTogetherSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        moves = body.validated_data["moves"]
        visible = set(self.get_queryset().filter(pk__in=[m["session"] for m in moves]).values_list("pk", flat=True))
        if len(visible) != len({m["session"] for m in moves}):
            raise Http404
        booked = services.sessions_reschedule_together(
            moves=[
                services.Move(
                    session_id=m["session"],
                    starts_at=m["starts_at"],
                    room_id=m["room"].pk if m.get("room") else None,
                    staff_ids={role: staff.pk for role, staff in m["staff"].items()},
                    telehealth=m["telehealth"],
                )
                for m in moves
            ],
            by=_by(request),
        )
        fresh = list(selectors.session_list().filter(pk__in=[b.pk for b in booked]))
        self.audit_objects(fresh)
        return Response(s.SessionSerializer(fresh, many=True).data, status=status.HTTP_201_CREATED)


class SearchView(AuditedViewMixin, APIView):
    """Feasible options for a planned session or a session kind, best first."""

    parser_classes = JSON_ONLY
    # The search writes nothing: no request transaction, no row-history context (kat_clinic/api/transactions.py).
    posts_that_only_read = frozenset({"post"})

    operations = {"post": "schedule.search"}
    audit_resource = "availability_search"
    audit_patient_attr = None

    @extend_schema(request=s.SearchSerializer, responses={200: s.OptionSerializer(many=True), **ERRORS})
    def post(self, request):
        body = s.SearchSerializer(data=request.data, context={"request": request, "view": self})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        clinic, patient, planned = data["clinic"], data["patient"], data.get("planned_session")
        shape = search_shape(
            clinic=clinic,
            patient=patient,
            planned=planned,
            telehealth=data["telehealth"],
            kind=data.get("kind"),
            session_minutes=data.get("session_minutes"),
            block_minutes=data.get("block_minutes"),
            needs=[(n["role"], n["mode"]) for n in data.get("needs", ())],
            room_kind=data.get("room_kind", ""),
            room_capability=data.get("room_capability", ""),
        )
        request.audit.add_object(resource_id=None, patient_id=patient.pk, clinic_id=clinic.pk)
        options = availability_search(
            clinic=clinic,
            patient=patient,
            shape=shape,
            planned=planned,
            date_from=data["date_from"],
            date_to=data["date_to"],
            prefs=_prefs(data.get("preferences")),
            limit=data["limit"],
        )
        # The options are already the documented shape (`OptionSerializer`): plain values, times as
        # ISO text in the clinic's zone.
        return Response(options)


class ProgramBookingView(AuditedViewMixin, APIView):
    """Propose (preview) or book, all or nothing, every to-book session of an enrollment."""

    parser_classes = JSON_ONLY

    operations = {"post": "schedule.program_booking"}
    audit_resource = "program_booking"
    audit_patient_attr = "patient_id"

    @extend_schema(request=s.ProgramBookingSerializer, responses={200: s.ProgramBookingResultSerializer, **ERRORS})
    def post(self, request):
        body = s.ProgramBookingSerializer(data=request.data, context={"request": request, "view": self})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        enrollment = data["enrollment"]
        self.audit_objects([enrollment])
        proposal, sessions = services.enrollment_book_program(
            enrollment=enrollment,
            date_from=data["date_from"],
            horizon_days=data["horizon_days"],
            prefs=_prefs(data.get("preferences")),
            preview=data["preview"],
            by=_by(request),
        )
        fresh = list(selectors.session_list().filter(pk__in=[x.pk for x in sessions]))
        return Response(
            {
                "preview": data["preview"],
                "proposal": proposal,
                "sessions": s.SessionSerializer(fresh, many=True).data,
            }
        )


class DayBoardView(AuditedViewMixin, APIView):
    """One clinic's local day: sessions by room and by staff member, with front-desk flags."""

    operations = {"get": "schedule.day_board"}
    reads_outside_transaction = frozenset({"get"})
    audit_resource = "day_board"

    @extend_schema(
        parameters=[
            OpenApiParameter("clinic", int, required=True),
            OpenApiParameter("date", dt.date, required=True, description="Local date of the clinic."),
        ],
        responses={200: s.DayBoardSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request):
        query = s.DayBoardQuerySerializer.read(request.query_params)
        clinic_id = query["clinic"]
        if clinic_id not in clinics_for(request.user, "schedule.day_board"):
            raise Http404
        clinic = selectors.board_clinic(clinic_id=clinic_id)
        if clinic is None:
            raise Http404
        text_years = board_text_years()
        board = selectors.day_board(
            clinic=clinic, day=query["date"], text_years=text_years, written=text_years is not None
        )
        sessions = board["sessions"]
        if board["written"]:  # `WrittenSession`s: their id and patient first
            request.audit.add_rows(sessions, 0, 1, None)
        else:
            request.audit.add_rows([(s["id"], s["patient"]["id"]) for s in sessions], 0, 1, None)
        if sessions:
            request.audit.add_object(resource_id=None, patient_id=None, clinic_id=clinic_id)
        return Response(day_board_data(board))
