"""Notes: one per author role per session, edited with If-Match, signed, co-signed, amended by addenda."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from kat_clinic.errors import PreconditionFailed, PreconditionRequired
from monitoring import selectors
from monitoring.api import serializers as s
from monitoring.api.views.base import ERRORS, CreatingChartViewSet, acting_staff
from monitoring.services import notes


def _if_match_version(request) -> int:
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    try:
        return int(value.strip('"'))
    except ValueError:
        raise PreconditionFailed("The If-Match header does not hold an ETag of this note.")


IF_MATCH = OpenApiParameter(
    "If-Match", location=OpenApiParameter.HEADER, required=True, type=str, description="The ETag read with GET."
)


@extend_schema_view(
    create=extend_schema(request=s.NoteCreateSerializer, responses={201: s.ClinicalNoteSerializer, **ERRORS}),
)
class NoteViewSet(CreatingChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """One note per author role per session; signed notes are frozen in the database, corrections are addenda."""

    serializer_class = s.ClinicalNoteSerializer
    create_serializer_class = s.NoteCreateSerializer
    audit_resource = "clinical_note"
    filterset_fields = ["session", "patient", "kind", "status"]
    operations = {
        "list": "note.read",
        "retrieve": "note.read",
        "create": "note.write",
        "partial_update": "note.write",
        "sign": "note.sign",
        "cosign": "note.cosign",
        "add_addendum": "note.write",
    }

    def get_base_queryset(self):
        return selectors.note_list() if self.action == "list" else selectors.note_any()

    def perform_service_create(self, data, by):
        return notes.note_create(
            session=data["session"],
            author=by,
            sections=data["sections"],
            body=data["body"],
            author_role=data.get("author_role"),
        )

    @extend_schema(
        responses={200: s.ClinicalNoteSerializer},
        parameters=[
            OpenApiParameter(
                "ETag",
                location=OpenApiParameter.HEADER,
                response=[200],
                type=str,
                description="The note's version; send it back in If-Match to edit.",
            )
        ],
    )
    def retrieve(self, request, *args, **kwargs):
        note = self.get_object()
        return Response(self.get_serializer(note).data, headers={"ETag": note.etag})

    @extend_schema(
        request=s.NoteUpdateSerializer,
        parameters=[IF_MATCH],
        responses={
            200: s.ClinicalNoteSerializer,
            412: OpenApiResponse(description="Stale ETag."),
            428: OpenApiResponse(description="If-Match missing."),
            **ERRORS,
        },
    )
    def partial_update(self, request, *args, **kwargs):
        note = self.get_object()
        expected = _if_match_version(request)
        serializer = s.NoteUpdateSerializer(data=request.data, context={"note": note})
        serializer.is_valid(raise_exception=True)
        note = notes.note_update(
            note=note, by=acting_staff(request), expected_version=expected, **serializer.validated_data
        )
        return Response(self.get_serializer(note).data, headers={"ETag": note.etag})

    @extend_schema(request=None, responses={200: s.ClinicalNoteSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        note = self.get_object()
        expected = _if_match_version(request) if request.headers.get("If-Match") else None
        note = notes.note_sign(note=note, by=acting_staff(request), expected_version=expected)
        return Response(self.get_serializer(note).data, headers={"ETag": note.etag})

    @extend_schema(request=None, responses={200: s.ClinicalNoteSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cosign(self, request, pk=None):
        note = notes.note_cosign(note=self.get_object(), by=acting_staff(request))
        return Response(self.get_serializer(note).data, headers={"ETag": note.etag})

    @extend_schema(request=s.AddendumCreateSerializer, responses={201: s.ClinicalNoteSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="addenda")
    def add_addendum(self, request, pk=None):
        note = self.get_object()
        serializer = s.AddendumCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        addendum = notes.note_add_addendum(
            note=note, author=acting_staff(request), body=serializer.validated_data["body"]
        )
        self.audit_objects([addendum])
        return Response(self.get_serializer(addendum).data, status=status.HTTP_201_CREATED)
