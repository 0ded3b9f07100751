"""What the front desk's day board shows of charting: whether a dosing session's prerequisites are
in place, whether the ride home is confirmed, and the prior authorization's status, never the
clinical detail behind them (which consent, which contraindication, which payer).

One query for the whole board, whatever its size, judged by PostgreSQL: each dosing session's row
comes back with its three answers only, by the rules of the pre-dose gate
(`monitoring.selectors.gate`) as of the session's start. The board judges what can be settled
before the day: the consent, the contraindication screen, the REMS enrollment and the
authorization. Fasting, weight, pregnancy test and vital signs are the nurse's, on the day, at the
gate.

The rules, per prerequisite the session needs (its template's, or for an ad-hoc session the gate's
defaults: a consent and a screen, and an authorization where the patient has any) and no
prescriber has overridden at the gate:

- a consent signed by now, not revoked by the session's start (or now, if later), not expired on
  its local day, signed within the template's maximum age before the start, and covering the
  step's medication and route (an empty list covers all);
- the latest reviewed contraindication screen still valid on that day passed, and was taken within
  the maximum age;
- a REMS enrollment in force on that day;
- a prior authorization used by the session, or valid on that day with sessions left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest

from kat_clinic.compiled_query import Param, ParamIds, Prepared
from monitoring.models import (
    ChecklistOverride,
    Consent,
    ContraindicationScreen,
    PriorAuthorization,
    PriorAuthorizationUse,
    RemsPatientEnrollment,
    SessionAttestation,
)
from monitoring.selectors.gate import Prereq
from programs.choices import SessionKind
from programs.models import TemplatePrerequisite
from sessions.models import Session


class Authorization:
    ACTIVE = "active"
    MISSING = "missing"
    NOT_REQUIRED = "not_required"


# What the board judges ahead of the day (see the module's docstring).
BOARD_PREREQUISITES = (
    Prereq.CONSENT,
    Prereq.CONTRAINDICATION_SCREEN,
    Prereq.REMS_ENROLLMENT,
    Prereq.PRIOR_AUTHORIZATION,
)


class _LocalDate(Func):
    """An instant's date in the time zone a column names: `(instant AT TIME ZONE zone)::date`."""

    arity = 2
    template = "((%(expressions)s)::date)"
    arg_joiner = " AT TIME ZONE "
    output_field = DateField()


class _Since(Func):
    """The earliest a record may date from: `instant` less `days` whole days of 24 hours, or
    -infinity where `days` is NULL (no maximum age)."""

    arity = 2
    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        (instant, instant_params), (days, days_params) = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"COALESCE({instant} - make_interval(secs => ({days}) * 86400), '-infinity'::timestamptz)"
        return sql, (*instant_params, *days_params)


class _Covers(Func):
    """Whether a list of choices covers a value: the value is '' (none asked), the list is empty
    (it covers all) or the value is in it."""

    arity = 2
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        (array, array_params), (value, value_params) = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"({value} = '' OR cardinality({array}) = 0 OR {value} = ANY({array}))"
        return sql, (*value_params, *array_params, *value_params, *array_params)


def _of_patient(model):
    return model.objects.filter(patient_id=OuterRef("patient_id"))


def _template_prerequisite(kind: str):
    return TemplatePrerequisite.objects.filter(
        template_id=OuterRef("planned_session__enrollment__template_id"), kind=kind
    )


def _overridden(kind: str) -> Exists:
    return Exists(
        ChecklistOverride.objects.filter(session_id=OuterRef("pk"), stage=ChecklistOverride.Stage.GATE, item=kind)
    )


def _required(kind: str):
    """Whether the session needs this prerequisite: its template says so, or, ad hoc, the gate's
    defaults do (the board cannot know an ad-hoc session's medication: no REMS enrollment)."""
    ad_hoc = {
        Prereq.CONSENT: Value(True),
        Prereq.CONTRAINDICATION_SCREEN: Value(True),
        Prereq.REMS_ENROLLMENT: Value(False),
        Prereq.PRIOR_AUTHORIZATION: Exists(_of_patient(PriorAuthorization)),
    }[kind]
    return Case(
        When(planned_session_id__isnull=False, then=Exists(_template_prerequisite(kind))),
        default=ad_hoc,
        output_field=BooleanField(),
    )


def _since(kind: str) -> _Since:
    return _Since(F("starts_at"), Subquery(_template_prerequisite(kind).values("max_age_days")[:1]))


def _consent_ok() -> Exists:
    return Exists(
        _of_patient(Consent)
        .filter(signed_at__lte=Param("now"), signed_at__gte=OuterRef("consent_since"))
        .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=OuterRef("judged_at")))
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=OuterRef("day")))
        .filter(_Covers(F("medications"), OuterRef("medication")), _Covers(F("routes"), OuterRef("route")))
    )


