"""Querysets for charting's endpoints, with their joins applied, so API query counts stay fixed."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from kat_clinic.compiled_query import Param, Prepared
from monitoring.models import (
    AdverseEvent,
    Alert,
    ChecklistOverride,
    ClinicalNote,
    ContraindicationScreen,
    DissociationScore,
    DoseAdministration,
    Escalation,
    RemsMonitoringForm,
    ScaleResponse,
    SedationScore,
    SessionAttestation,
    SessionMedication,
    VitalSign,
)
from sessions.models import Session


def addendum_list() -> QuerySet[ClinicalNote]:
    """A note's addenda, in the order they were written."""
    return ClinicalNote.objects.order_by("created_at", "pk")


def note_list() -> QuerySet[ClinicalNote]:
    return (
        ClinicalNote.objects.filter(amends__isnull=True)
        .select_related("session")
        .prefetch_related(Prefetch("addenda", queryset=addendum_list()))
        .order_by("-created_at", "-pk")
    )


def note_any() -> QuerySet[ClinicalNote]:
    """Notes and addenda alike (signing an addendum goes through the same routes)."""
    return ClinicalNote.objects.select_related("session").prefetch_related("addenda").order_by("-created_at", "-pk")


def session_rows(model) -> QuerySet:
    """Rows hanging off a session; the session is joined for the audit's patient id."""
    return model.objects.select_related("session").order_by("-pk")


def vital_list() -> QuerySet[VitalSign]:
    return VitalSign.objects.order_by("measured_at", "pk")


def alert_list() -> QuerySet[Alert]:
    return Alert.objects.order_by("-raised_at", "-pk")


def scale_response_list() -> QuerySet[ScaleResponse]:
    return ScaleResponse.objects.select_related("patient").order_by("-completed_at", "-pk")


def dose_list() -> QuerySet[DoseAdministration]:
    return DoseAdministration.objects.order_by("started_at", "pk")


def patient_records(model) -> QuerySet:
    return model.objects.select_related("patient").order_by("-pk")


# What the chart reads of a session's clinic and patient: the clinic's zone (its local day, for the
# gate) and the patient's date of birth (an age the esketamine label judges). Minimum necessary: the
# patient's name, contact details and the rest are not read for a chart, which shows none of them.
_CHART_PEOPLE = {"clinic": ("id", "timezone"), "patient": ("id", "date_of_birth")}


def chart_session_list() -> QuerySet[Session]:
    """Sessions with the columns the chart reads of their clinic and patient (`_CHART_PEOPLE`; a
    deferred one is read when used)."""
    deferred = [
        f"{name}__{field.name}"
        for name, kept in _CHART_PEOPLE.items()
        for field in Session._meta.get_field(name).related_model._meta.concrete_fields
        if field.name not in kept
    ]
    return Session.objects.select_related(*_CHART_PEOPLE).defer(*deferred)


# What the chart reads of a session's plan: the pre-dose gate follows the planned session to its
# template (`gate.session_template`, whose prerequisites come as JSON with the session) and to its
# step's medication (`gate.session_medication`).
_CHART_PLAN = {
    "planned_session": ("id", "step", "enrollment"),
    "planned_session__step": ("id", "medication"),
    "planned_session__enrollment": ("id", "template"),
    "planned_session__enrollment__template": ("id",),
}


