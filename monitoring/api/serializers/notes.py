"""Clinical notes and addenda: the sections each kind of note holds."""

from __future__ import annotations

from rest_framework import serializers

from kat_clinic.api.lean import LeanRepresentationMixin
from monitoring.api.fields import session_field
from monitoring.models import (
    ClinicalNote,
)


class PreparationSections(serializers.Serializer):
    intentions = serializers.CharField(required=False, allow_blank=True)
    psychoeducation = serializers.CharField(required=False, allow_blank=True)
    consent_reviewed = serializers.BooleanField(required=False)
    set_and_setting = serializers.CharField(required=False, allow_blank=True)


class DosingSections(serializers.Serializer):
    pre_dose_checks = serializers.CharField(required=False, allow_blank=True)
    therapist_observations = serializers.CharField(required=False, allow_blank=True)
    patient_experience = serializers.CharField(required=False, allow_blank=True)


class IntegrationSections(serializers.Serializer):
    themes = serializers.CharField(required=False, allow_blank=True)
    insights = serializers.CharField(required=False, allow_blank=True)
    homework = serializers.CharField(required=False, allow_blank=True)
    mood = serializers.CharField(required=False, allow_blank=True)
    risk_check = serializers.CharField(required=False, allow_blank=True)


class GeneralSections(serializers.Serializer):
    pass


SECTIONS_BY_KIND = {
    ClinicalNote.Kind.PREPARATION: PreparationSections,
    ClinicalNote.Kind.DOSING: DosingSections,
    ClinicalNote.Kind.INTEGRATION: IntegrationSections,
    ClinicalNote.Kind.GENERAL: GeneralSections,
}


def validate_sections(kind: str, sections) -> dict:
    """Sections of the note's kind only, each of its type; unknown keys are refused."""
    serializer_class = SECTIONS_BY_KIND[kind]
    if not isinstance(sections, dict):
        raise serializers.ValidationError({"sections": ["Expected an object."]})
    unknown = set(sections) - set(serializer_class().fields)
    if unknown:
        raise serializers.ValidationError(
            {"sections": [f"Unknown sections for a {kind} note: {', '.join(sorted(unknown))}."]}
        )
    serializer = serializer_class(data=sections)
    if not serializer.is_valid():
        raise serializers.ValidationError({"sections": serializer.errors})
    return dict(serializer.validated_data)


class AddendumSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    class Meta:
        model = ClinicalNote
        fields = ["id", "body", "author", "status", "version", "created_at", "signed_by", "signed_at", "content_sha256"]
        read_only_fields = fields


class ClinicalNoteSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    session = session_field()
    sections = serializers.JSONField(required=False)
    addenda = AddendumSerializer(many=True, read_only=True)
    etag = serializers.CharField(read_only=True)

    class Meta:
        model = ClinicalNote
        fields = [
            "id",
            "session",
            "patient",
            "kind",
            "amends",
            "sections",
            "body",
            "author",
            "author_role",
            "status",
            "version",
            "etag",
            "created_at",
            "updated_at",
            "signed_by",
            "signed_at",
            "content_sha256",
            "cosigned_by",
            "cosigned_at",
            "addenda",
        ]
        read_only_fields = [
            "patient",
            "kind",
            "amends",
            "author",
            "author_role",
            "status",
            "version",
            "created_at",
            "updated_at",
            "signed_by",
            "signed_at",
            "content_sha256",
            "cosigned_by",
            "cosigned_at",
        ]


class NoteCreateSerializer(serializers.Serializer):
    session = session_field()
    sections = serializers.JSONField(required=False, default=dict)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    author_role = serializers.ChoiceField(
        choices=ClinicalNote.AuthorRole.choices,
        required=False,
        help_text="The role the note is written as; needed only when the author holds several at the clinic.",
    )

    def validate(self, attrs):
        from monitoring.services.notes import note_kind_for

        attrs["sections"] = validate_sections(note_kind_for(attrs["session"]), attrs["sections"])
        return attrs


class NoteUpdateSerializer(serializers.Serializer):
    sections = serializers.JSONField(required=False)
    body = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        if "sections" in attrs:
            attrs["sections"] = validate_sections(self.context["note"].kind, attrs["sections"])
        return attrs


class AddendumCreateSerializer(serializers.Serializer):
    body = serializers.CharField()
