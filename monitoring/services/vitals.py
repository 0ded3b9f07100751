"""Vitals flowsheet and the threshold rules evaluated over it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from kat_clinic.compiled_query import Param, Prepared
from kat_clinic.errors import RuleViolation
from kat_clinic.models import StaffMember
from monitoring.models import (
    AdverseEvent,
    Alert,
    DissociationScore,
    SedationScore,
    ThresholdRuleKind,
    VitalSign,
)
from monitoring.models.vitals import VITAL_READING_FIELDS, reading_problems
from monitoring.selectors.policy import session_charting_rules, thresholds_for
from monitoring.services.alerts import AlertCandidate, alerts_raise
from monitoring.services.chart_time import chart_time_check
from monitoring.services.common import require_operation, session_locked
from sessions.models import Session


# One with the caller's transaction (the request's), not a savepoint inside it: no caller goes on
# after a refusal, which rolls the whole transaction back. (Two statements of a monitor's write.)
@transaction.atomic(savepoint=False)
def vitals_record(
    *, session: Session, by: StaffMember, readings: list[dict], batch: bool = False
) -> tuple[list[VitalSign], int]:
    """Store readings (manual or from a monitor) and re-evaluate the session's threshold rules.

    Idempotent on (session, device_reading_id): a reading already stored is skipped, by the unique
    constraint (ON CONFLICT DO NOTHING), so a monitor may resend a whole batch. Returns the new
    readings and how many were duplicates.
    """
    require_operation(staff=by, operation="vitals.write", clinic_id=session.clinic_id)
    _check_readings(readings, batch=batch)
    # Neither the clinic's row nor the patient's is read here (the clinic's zone only to word a
    # refusal, which may read it then). A session the request body's field read FOR UPDATE is not
    # read again.
    session = session_locked(session)
    # The clinic's charting policy and thresholds, once for the whole batch: read with the session
    # by the request body's field (`with_charting_rules`), else in one query.
    policy, limits = session_charting_rules(session)
    now = timezone.now()
    for index, reading in enumerate(readings):
        field = f"readings.{index}.measured_at" if batch else "measured_at"
        chart_time_check(session=session, at=reading.get("measured_at"), field=field, now=now, policy=policy)
    seen: set[str] = set()
    unique: list[dict] = []
    for reading in readings:
        device_id = reading.get("device_reading_id")
        if device_id:
            if device_id in seen:
                continue
            seen.add(device_id)
        unique.append(reading)
    already = set(
        VitalSign.objects.filter(session=session, device_reading_id__in=seen).values_list(
            "device_reading_id", flat=True
        )
    )
    rows = [
        VitalSign(session=session, patient_id=session.patient_id, entered_by=by, **_vital_fields(r))
        for r in unique
        if r.get("device_reading_id") not in already
    ]
    manual = [row for row in rows if not row.device_reading_id]
    from_device = [row for row in rows if row.device_reading_id]
    created = VitalSign.objects.bulk_create(manual)
    # ON CONFLICT DO NOTHING: the unique (session, device_reading_id) drops a resent reading.
    VitalSign.objects.bulk_create(from_device, ignore_conflicts=True)
    if from_device:
        stored = list(
            VitalSign.objects.filter(
                session=session, device_reading_id__in=[row.device_reading_id for row in from_device]
            )
        )
        for row in stored:
            row.session = session  # what the caller's audit and response read, without a query per row
        created += stored
    created.sort(key=lambda r: (r.measured_at, r.pk))
    if created:
        session_vitals_evaluate(
            session=session, since=(created[0].measured_at, created[0].pk), stored=len(created), limits=limits
        )
    return created, len(readings) - len(rows)


def _check_readings(readings: list[dict], *, batch: bool) -> None:
    """A 422 naming each incomplete or inconsistent reading's fields (the API's serializer says the
    same first, as a 400), rather than the database's refusal of the whole write."""
    errors: dict[str, list[str]] = {}
    for index, reading in enumerate(readings):
        for field, messages in reading_problems(reading).items():
            errors[f"readings.{index}.{field}" if batch else field] = messages
    if errors:
        raise RuleViolation(
            "A reading is incomplete or inconsistent; nothing was recorded.",
            code="vital_reading_invalid",
            errors=errors,
        )


def _vital_fields(reading: dict) -> dict:
    return {name: reading[name] for name in VITAL_READING_FIELDS if name in reading}


def _episodes(readings: Iterable[VitalSign], breaches: Callable[[VitalSign], bool | None]) -> list[list[VitalSign]]:
    """Runs of consecutive breaching readings. A reading that lacks the measure neither breaches nor
    ends a run; a reading inside the limit ends it."""
    episodes: list[list[VitalSign]] = []
    current: list[VitalSign] = []
    for reading in readings:
        breach = breaches(reading)
        if breach is None:
            continue
        if breach:
            current.append(reading)
        elif current:
            episodes.append(current)
            current = []
    if current:
        episodes.append(current)
    return episodes


