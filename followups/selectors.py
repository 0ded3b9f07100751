"""Read paths of the follow-up engine, each with its joins applied so API query counts stay fixed."""

from __future__ import annotations

import datetime as dt

from django.db.models import BigIntegerField, Q, QuerySet, Subquery
from django.utils import timezone

from followups.conf import conf
from followups.models import FollowUp, QueueTally
from kat_clinic.api.pagination import ReadAsWholeNumber
from kat_clinic.roles import CLINICAL_ROLES, Role

Kind = FollowUp.Kind
Status = FollowUp.Status

# Patient messages about the schedule, which the front desk may see; others are clinical.
SCHEDULE_PATIENT_KINDS = (Kind.SESSION_REMINDER,)

BUCKETS = ("upcoming", "due", "overdue", "sent", "failed", "acknowledged", "cancelled")


def followup_visibility(
    *, staff_id: int | None, roles_by_clinic: dict[int, frozenset[str]], clinic_id: int | None = None
) -> Q:
    """Which follow-ups a staff member sees: alerts addressed to them or to a role they hold at that
    clinic; patient messages to the clinic's clinicians, and schedule reminders to the front desk.

    With `clinic_id`, only that clinic's, and its clinic stands once, outside the alternatives: the
    same rows, but PostgreSQL then counts the clinic's share once instead of once more inside each
    alternative, and expects a clinic's whole queue rather than a hundredth of it (which made it
    sort every row instead of walking the queue's index to the first page).
    """
    if clinic_id is not None:
        return clinic_followup_visibility(staff_id=staff_id, clinic_id=clinic_id, roles=roles_by_clinic.get(clinic_id))
    visible = _addressed_to(staff_id)
    for clinic, roles in roles_by_clinic.items():
        visible |= Q(clinic_id=clinic) & _visible_at(roles)
    return visible


def clinic_followup_visibility(*, staff_id, clinic_id, roles: frozenset[str] | None) -> Q:
    """`followup_visibility` of one clinic, where the staff member holds `roles` (the ids may be
    parameters of a prepared query)."""
    mine = _addressed_to(staff_id)
    return Q(clinic_id=clinic_id) & (mine | _visible_at(roles) if roles else mine)


def _addressed_to(staff_id) -> Q:
    return Q(target=FollowUp.Target.STAFF, staff_id=staff_id) if staff_id is not None else Q(pk__in=[])


def _visible_at(roles: frozenset[str]) -> Q:
    """What the holder of `roles` at a clinic sees of its follow-ups, besides those addressed to them."""
    here = Q(target=FollowUp.Target.ROLE, role__in=sorted(roles))
    if roles & CLINICAL_ROLES:
        here |= Q(target=FollowUp.Target.PATIENT)
        # A clinical alert is every clinician's business until someone takes it: each sees who
        # was told and paged (the escalation), not only their own item.
        here |= Q(kind__in=(Kind.CLINICAL_ALERT, Kind.CRISIS_PAGE))
    elif Role.SCHEDULER in roles:
        here |= Q(target=FollowUp.Target.PATIENT, kind__in=SCHEDULE_PATIENT_KINDS)
    return here


def followup_bucket(queryset: QuerySet[FollowUp], bucket: str, *, now: dt.datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    return queryset.filter(bucket_condition(bucket, now=now, overdue_at=overdue_since(now)))


def overdue_since(now: dt.datetime) -> dt.datetime:
    """An open follow-up due before this instant is overdue."""
    return now - dt.timedelta(minutes=conf("FOLLOWUP_OVERDUE_MINUTES"))


# The instants each bucket's condition reads.
BUCKET_INSTANTS = {"upcoming": ("now",), "due": ("now", "overdue_at"), "overdue": ("overdue_at",)}


def bucket_condition(bucket: str, *, now, overdue_at) -> Q:
    """The follow-ups of a bucket at `now` (values, or parameters of a prepared query)."""
    open_ = Q(status__in=FollowUp.OPEN_STATUSES)
    conditions = {
        "upcoming": open_ & Q(due_at__gt=now),
        "due": open_ & Q(due_at__lte=now, due_at__gt=overdue_at),
        "overdue": open_ & Q(due_at__lte=overdue_at),
        "sent": Q(status=Status.SENT),
        "failed": Q(status=Status.FAILED),
        "acknowledged": Q(status=Status.ACKNOWLEDGED),
        "cancelled": Q(status=Status.CANCELLED),
    }
    return conditions[bucket]


def followup_list() -> QuerySet[FollowUp]:
    # The queue serialises ids and the addressee's name: one join, one query per page.
    return FollowUp.objects.select_related("staff").order_by("due_at", "id")


class TallySum(ReadAsWholeNumber, Subquery):
    """The sum of a tally's counts (`n`), as a scalar subquery: uncorrelated, computed once."""

    template = "(SELECT COALESCE(SUM(tallied.n), 0)::bigint FROM (%(subquery)s) AS tallied)"
    output_field = BigIntegerField()


def followup_count(condition: Q) -> TallySum:
    """How many follow-ups meet `condition`, read from the queue's tally (a few rows per clinic).

    `condition` may read only the tally's key (clinic, target, role, kind, staff member): the
    visibility of `followup_visibility` and the queue's role and kind filters."""
    return TallySum(QueueTally.objects.filter(condition).order_by().values("n"))