def with_chart_plan(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """The sessions with their plan (planned session, step, enrollment and template) read in the
    same statement, only the columns the chart reads: the other 49 of them, none of which an ad-hoc
    session has, cost their decoding in every chart request. A deferred one is read when used."""
    deferred = []
    for path, kept in _CHART_PLAN.items():
        model = Session
        for name in path.split("__"):
            model = model._meta.get_field(name).related_model
        deferred += [f"{path}__{f.name}" for f in model._meta.concrete_fields if f.name not in kept]
    return sessions.select_related(*_CHART_PLAN).defer(*deferred)


# The kinds of a session's rows its chart reads (`SessionRows`), by the model that holds them.
CHART_ROW_KINDS = {
    "note": ClinicalNote,
    "doses": DoseAdministration,
    "other_medications": SessionMedication,
    "escalations": Escalation,
    "vitals": VitalSign,
    "sedation": SedationScore,
    "dissociation": DissociationScore,
    "adverse_events": AdverseEvent,
    "alerts": Alert,
    "scales": ScaleResponse,
    "overrides": ChecklistOverride,
    "attestation": SessionAttestation,
    "rems_form": RemsMonitoringForm,
}


def with_chart_rows_present(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Each session with `has_<kind>`: whether it has any row of that kind (an index lookup each).
    The chart does not read a kind the session has none of: most sessions have several empty ones,
    and each read is a statement."""
    return sessions.annotate(
        **{
            f"has_{kind}": Exists(model.objects.filter(session_id=OuterRef("pk")))
            for kind, model in CHART_ROW_KINDS.items()
        }
    )


def override_list() -> QuerySet[ChecklistOverride]:
    return ChecklistOverride.objects.select_related("session").order_by("-overridden_at", "-pk")


def contraindication_screen_list() -> QuerySet[ContraindicationScreen]:
    return ContraindicationScreen.objects.select_related("patient").order_by("-screened_at", "-pk")


def rems_form_list() -> QuerySet[RemsMonitoringForm]:
    return RemsMonitoringForm.objects.select_related("session").order_by("due_on", "pk")


def _newest_note_of_session() -> QuerySet[ClinicalNote]:
    """The notes (not addenda) of the session `Param("session")`, newest first."""
    return ClinicalNote.objects.filter(amends__isnull=True, session_id=Param("session")).order_by("-created_at", "-pk")


def _of_session(build) -> Prepared:
    """One session's rows, as `build()` orders them: built and compiled once per connection, run
    with `.bind(session=id)` (the chart reads a dozen such lists on every view)."""
    return Prepared(lambda: build().filter(session_id=Param("session")))


class SessionRows:
    """A session's rows of each kind the chart shows, in the chart's order."""

    # The newest note (the chart shows one), without its addenda: `note_addenda` reads them, when
    # `has_addenda` says there are some.
    note = Prepared(
        lambda: (
            note_list()
            .prefetch_related(None)
            .filter(session_id=Param("session"))
            .annotate(has_addenda=Exists(ClinicalNote.objects.filter(amends_id=OuterRef("pk"))))[:1]
        )
    )
    note_addenda = Prepared(lambda: addendum_list().filter(amends_id=Param("note")))
    # The same note as a plain row, and its addenda (none when it has none), to be read with the
    # chart's other rows (`read_together`, which reads back a model's own columns only).
    newest_note = Prepared(lambda: _newest_note_of_session()[:1])
    newest_note_addenda = Prepared(
        lambda: addendum_list().filter(amends_id=Subquery(_newest_note_of_session().values("pk")[:1]))
    )
    doses = _of_session(dose_list)
    other_medications = _of_session(lambda: SessionMedication.objects.order_by("given_at", "pk"))
    escalations = _of_session(lambda: Escalation.objects.order_by("occurred_at", "pk"))
    vitals = _of_session(vital_list)
    sedation = _of_session(lambda: SedationScore.objects.order_by("measured_at", "pk"))
    dissociation = _of_session(lambda: DissociationScore.objects.order_by("measured_at", "pk"))
    adverse_events = _of_session(lambda: AdverseEvent.objects.order_by("onset_at", "pk"))
    alerts = _of_session(alert_list)
    scales = _of_session(lambda: ScaleResponse.objects.order_by("completed_at", "pk"))
    overrides = _of_session(lambda: ChecklistOverride.objects.order_by("pk"))
    # At most one of each (`.first()`: the lowest id).
    attestation = Prepared(lambda: SessionAttestation.objects.filter(session_id=Param("session")).order_by("pk")[:1])
    rems_form = Prepared(lambda: RemsMonitoringForm.objects.filter(session_id=Param("session")).order_by("pk")[:1])
