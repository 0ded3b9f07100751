"""Charting endpoints, one module per area; the viewsets re-exported here for monitoring/api/urls.py."""

from __future__ import annotations

from monitoring.api.views.chart import (
    ChecklistOverrideViewSet,
    PatientTimelineViewSet,
    RemsFormViewSet,
    SessionChartViewSet,
)
from monitoring.api.views.dosing import (
    DoseViewSet,
    EscalationViewSet,
    SessionMedicationViewSet,
)
from monitoring.api.views.notes import (
    IF_MATCH,
    NoteViewSet,
)
from monitoring.api.views.records import (
    AllergyViewSet,
    ConsentViewSet,
    ContraindicationScreenViewSet,
    DiagnosisViewSet,
    PatientMedicationViewSet,
    PregnancyTestViewSet,
    PriorAuthorizationViewSet,
    RecordViewSet,
    RemsEnrollmentViewSet,
    RideConfirmationViewSet,
    SessionAttestationViewSet,
)
from monitoring.api.views.scales import (
    ScaleResponseViewSet,
)
from monitoring.api.views.vitals import (
    AdverseEventViewSet,
    AlertViewSet,
    DissociationScoreViewSet,
    SedationScoreViewSet,
    VitalSignViewSet,
)

__all__ = [
    "IF_MATCH",
    "NoteViewSet",
    "ScaleResponseViewSet",
    "VitalSignViewSet",
    "SedationScoreViewSet",
    "DissociationScoreViewSet",
    "AdverseEventViewSet",
    "AlertViewSet",
    "DoseViewSet",
    "SessionMedicationViewSet",
    "EscalationViewSet",
    "RecordViewSet",
    "PatientMedicationViewSet",
    "AllergyViewSet",
    "PregnancyTestViewSet",
    "DiagnosisViewSet",
    "PriorAuthorizationViewSet",
    "RemsEnrollmentViewSet",
    "ConsentViewSet",
    "ContraindicationScreenViewSet",
    "SessionAttestationViewSet",
    "RideConfirmationViewSet",
    "ChecklistOverrideViewSet",
    "RemsFormViewSet",
    "SessionChartViewSet",
    "PatientTimelineViewSet",
]
