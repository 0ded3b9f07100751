"""The queue's count comes from its tally, kept by FollowUp's triggers and folded by beat: always
exactly what the queue lists, whoever asks, whatever rows of change are still unfolded."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from followups.models import FollowUp, QueueTally
from followups.services import queue_tallies_fold
from followups.tasks import fold_queue_tallies
from kat_clinic.roles import Role
from tests.factories import PatientFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

K = FollowUp.Kind
T = FollowUp.Target


def role_item(clinic, role, kind=K.NO_SHOW_REVIEW, **kwargs):
    return FollowUpFactory(
        clinic=clinic, target=T.ROLE, role=role, kind=kind, channel=FollowUp.Channel.IN_APP, **kwargs
    )


@pytest.fixture
def queue(clinic, other_clinic, nurse, scheduler):
    """A clinic's follow-ups for every audience, and another clinic's."""
    patient = PatientFactory(home_clinic=clinic)
    now = timezone.now()
    for hours in range(3):
        FollowUpFactory(clinic=clinic, patient=patient, kind=K.SESSION_REMINDER, due_at=now + dt.timedelta(hours=hours))
    FollowUpFactory(clinic=clinic, patient=patient, kind=K.SCALE_REQUEST)
    role_item(clinic, Role.SCHEDULER)
    role_item(clinic, Role.SCHEDULER, status=FollowUp.Status.SENT)
    role_item(clinic, Role.NURSE, kind=K.REMS_FORM_DUE)
    FollowUpFactory(
        clinic=clinic, patient=None, target=T.STAFF, staff=nurse, channel=FollowUp.Channel.IN_APP, kind=K.NO_SHOW_REVIEW
    )
    FollowUpFactory(
        clinic=clinic,
        patient=None,
        target=T.STAFF,
        staff=scheduler,
        channel=FollowUp.Channel.IN_APP,
        kind=K.NO_SHOW_REVIEW,
    )
    role_item(other_clinic, Role.SCHEDULER)
    return patient


def tally_sums() -> dict[tuple, int]:
    sums: Counter = Counter()
    for *key, n in QueueTally.objects.values_list("clinic_id", "target", "role", "kind", "staff_id", "n"):
        sums[tuple(key)] += n
    return {key: n for key, n in sums.items() if n}


def followup_counts() -> dict[tuple, int]:
    return dict(Counter(FollowUp.objects.values_list("clinic_id", "target", "role", "kind", "staff_id")))


# (who, query, the count): the scheduler sees the reminders, its role's items and its own; the
# nurse every patient message, its role's items and its own.
COUNTS = [
    ("scheduler", "clinic={clinic}", 3 + 2 + 1),
    ("scheduler", "clinic={clinic}&role=scheduler", 2),
    ("scheduler", "clinic={clinic}&kind=no_show_review", 2 + 1),
    ("scheduler", "", 3 + 2 + 1),  # every clinic of the caller's: DRF's path
    ("nurse", "clinic={clinic}", 4 + 1 + 1),
    ("nurse", "clinic={clinic}&kind=session_reminder", 3),
    ("nurse", "clinic={clinic}&role=nurse&kind=rems_form_due", 1),
    ("nurse", "clinic={clinic}&patient={patient}", 4),  # counted by its ids
    ("nurse", "clinic={clinic}&bucket=sent", 0),  # counted by its ids
]


@pytest.mark.parametrize("folded", [False, True], ids=["rows of change", "folded"])
@pytest.mark.parametrize(("who", "query", "count"), COUNTS)
def test_given_a_clinics_queue_then_its_count_is_what_it_lists(api, request, clinic, queue, folded, who, query, count):
    # given
    if folded:
        queue_tallies_fold()
    assert QueueTally.objects.filter(folded=False).exists() is not folded
    user = request.getfixturevalue(who)

    # when
    body = api(user).get(f"/api/v1/followups/?page_size=200&{query.format(clinic=clinic.pk, patient=queue.pk)}").json()
    first_page = api(user).get(f"/api/v1/followups/?page_size=2&{query.format(clinic=clinic.pk, patient=queue.pk)}")

    # then
    assert (body["count"], len(body["results"])) == (count, count)
    assert first_page.json()["count"] == count


def test_given_the_tally_counts_more_then_the_queue_says_so_and_lists_the_same(api, nurse, clinic, queue):
    # given a row of change the tally holds for three reminders more than there are
    before = api(nurse).get(f"/api/v1/followups/?clinic={clinic.pk}").json()
    QueueTally.objects.create(clinic=clinic, target=T.PATIENT, role="", kind=K.SESSION_REMINDER, n=3, folded=False)

    # when
    with CaptureQueriesContext(connection) as queries:
        after = api(nurse).get(f"/api/v1/followups/?clinic={clinic.pk}").json()

    # then the count is the tally's, read in the page's one statement, and the page is unchanged
    assert (before["count"], after["count"]) == (6, 9)
    assert after["results"] == before["results"]
    (read,) = [q["sql"] for q in queries.captured_queries if 'FROM "followups_followup"' in q["sql"]]
    assert 'FROM "followups_queuetally"' in read
    assert "COUNT(" not in read


def test_given_follow_ups_added_re_addressed_and_removed_then_the_tally_sums_to_their_counts(
    clinic, other_clinic, nurse, scheduler, queue
):
    # given
    FollowUp.objects.filter(clinic=clinic, role=Role.SCHEDULER).update(role=Role.NURSE)
    FollowUp.objects.filter(clinic=other_clinic).update(clinic=clinic)
    FollowUp.objects.filter(target=T.STAFF, staff=nurse).update(status=FollowUp.Status.SENT)  # not the key
    FollowUp.objects.filter(kind=K.SCALE_REQUEST).delete()

    # then, before and after the fold
    expected = {
        (clinic.pk, "patient", "", "session_reminder", None): 3,
        (clinic.pk, "role", "nurse", "no_show_review", None): 2,
        (clinic.pk, "role", "scheduler", "no_show_review", None): 1,  # the other clinic's
        (clinic.pk, "role", "nurse", "rems_form_due", None): 1,
        (clinic.pk, "staff", "", "no_show_review", nurse.pk): 1,
        (clinic.pk, "staff", "", "no_show_review", scheduler.pk): 1,
    }
    assert followup_counts() == expected
    assert tally_sums() == expected
    queue_tallies_fold()
    assert tally_sums() == expected


def test_given_rows_of_change_when_folded_then_one_row_per_key_with_the_same_sums(clinic, queue):
    # given
    FollowUpFactory(clinic=clinic, kind=K.SESSION_REMINDER, patient=queue)
    sums = tally_sums()
    changes = QueueTally.objects.filter(folded=False).count()

    # when beat's task folds them, and folds again
    moved = fold_queue_tallies()
    again = queue_tallies_fold()

    # then each key has one folded row, and nothing is left to fold
    assert changes == 11  # one per statement that inserted a follow-up
    assert (moved, again) == (len(sums), 0)
    assert QueueTally.objects.filter(folded=False).count() == 0
    assert tally_sums() == sums
    keys = QueueTally.objects.values_list("clinic_id", "target", "role", "kind", "staff_id")
    assert len(keys) == len(set(keys))


def test_given_a_key_emptied_when_folded_then_its_row_says_zero_and_the_queue_counts_zero(api, scheduler, clinic):
    # given
    item = role_item(clinic, Role.SCHEDULER)
    queue_tallies_fold()
    FollowUp.objects.filter(pk=item.pk).delete()

    # when
    queue_tallies_fold()
    body = api(scheduler).get(f"/api/v1/followups/?clinic={clinic.pk}").json()

    # then
    assert list(QueueTally.objects.values_list("n", "folded")) == [(0, True)]
    assert (body["count"], body["results"]) == (0, [])


def test_given_a_repeated_idempotency_key_then_only_the_row_inserted_is_counted(clinic):
    # given
    kept = role_item(clinic, Role.NURSE, idempotency_key="once")

    # when the planner's bulk insert meets the key again beside a new row
    FollowUp.objects.bulk_create(
        [
            FollowUp(
                clinic=clinic,
                target=T.ROLE,
                role=Role.NURSE,
                kind=K.NO_SHOW_REVIEW,
                channel=FollowUp.Channel.IN_APP,
                idempotency_key=key,
                due_at=kept.due_at,
            )
            for key in ("once", "twice")
        ],
        ignore_conflicts=True,
    )

    # then
    assert tally_sums() == {(clinic.pk, "role", "nurse", "no_show_review", None): 2}


@pytest.mark.django_db(transaction=True, databases=["default", "runtime"])
def test_given_the_runtime_role_when_it_writes_follow_ups_and_folds_then_the_tally_holds_them(
    runtime_connection, clinic
):
    # given the role the web app and the worker connect as
    assert runtime_connection.settings_dict["USER"] != connection.settings_dict["USER"]

    # when it writes two follow-ups, then folds
    for key in ("runtime:1", "runtime:2"):
        FollowUp.objects.using("runtime").create(
            clinic_id=clinic.pk,
            target=T.ROLE,
            role=Role.NURSE,
            kind=K.REMS_FORM_DUE,
            channel=FollowUp.Channel.IN_APP,
            idempotency_key=key,
            due_at=timezone.now(),
        )
    moved = queue_tallies_fold(using="runtime")

    # then
    assert moved == 1
    assert list(QueueTally.objects.values_list("n", "folded")) == [(2, True)]
