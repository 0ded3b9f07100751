"""A KAT dosing session has a therapist, a nurse and a prescriber: each writes and signs their own note."""

from __future__ import annotations

import pytest

from monitoring.models import ClinicalNote
from monitoring.services.notes import note_create

pytestmark = pytest.mark.django_db


def test_therapist_nurse_and_prescriber_each_write_and_sign_their_own_note(api, therapist, nurse, prescriber, session):
    # given: a dosing session in progress
    # when: each of the three writes a note, then signs it
    created = {}
    for who, body in ((therapist, "Held space."), (nurse, "Vitals stable."), (prescriber, "Dose tolerated.")):
        response = api(who).post("/api/v1/chart/notes/", {"session": session.pk, "body": body})
        assert response.status_code == 201
        created[who.pk] = response.json()
    signed = {
        who.pk: api(who).post(f"/api/v1/chart/notes/{created[who.pk]['id']}/sign/")
        for who in (therapist, nurse, prescriber)
    }

    # then: three notes side by side, one per role, each signed by its own author
    assert {c["author_role"] for c in created.values()} == {"therapist", "nurse", "prescriber"}
    assert {pk: (r.status_code, r.json()["status"], r.json()["signed_by"]) for pk, r in signed.items()} == {
        therapist.pk: (200, "signed", therapist.pk),
        nurse.pk: (200, "signed", nurse.pk),
        prescriber.pk: (200, "signed", prescriber.pk),
    }
    assert sorted(ClinicalNote.objects.filter(session=session).values_list("author_role", "body")) == [
        ("nurse", "Vitals stable."),
        ("prescriber", "Dose tolerated."),
        ("therapist", "Held space."),
    ]


def test_a_second_note_of_the_same_role_is_a_conflict(api, nurse, make_staff, clinic, session):
    # given: the nurse's note exists; a second nurse is on the floor
    note_create(session=session, author=nurse, sections={}, body="First nurse.")
    second_nurse = make_staff(clinic, "nurse")

    # when
    response = api(second_nurse).post("/api/v1/chart/notes/", {"session": session.pk, "body": "Second."})

    # then: refused, the one nurse's note kept
    assert (response.status_code, response.json()["type"]) == (409, "urn:kat-clinic:problem:note_exists")
    assert list(ClinicalNote.objects.values_list("body", flat=True)) == ["First nurse."]


def test_an_author_holding_two_roles_says_which_one(api, make_staff, clinic, session):
    # given: a nurse practitioner who is both nurse and prescriber here
    both = make_staff(clinic, "nurse", "prescriber")

    # when: without author_role, then with it
    unsaid = api(both).post("/api/v1/chart/notes/", {"session": session.pk, "body": "x"})
    said = api(both).post("/api/v1/chart/notes/", {"session": session.pk, "body": "x", "author_role": "prescriber"})

    # then
    assert (unsaid.status_code, list(unsaid.json()["errors"])) == (422, ["author_role"])
    assert (said.status_code, said.json()["author_role"]) == (201, "prescriber")
    assert ClinicalNote.objects.count() == 1
