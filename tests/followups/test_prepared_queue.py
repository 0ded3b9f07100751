"""A clinic's follow-up queue answered by its prepared query answers exactly as DRF's path: each
bucket at the same instant, each filter, each role's view of it, the same 400s."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from followups.api.views import FollowUpViewSet
from followups.models import FollowUp
from kat_clinic.roles import Role
from tests.factories import PatientFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

K = FollowUp.Kind
S = FollowUp.Status
NOW = dt.datetime(2027, 3, 3, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def queue(clinic, other_clinic, nurse):
    """A clinic's queue with an item in every bucket, for several addressees; one of another clinic."""
    patient = PatientFactory(home_clinic=clinic)

    def role_item(role, **kwargs):
        return FollowUpFactory(
            clinic=clinic, target=FollowUp.Target.ROLE, role=role, channel=FollowUp.Channel.IN_APP, **kwargs
        )

    items = {
        "upcoming": role_item(Role.SCHEDULER, kind=K.NO_SHOW_REVIEW, due_at=NOW + dt.timedelta(hours=1)),
        "due": role_item(Role.NURSE, kind=K.NO_SHOW_REVIEW, due_at=NOW - dt.timedelta(minutes=5)),
        "overdue": role_item(Role.SCHEDULER, kind=K.NO_SHOW_REVIEW, due_at=NOW - dt.timedelta(hours=2)),
        "sent": role_item(Role.NURSE, kind=K.REMS_FORM_DUE, status=S.SENT, due_at=NOW - dt.timedelta(days=1)),
        "failed": role_item(Role.SCHEDULER, kind=K.NO_SHOW_REVIEW, status=S.FAILED, due_at=NOW),
        "reminder": FollowUpFactory(clinic=clinic, kind=K.SESSION_REMINDER, patient=patient, due_at=NOW),
        "scale": FollowUpFactory(clinic=clinic, kind=K.SCALE_REQUEST, patient=patient, due_at=NOW),
        "to the nurse": FollowUpFactory(
            clinic=clinic,
            target=FollowUp.Target.STAFF,
            staff=nurse,
            channel=FollowUp.Channel.IN_APP,
            kind=K.NO_SHOW_REVIEW,
            due_at=NOW - dt.timedelta(minutes=1),
        ),
    }
    FollowUpFactory(
        clinic=other_clinic,
        target=FollowUp.Target.ROLE,
        role=Role.SCHEDULER,
        channel=FollowUp.Channel.IN_APP,
        due_at=NOW,
    )
    return items


QUERIES = [
    "clinic={clinic}",
    "clinic={clinic}&bucket=upcoming",
    "clinic={clinic}&bucket=due",
    "clinic={clinic}&bucket=overdue",
    "clinic={clinic}&bucket=sent",
    "clinic={clinic}&bucket=failed",
    "clinic={clinic}&role=nurse",
    "clinic={clinic}&kind=session_reminder",
    "clinic={clinic}&patient={patient}",
    "clinic={clinic}&page_size=2&page=2",
    "clinic={clinic}&page_size=2&page=9",  # 404
    "clinic={other}",  # not the caller's clinic: an empty queue
    "clinic={clinic}&bucket=nonsense",  # 400
    "clinic=abc",  # 400
    "bucket=due",  # every clinic of the caller's: DRF's path either way
]


@pytest.mark.parametrize("who", ["scheduler", "nurse"])
@pytest.mark.parametrize("query", QUERIES)
def test_given_a_clinics_queue_then_the_prepared_path_answers_as_drfs(
    api, request, clinic, other_clinic, queue, monkeypatch, who, query
):
    # given
    user = request.getfixturevalue(who)
    values = {"clinic": clinic.pk, "other": other_clinic.pk, "patient": queue["scale"].patient_id}
    path = "/api/v1/followups/?" + query.format(**values)

    # when, at one instant for both paths
    with time_machine.travel(NOW, tick=False):
        prepared = api(user).get(path)
        with monkeypatch.context() as patched:
            patched.setattr(FollowUpViewSet, "prepared_filtering", lambda self, request: None)
            plain = api(user).get(path)

    # then
    assert (prepared.status_code, prepared.content) == (plain.status_code, plain.content)


def test_given_the_front_desk_then_its_due_items_come_from_the_prepared_query(api, scheduler, clinic, queue):
    # given
    FollowUpViewSet._prepared_variants.clear()

    # when
    with time_machine.travel(NOW, tick=False):
        due = api(scheduler).get(f"/api/v1/followups/?clinic={clinic.pk}&bucket=overdue").json()
        everything = api(scheduler).get(f"/api/v1/followups/?clinic={clinic.pk}").json()

    # then the scheduler's overdue item, and everything the front desk sees (no clinical message)
    assert [row["id"] for row in due["results"]] == [queue["overdue"].pk]
    assert sorted(row["id"] for row in everything["results"]) == sorted(
        queue[name].pk for name in ("upcoming", "overdue", "failed", "reminder")
    )
    assert [shape for shape, _size, _page, _utc in FollowUpViewSet._prepared_variants] == [
        (True, (Role.SCHEDULER,), "overdue", ()),
        (True, (Role.SCHEDULER,), None, ()),
    ]


def test_given_a_clinics_queue_then_its_clinic_is_named_once_in_its_statement(api, scheduler, clinic, queue):
    # given
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(scheduler)

    # when
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        body = client.get(f"/api/v1/followups/?clinic={clinic.pk}").json()

    # then one statement reads the page and its count, the clinic once in each, without the
    # caller's clinics beside it (PostgreSQL would count the clinic's share twice and misplan)
    (read,) = [q["sql"] for q in queries.captured_queries if 'FROM "followups_followup"' in q["sql"]]
    assert read.count('"clinic_id" = (') == 2  # the page's and its count's
    assert "= ANY(" not in read
    assert body["count"] == 4
