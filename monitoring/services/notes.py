"""Notes: draft, edit with a version check, sign (hash kept), co-sign, addenda."""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kat_clinic.errors import Conflict, PreconditionFailed, RuleViolation
from kat_clinic.models import ClinicMembership, StaffMember
from monitoring.models import ClinicalNote
from monitoring.services.common import require_operation
from sessions.models import Session

NOTE_KIND_BY_SESSION_KIND = {
    "preparation": ClinicalNote.Kind.PREPARATION,
    "dosing": ClinicalNote.Kind.DOSING,
    "integration": ClinicalNote.Kind.INTEGRATION,
}


def note_kind_for(session: Session) -> str:
    return NOTE_KIND_BY_SESSION_KIND.get(session.kind, ClinicalNote.Kind.GENERAL)


def note_canonical_content(note: ClinicalNote) -> bytes:
    """The signed content as canonical JSON bytes: what the SHA-256 is taken of."""
    content = {
        "id": note.pk,
        "session_id": note.session_id,
        "patient_id": note.patient_id,
        "kind": note.kind,
        "amends_id": note.amends_id,
        "sections": note.sections,
        "body": note.body,
        "author_id": note.author_id,
        "author_role": note.author_role,
        "signed_by_id": note.signed_by_id,
        "signed_at": note.signed_at.isoformat() if note.signed_at else None,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def note_content_hash(note: ClinicalNote) -> str:
    return hashlib.sha256(note_canonical_content(note)).hexdigest()


def note_author_role(*, author: StaffMember, clinic_id: int, asked: str | None = None) -> str:
    """The role the author writes as: the one asked (held at the clinic), else the only one held."""
    held = sorted(
        set(
            ClinicMembership.objects.filter(
                staff=author, clinic_id=clinic_id, active=True, role__in=ClinicalNote.AuthorRole.values
            ).values_list("role", flat=True)
        )
    )
    if asked:
        if asked not in held:
            raise RuleViolation(
                "The author does not hold this role at the clinic.",
                code="author_role",
                errors={"author_role": [f"Not held at this clinic; held: {', '.join(held) or 'none'}."]},
            )
        return asked
    if len(held) != 1:
        raise RuleViolation(
            "Say which role the note is written as.",
            code="author_role",
            errors={"author_role": [f"Required: one of {', '.join(held) or 'no clinical role held'}."]},
        )
    return held[0]


def _addendum_role(*, author: StaffMember, clinic_id: int, root: ClinicalNote) -> str:
    """An addendum's author writes as the amended note's role when they hold it, else as their own."""
    try:
        return note_author_role(author=author, clinic_id=clinic_id, asked=root.author_role)
    except RuleViolation:
        return note_author_role(author=author, clinic_id=clinic_id)


@transaction.atomic
def note_create(
    *, session: Session, author: StaffMember, sections: dict, body: str = "", author_role: str | None = None
) -> ClinicalNote:
    """Start the author's note on the session: one per author role (the therapist's, the nurse's and
    the prescriber's notes sit side by side); a second of the same role is a 409, also held by the
    partial unique constraint `clinicalnote_one_per_author_role`."""
    require_operation(staff=author, operation="note.write", clinic_id=session.clinic_id, field="author")
    role = note_author_role(author=author, clinic_id=session.clinic_id, asked=author_role)
    if ClinicalNote.objects.filter(session=session, author_role=role, amends__isnull=True).exists():
        raise Conflict(f"This session already has the {role}'s note; edit it or add an addendum.", code="note_exists")
    return ClinicalNote.objects.create(
        session=session,
        patient_id=session.patient_id,
        kind=note_kind_for(session),
        sections=sections,
        body=body,
        author=author,
        author_role=role,
    )


@transaction.atomic
def note_update(
    *, note: ClinicalNote, by: StaffMember, expected_version: int, sections: dict | None = None, body: str | None = None
) -> ClinicalNote:
    """Edit a draft if nobody changed it since `expected_version` (412 otherwise). Only its author edits."""
    if note.author_id != by.pk:
        raise RuleViolation("Only the note's author edits a draft.", code="not_author")
    changes: dict = {"version": F("version") + 1, "updated_at": timezone.now()}
    if sections is not None:
        changes["sections"] = sections
    if body is not None:
        changes["body"] = body
    # One conditional UPDATE: two editors with the same version cannot both win.
    updated = ClinicalNote.objects.filter(
        pk=note.pk, version=expected_version, status=ClinicalNote.Status.DRAFT
    ).update(**changes)
    note.refresh_from_db()
    if not updated:
        if note.status == ClinicalNote.Status.SIGNED:
            raise Conflict("The note is signed; write an addendum instead.", code="note_signed")
        raise PreconditionFailed(current_version=note.version, etag=note.etag)
    return note


@transaction.atomic
def note_sign(*, note: ClinicalNote, by: StaffMember, expected_version: int | None = None) -> ClinicalNote:
    """Sign one's own draft: records who and when and the SHA-256 of the canonical content."""
    note = ClinicalNote.objects.select_for_update().get(pk=note.pk)
    if note.status == ClinicalNote.Status.SIGNED:
        raise Conflict("The note is already signed.", code="note_signed")
    if note.author_id != by.pk:
        raise RuleViolation("Authors sign only their own notes.", code="not_author")
    if expected_version is not None and expected_version != note.version:
        raise PreconditionFailed(current_version=note.version, etag=note.etag)
    require_operation(staff=by, operation="note.sign", clinic_id=note.session.clinic_id)
    note.status = ClinicalNote.Status.SIGNED
    note.signed_by = by
    note.signed_at = timezone.now()
    note.version += 1
    note.content_sha256 = note_content_hash(note)
    note.save(update_fields=["status", "signed_by", "signed_at", "version", "content_sha256"])
    return note


@transaction.atomic
def note_cosign(*, note: ClinicalNote, by: StaffMember) -> ClinicalNote:
    """A prescriber co-signs a signed dosing note, once. The trigger allows only these two columns."""
    note = ClinicalNote.objects.select_for_update(of=("self",)).select_related("session").get(pk=note.pk)
    require_operation(staff=by, operation="note.cosign", clinic_id=note.session.clinic_id)
    if not note.needs_cosignature:
        raise RuleViolation("Only dosing notes take a co-signature.", code="cosign_not_applicable")
    if note.status != ClinicalNote.Status.SIGNED:
        raise RuleViolation("The author signs the note before it is co-signed.", code="note_not_signed")
    if note.cosigned_by_id is not None:
        raise Conflict("The note is already co-signed.", code="note_cosigned")
    if note.author_id == by.pk:
        raise RuleViolation("A co-signature is a second prescriber's, not the author's.", code="cosign_by_author")
    now = timezone.now()
    ClinicalNote.objects.filter(pk=note.pk).update(cosigned_by=by, cosigned_at=now)
    note.refresh_from_db()
    return note


@transaction.atomic
def note_add_addendum(
    *, note: ClinicalNote, author: StaffMember, body: str, sections: dict | None = None
) -> ClinicalNote:
    """Correct a signed note by a new row pointing at it; the addendum is signed in turn."""
    require_operation(staff=author, operation="note.write", clinic_id=note.session.clinic_id, field="author")
    if note.status != ClinicalNote.Status.SIGNED:
        raise RuleViolation("Edit the draft itself; addenda correct signed notes.", code="note_not_signed")
    root = note.amends or note
    return ClinicalNote.objects.create(
        session_id=note.session_id,
        patient_id=note.patient_id,
        kind=note.kind,
        amends=root,
        author_role=_addendum_role(author=author, clinic_id=note.session.clinic_id, root=root),
        sections=sections or {},
        body=body,
        author=author,
    )
