"""Who moved a session through its states is kept on the session."""

from __future__ import annotations

import pytest

from sessions import services
from sessions.models import Session
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(clinic, patient, chair, working_nurse, book):
    return book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)


def test_check_in_start_and_completion_record_who_did_each(session, nurse, prescriber, scheduler):
    # when: the front desk checks the patient in, a nurse starts the session, a prescriber completes it
    services.session_check_in(session_id=session.pk, by=scheduler, now=session.starts_at)
    services.session_start(session_id=session.pk, by=nurse, now=session.starts_at)
    services.session_complete(session_id=session.pk, by=prescriber)

    # then
    done = Session.objects.get(pk=session.pk)
    assert (done.checked_in_by_id, done.started_by_id, done.completed_by_id) == (scheduler.pk, nurse.pk, prescriber.pk)


def test_repeating_a_transition_keeps_who_did_it_first(session, nurse, prescriber):
    # given
    services.session_check_in(session_id=session.pk, by=nurse, now=session.starts_at)
    services.session_start(session_id=session.pk, by=nurse, now=session.starts_at)

    # when: someone else presses "start" again
    again = services.session_start(session_id=session.pk, by=prescriber, now=session.starts_at)

    # then: the repeat changed nothing
    assert again.started_by_id == nurse.pk


def test_a_session_history_event_carries_who_completed_it(session, nurse, prescriber):
    # given
    services.session_check_in(session_id=session.pk, by=nurse, now=session.starts_at)
    services.session_start(session_id=session.pk, by=nurse, now=session.starts_at)

    # when
    services.session_complete(session_id=session.pk, by=prescriber)

    # then: the row history (pghistory) has the completion with its author
    last = session.events.order_by("pgh_id").last()
    assert (last.status, last.completed_by_id) == ("completed", prescriber.pk)