def _first_spanning(episode: list[VitalSign], minutes: int) -> VitalSign | None:
    """The first reading at least `minutes` after the episode began, if the episode lasted that long."""
    start = episode[0].measured_at
    for reading in episode:
        if reading.measured_at - start >= timedelta(minutes=minutes):
            return reading
    return None


Rule = tuple[str, Callable[[VitalSign], bool | None], int | None]


def _bp_at_or_above(limit: dict) -> Callable[[VitalSign], bool | None]:
    """Either pressure at or above the limit's (a reading has both or neither)."""
    return lambda r: (
        None
        if r.systolic_mmhg is None
        else r.systolic_mmhg >= limit["systolic_mmhg"] or r.diastolic_mmhg >= limit["diastolic_mmhg"]
    )


def threshold_rules(limits: dict[str, dict | None]) -> list[Rule]:
    """The clinic's active rules: (kind, whether a reading breaches it, the minutes an episode must
    last before it alerts, or None). A reading that lacks the rule's measure neither breaches it
    nor is within it (None)."""
    rules: list[Rule] = []
    severe = limits.get(ThresholdRuleKind.BP_SEVERE_REPEATED)
    if severe:
        rules.append((ThresholdRuleKind.BP_SEVERE_REPEATED, _bp_at_or_above(severe), severe["minutes"]))
    critical = limits.get(ThresholdRuleKind.BP_CRITICAL)
    if critical:
        rules.append((ThresholdRuleKind.BP_CRITICAL, _bp_at_or_above(critical), None))
    tachy = limits.get(ThresholdRuleKind.HR_SUSTAINED)
    if tachy:
        rules.append(
            (
                ThresholdRuleKind.HR_SUSTAINED,
                lambda r: None if r.heart_rate_bpm is None else r.heart_rate_bpm > tachy["heart_rate_bpm"],
                tachy["minutes"],
            )
        )
    hypoxia = limits.get(ThresholdRuleKind.SPO2_LOW)
    if hypoxia:
        rules.append(
            (
                ThresholdRuleKind.SPO2_LOW,
                lambda r: None if r.spo2_percent is None else r.spo2_percent < hypoxia["spo2_percent"],
                None,
            )
        )
    return rules


def session_breaches(*, readings: list[VitalSign], limits: dict[str, dict | None]) -> list[tuple[str, list, VitalSign]]:
    """[(rule kind, episode readings, reading that triggered)] over readings sorted by measured_at."""
    found: list[tuple[str, list, VitalSign]] = []
    for kind, breaches, minutes in threshold_rules(limits):
        for episode in _episodes(readings, breaches):
            trigger = episode[0] if minutes is None else _first_spanning(episode, minutes)
            if trigger:
                found.append((kind, episode, trigger))
    return found


MESSAGES = {
    ThresholdRuleKind.BP_SEVERE_REPEATED: (
        "Blood pressure {systolic}/{diastolic} at or above the severe limit on readings {minutes} min apart."
    ),
    ThresholdRuleKind.BP_CRITICAL: "Blood pressure {systolic}/{diastolic} at or above the critical limit.",
    ThresholdRuleKind.HR_SUSTAINED: "Heart rate {hr} above the limit for {minutes} min.",
    ThresholdRuleKind.SPO2_LOW: "SpO2 {spo2} % below the limit.",
}


# What the threshold rules and the alert details read of a reading.
_EVALUATED = ("pk", "measured_at", "systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent")


def _evaluated_rows(session: Session):
    # Plain rows, not model instances: the rules read a few values of every reading evaluated.
    return VitalSign.objects.filter(session=session, entered_in_error_at__isnull=True).values_list(
        *_EVALUATED, named=True
    )


@functools.lru_cache(maxsize=16)
def _newest_readings(limit: int) -> Prepared:
    """The session's `limit` newest readings (not entered in error), newest first: a write's first
    read, prepared once per limit (one manual reading, a monitor's usual batch)."""
    return Prepared(
        lambda: (
            VitalSign.objects.filter(session_id=Param("session"), entered_in_error_at__isnull=True)
            .order_by("-measured_at", "-pk")
            .values_list(*_EVALUATED, named=True)[:limit]
        )
    )


# How many readings besides the new ones are read first, in one statement; more only when none of
# them is all clear.
WINDOW_MARGIN = 60


def readings_since_all_clear(*, session: Session, since: tuple, stored: int, rules: list[Rule]) -> list:
    """The readings, in measured order, after the latest reading that comes before `since` and is
    within every rule (each of its measures present and inside its limit).

    Such a reading ends every rule's run, so the episodes after it are the same whatever came
    before it; the episodes before it hold none of the new readings and were judged when their own
    readings were stored. The session's readings are read newest first, and only back to there: a
    monitor's batch late in a long session reads a few rows, not the whole session."""
    first_read = stored + WINDOW_MARGIN
    newest_first = list(_newest_readings(first_read).bind(session=session.pk))
    window = after_all_clear(newest_first, since=since, rules=rules)
    if len(window) == first_read:
        # No all-clear reading among them (a batch of late entries, a long episode): read on.
        window = after_all_clear(
            _evaluated_rows(session).order_by("-measured_at", "-pk").iterator(chunk_size=1000), since=since, rules=rules
        )
    return window


