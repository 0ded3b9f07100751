"""Charting models, split by area and re-exported here."""

from monitoring.models.checklist import ChecklistOverride, RemsMonitoringForm
from monitoring.models.dosing import DoseAdministration, Escalation, SessionMedication
from monitoring.models.notes import ClinicalNote
from monitoring.models.policy import (
    DEFAULT_DOSE_CAPS,
    DEFAULT_THRESHOLDS,
    ChartingPolicy,
    DoseCap,
    ThresholdRuleKind,
    VitalThresholdRule,
)
from monitoring.models.records import (
    CONTRAINDICATIONS,
    Allergy,
    Consent,
    ContraindicationScreen,
    Diagnosis,
    PatientMedication,
    PregnancyTest,
    PriorAuthorization,
    PriorAuthorizationUse,
    RemsPatientEnrollment,
    SessionAttestation,
)
from monitoring.models.scales import Scale, ScaleResponse
from monitoring.models.vitals import AdverseEvent, Alert, DissociationScore, SedationScore, VitalSign

__all__ = [
    "CONTRAINDICATIONS",
    "DEFAULT_DOSE_CAPS",
    "DEFAULT_THRESHOLDS",
    "AdverseEvent",
    "Alert",
    "Allergy",
    "ChartingPolicy",
    "ChecklistOverride",
    "ClinicalNote",
    "Consent",
    "ContraindicationScreen",
    "Diagnosis",
    "DissociationScore",
    "DoseAdministration",
    "DoseCap",
    "Escalation",
    "PatientMedication",
    "PregnancyTest",
    "PriorAuthorization",
    "PriorAuthorizationUse",
    "RemsMonitoringForm",
    "RemsPatientEnrollment",
    "Scale",
    "ScaleResponse",
    "SedationScore",
    "SessionAttestation",
    "SessionMedication",
    "ThresholdRuleKind",
    "VitalSign",
    "VitalThresholdRule",
]