def _screen_ok() -> Coalesce:
    """The latest valid screen (as the gate orders them) passed within the maximum age; False for none."""
    latest = (
        _of_patient(ContraindicationScreen)
        .filter(reviewed_at__isnull=False, valid_until__gte=OuterRef("day"))
        .order_by("-screened_at", "-pk")
        .annotate(
            ok=ExpressionWrapper(
                Q(result=ContraindicationScreen.Result.PASSED, screened_at__gte=OuterRef("screen_since")),
                output_field=BooleanField(),
            )
        )
        .values("ok")[:1]
    )
    return Coalesce(Subquery(latest), Value(False))


def _rems_ok() -> Exists:
    return Exists(
        _of_patient(RemsPatientEnrollment)
        .filter(enrolled_on__lte=OuterRef("day"))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef("day")))
    )


def _authorization_active() -> Q:
    return Q(Exists(PriorAuthorizationUse.objects.filter(session_id=OuterRef("pk")))) | Q(
        Exists(
            _of_patient(PriorAuthorization).filter(
                valid_from__lte=OuterRef("day"),
                valid_until__gte=OuterRef("day"),
                authorised_sessions__gt=F("used_sessions"),
            )
        )
    )


def judge_board_flags(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """`sessions` with `prerequisite_missing`, `ride_not_confirmed` and `authorization` (active,
    missing or not_required) judged by PostgreSQL as of `Param("now")`, for the day board's own
    statement (`sessions.board_flags`): a dosing session's by the rules above; another kind needs
    neither (False, False, not_required). Compiled once per connection with the board's statement:
    resolving and compiling its subqueries costs more than running them."""
    ok = {
        Prereq.CONSENT: Q(_consent_ok()),
        Prereq.CONTRAINDICATION_SCREEN: Q(_screen_ok()),
        Prereq.REMS_ENROLLMENT: Q(_rems_ok()),
        Prereq.PRIOR_AUTHORIZATION: _authorization_active(),
    }
    missing = Q()
    for kind in BOARD_PREREQUISITES:
        missing |= Q(**{f"requires_{kind}": True}) & ~Q(_overridden(kind)) & ~ok[kind]
    ride_needed = Q(Exists(_template_prerequisite(Prereq.RIDE_CONFIRMED))) | Q(planned_session_id__isnull=True)
    ride_confirmed = Exists(
        SessionAttestation.objects.filter(session_id=OuterRef("pk")).exclude(escort_name="").exclude(escort_phone="")
    )
    dosing = Q(kind=SessionKind.DOSING)
    requires_authorization = Q(**{f"requires_{Prereq.PRIOR_AUTHORIZATION}": True})
    return sessions.alias(
        day=_LocalDate(F("starts_at"), F("clinic__timezone")),
        judged_at=Greatest(Param("now", output_field=DateTimeField()), F("starts_at")),
        medication=Coalesce(F("planned_session__step__medication"), Value("")),
        route=Coalesce(F("planned_session__step__route"), Value("")),
        consent_since=_since(Prereq.CONSENT),
        screen_since=_since(Prereq.CONTRAINDICATION_SCREEN),
        **{f"requires_{kind}": _required(kind) for kind in BOARD_PREREQUISITES},
    ).annotate(
        # (Judged for dosing sessions only: PostgreSQL evaluates a CASE's branches as reached.)
        prerequisite_missing=Case(
            When(dosing, then=ExpressionWrapper(missing, output_field=BooleanField())),
            default=Value(False),
            output_field=BooleanField(),
        ),
        ride_not_confirmed=Case(
            When(
                dosing,
                then=ExpressionWrapper(
                    ~Q(ride_confirmed) & ride_needed & ~Q(_overridden(Prereq.RIDE_CONFIRMED)),
                    output_field=BooleanField(),
                ),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
        authorization=Case(
            When(~dosing | ~requires_authorization, then=Value(Authorization.NOT_REQUIRED)),
            When(_authorization_active(), then=Value(Authorization.ACTIVE)),
            default=Value(Authorization.MISSING),
            output_field=CharField(),
        ),
    )


_FLAGS = Prepared(
    lambda: judge_board_flags(Session.objects.filter(pk__in_array=ParamIds("ids"))).values_list(
        "pk", "prerequisite_missing", "ride_not_confirmed", "authorization"
    )
)


def board_flags(*, sessions: Iterable[Session], now: dt.datetime) -> dict[int, dict]:
    """Per session id: `prerequisite_missing`, `ride_not_confirmed` and `authorization` (active,
    missing or not_required), of sessions read apart from the board, judged as the board's statement
    judges them (`judge_board_flags`). Sessions other than dosing need neither: False, False,
    not_required."""
    sessions = list(sessions)
    out = {
        s.pk: {"prerequisite_missing": False, "ride_not_confirmed": False, "authorization": Authorization.NOT_REQUIRED}
        for s in sessions
        if s.kind != SessionKind.DOSING
    }
    dosing = [s.pk for s in sessions if s.kind == SessionKind.DOSING]
    if dosing:
        for pk, missing, ride, authorization in _FLAGS.bind(ids=dosing, now=now):
            out[pk] = {"prerequisite_missing": missing, "ride_not_confirmed": ride, "authorization": authorization}
    return out