def after_all_clear(newest_first: Iterable, *, since: tuple, rules: list[Rule]) -> list:
    """Of readings given newest first, those after the latest all-clear reading before `since`,
    oldest first (all of them when there is none)."""
    window = []
    for row in newest_first:
        if (row.measured_at, row.pk) < since and all(breaches(row) is False for _, breaches, _ in rules):
            break
        window.append(row)
    window.reverse()
    return window


def episodes_to_alert(breaches: list[tuple[str, list, VitalSign]], existing: dict[str, list]) -> list[tuple]:
    """The breaches whose episode holds no alert of its rule yet (`existing`: kind -> the episode
    starts of the session's alerts). A late reading may extend an episode backwards; it is still
    the same episode."""
    return [
        (kind, episode, trigger)
        for kind, episode, trigger in breaches
        if not any(episode[0].measured_at <= started <= episode[-1].measured_at for started in existing.get(kind, []))
    ]


def session_vitals_evaluate(
    *, session: Session, since: tuple | None = None, stored: int = 0, limits: dict[str, dict | None] | None = None
) -> list[Alert]:
    """Evaluate every in-session rule over the readings of the session in measured order (late
    entries included) and raise one alert per rule per episode. Safe to run again: an episode that
    already holds an alert of its rule raises nothing new. Call with the session row locked.

    `since`, the (measured_at, id) of the earliest of the `stored` readings just stored, limits the
    evaluation to what those readings can change: the readings after the last one before them that
    is within every rule (`readings_since_all_clear`). Without it, every reading of the session
    (after a correction, which may join or split any episode). `limits`, the clinic's thresholds
    when the caller has read them."""
    if limits is None:
        limits = thresholds_for(clinic=session.clinic_id)
    rules = threshold_rules(limits)
    if not rules:
        return []
    readings = (
        readings_since_all_clear(session=session, since=since, stored=stored, rules=rules)
        if since is not None
        else list(_evaluated_rows(session).order_by("measured_at", "pk"))
    )
    breaches = session_breaches(readings=readings, limits=limits)
    if not breaches:
        return []
    existing: dict[str, list] = {}
    for kind, started in Alert.objects.filter(session=session).values_list("kind", "episode_started_at"):
        existing.setdefault(kind, []).append(started)
    candidates = []
    for kind, episode, trigger in episodes_to_alert(breaches, existing):
        start = episode[0].measured_at
        rule = limits[kind]
        message = MESSAGES[kind].format(
            systolic=trigger.systolic_mmhg,
            diastolic=trigger.diastolic_mmhg,
            hr=trigger.heart_rate_bpm,
            spo2=trigger.spo2_percent,
            minutes=rule.get("minutes"),
        )
        candidates.append(
            AlertCandidate(
                kind=kind,
                dedupe_key=f"vitals:{session.pk}:{kind}:{start.isoformat()}",
                message=message,
                episode_started_at=start,
                clinic_id=session.clinic_id,
                patient_id=session.patient_id,
                session_id=session.pk,
                details={"reading_ids": [r.pk for r in episode], "trigger_reading_id": trigger.pk, "limits": rule},
            )
        )
    return alerts_raise(candidates=candidates)


CADSS_ITEMS = 23


@transaction.atomic
def sedation_record(*, session: Session, by: StaffMember, measured_at, moaas: int) -> SedationScore:
    require_operation(staff=by, operation="vitals.write", clinic_id=session.clinic_id)
    chart_time_check(session=session, at=measured_at, field="measured_at")
    return SedationScore.objects.create(session=session, measured_at=measured_at, moaas=moaas, recorded_by=by)


@transaction.atomic
def dissociation_record(*, session: Session, by: StaffMember, measured_at, items: list[int]) -> DissociationScore:
    require_operation(staff=by, operation="vitals.write", clinic_id=session.clinic_id)
    chart_time_check(session=session, at=measured_at, field="measured_at")
    return DissociationScore.objects.create(
        session=session, measured_at=measured_at, items=items, total=sum(items), recorded_by=by
    )


@transaction.atomic
def adverse_event_record(*, session: Session, by: StaffMember, **fields) -> AdverseEvent:
    require_operation(staff=by, operation="vitals.write", clinic_id=session.clinic_id)
    chart_time_check(session=session, at=fields.get("onset_at"), field="onset_at")
    return AdverseEvent.objects.create(session=session, patient_id=session.patient_id, recorded_by=by, **fields)
