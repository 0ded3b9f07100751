"""Read paths of integration care, each with its joins applied so API query counts stay fixed."""

from __future__ import annotations

from django.apps import apps
from django.db.models import QuerySet

from integration.models import AlertPolicy, CheckIn, IntegrationPlan, OnCallEntry


def checkin_list() -> QuerySet[CheckIn]:
    return CheckIn.objects.order_by("-submitted_at", "-id")


def integration_plan_list() -> QuerySet[IntegrationPlan]:
    return IntegrationPlan.objects.order_by("-updated_at", "-id")


def integration_plan_history(*, plan: IntegrationPlan) -> QuerySet:
    event_model = apps.get_model("integration", "IntegrationPlanEvent")
    return event_model.objects.filter(pgh_obj_id=plan.pk).order_by("pgh_id")


def oncall_list() -> QuerySet[OnCallEntry]:
    return OnCallEntry.objects.select_related("staff").order_by("clinic_id", "position")


def alert_policy_for(clinic_id: int) -> AlertPolicy:
    """The clinic's alert policy row, or an unsaved one holding the defaults."""
    return AlertPolicy.objects.filter(clinic_id=clinic_id).first() or AlertPolicy(clinic_id=clinic_id)
