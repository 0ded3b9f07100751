"""The pre-dose gate's reads of a patient's records, each built and compiled once per connection
(`kat_clinic.compiled_query.Prepared`): the chart and every dose judge the gate, and compiling these
small queries cost more than running them. A condition that only some checks carry (a template's
maximum age, the medication and the route of a consent) makes a variant of its own. Each is read
the way `kat_clinic.compiled_batch.read_together` reads it back (the gate sends them together)."""

from __future__ import annotations

import functools

from django.db.models import F, OuterRef, Q, QuerySet

from kat_clinic.compiled_query import Param, Prepared
from kat_clinic.json_sql import json_rows
from kat_clinic.models import PatientWeight
from monitoring.models import (
    Consent,
    ContraindicationScreen,
    PatientMedication,
    PregnancyTest,
    PriorAuthorization,
    RemsPatientEnrollment,
)
from programs.models import TemplatePrerequisite


def _any(queryset: QuerySet) -> QuerySet:
    """Whether there is a row: at most one id, as a tuple (run with `bool(list(...))`)."""
    return queryset.order_by().values_list("pk")[:1]


def _of_patient(model) -> QuerySet:
    return model.objects.filter(patient_id=Param("patient"))


@functools.cache
def consent_covering(*, since: bool, medication: bool, route: bool) -> Prepared:
    """A consent signed by `now`, not revoked then nor expired by `today`; signed since `since`,
    covering `medications` and `routes` (one-item lists), for the variants that ask."""

    def build() -> QuerySet:
        consents = _of_patient(Consent).filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=Param("now")),
            Q(expires_on__isnull=True) | Q(expires_on__gte=Param("today")),
            signed_at__lte=Param("now"),
        )
        if since:
            consents = consents.filter(signed_at__gte=Param("since"))
        if medication:
            consents = consents.filter(Q(medications=[]) | Q(medications__contains=Param("medications")))
        if route:
            consents = consents.filter(Q(routes=[]) | Q(routes__contains=Param("routes")))
        return _any(consents)

    return Prepared(build)


# The latest screen reviewed by a prescriber and still valid on `today`.
LATEST_VALID_SCREEN = Prepared(
    lambda: (
        _of_patient(ContraindicationScreen)
        .filter(valid_until__gte=Param("today"), reviewed_at__isnull=False)
        .order_by("-screened_at", "-pk")[:1]
    )
)

# A REMS enrollment in force on `today`.
REMS_ENROLLED = Prepared(
    lambda: _any(
        _of_patient(RemsPatientEnrollment).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=Param("today")), enrolled_on__lte=Param("today")
        )
    )
)

# Any authorization on file (the patient is paid for by insurance).
HAS_AUTHORIZATIONS = Prepared(lambda: _any(_of_patient(PriorAuthorization)))

# An authorization valid on `today` with sessions left.
AUTHORIZATION_LEFT = Prepared(
    lambda: _any(
        _of_patient(PriorAuthorization).filter(
            valid_from__lte=Param("today"),
            valid_until__gte=Param("today"),
            used_sessions__lt=F("authorised_sessions"),
        )
    )
)

# The latest weight measured in [since, now].
LATEST_WEIGHT = Prepared(
    lambda: (
        _of_patient(PatientWeight)
        .filter(measured_at__gte=Param("since"), measured_at__lte=Param("now"))
        .order_by("-measured_at")[:1]
    )
)

# The latest pregnancy test in [since, now].
LATEST_PREGNANCY_TEST = Prepared(
    lambda: (
        _of_patient(PregnancyTest)
        .filter(tested_at__gte=Param("since"), tested_at__lte=Param("now"))
        .order_by("-tested_at")[:1]
    )
)

# The medications of a flagged class the patient takes (not stopped before `today`), by id.
FLAGGED_MEDICATIONS = Prepared(
    lambda: (
        _of_patient(PatientMedication)
        .exclude(concomitant_class="")
        .filter(Q(stopped_on__isnull=True) | Q(stopped_on__gte=Param("today")))
        .order_by("pk")
    )
)


# Where a session read `with_template_prerequisites` holds its template's prerequisites.
TEMPLATE_PREREQUISITES = "template_prerequisites_json"


def with_template_prerequisites(sessions: QuerySet) -> QuerySet:
    """Each session with its program template's prerequisites (kind, max_age_days), in the
    template's order (by kind), as JSON text in the session's own statement ('[]' for an ad-hoc
    session): the gate reads them from there rather than in a statement of their own."""
    return sessions.annotate(
        **{
            TEMPLATE_PREREQUISITES: json_rows(
                TemplatePrerequisite.objects.filter(template_id=OuterRef("planned_session__enrollment__template_id")),
                "kind",
                kind=F("kind"),
                max_age_days=F("max_age_days"),
            )
        }
    )
