"""Code systems and the codes DOMAIN.md gives (LOINC for vitals and scales, ICD-10-CM, UCUM)."""

from __future__ import annotations

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_CATEGORY = "http://loinc.org"
CONSENT_POLICY = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ROUTE_SCT = "http://snomed.info/sct"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"

# Our own code systems, for what has no standard code yet (DOMAIN.md: "local code until confirmed").
LOCAL_BASE = "https://kat-clinic.example/fhir"
MRN_SYSTEM = f"{LOCAL_BASE}/sid/mrn"
SESSION_KIND_SYSTEM = f"{LOCAL_BASE}/CodeSystem/session-kind"
MEDICATION_SYSTEM = f"{LOCAL_BASE}/CodeSystem/medication"
LOCAL_SCALE_SYSTEM = f"{LOCAL_BASE}/CodeSystem/scale"
ROUTE_SYSTEM = f"{LOCAL_BASE}/CodeSystem/route"

# Vital signs: (LOINC code, display, UCUM unit) per measured field (DOMAIN.md, "Charting and safety").
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure", "mm[Hg]")
DIASTOLIC = ("8462-4", "Diastolic blood pressure", "mm[Hg]")
VITAL_FIELDS = {
    "heart_rate_bpm": ("8867-4", "Heart rate", "/min"),
    "respiratory_rate_per_min": ("9279-1", "Respiratory rate", "/min"),
    "temperature_c": ("8310-5", "Body temperature", "Cel"),
}
# Pulse oximetry carries both codes: US Core's profile asks for 59408-5 and the vital-signs 2708-6.
SPO2_CODES = (("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"), ("2708-6", "Oxygen saturation"))
WEIGHT = ("29463-7", "Body weight", "kg")

# UCUM units are displayed as written; these read better.
UNIT_DISPLAY = {"mm[Hg]": "mmHg", "/min": "/min", "Cel": "C", "kg": "kg", "%": "%"}

# Rating scales: the questionnaire's canonical URL and the score's code.
SCALE_DISPLAY = {
    "phq9": "PHQ-9 total score",
    "gad7": "GAD-7 total score",
    "pcl5": "PCL-5 total score",
    "cssrs": "C-SSRS screener risk level",
}

# SNOMED CT routes for the dosage.
ROUTE_SNOMED = {
    "iv": ("47625008", "Intravenous route"),
    "im": ("78421000", "Intramuscular route"),
    "intranasal": ("46713006", "Nasal route"),
    "sublingual": ("37839007", "Sublingual route"),
    "oral": ("26643006", "Oral route"),
}

# Encounter class (v3 ActCode): ambulatory, or virtual for telehealth.
AMBULATORY = ("AMB", "ambulatory")
VIRTUAL = ("VR", "virtual")


def coding(system: str, code: str, display: str | None = None) -> dict:
    result = {"system": system, "code": code}
    if display:
        result["display"] = display
    return result


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> dict:
    result: dict = {"coding": [coding(system, code, display)]}
    if text or display:
        result["text"] = text or display
    return result


def questionnaire_url(loinc_panel: str, scale: str) -> str:
    """LOINC panels have canonical questionnaires at loinc.org/q/<code>; local scales get ours."""
    if loinc_panel and not loinc_panel.startswith("local:"):
        return f"http://loinc.org/q/{loinc_panel}"
    return f"{LOCAL_BASE}/Questionnaire/{scale}"


def score_code(loinc_total: str, loinc_panel: str, scale: str) -> dict:
    display = SCALE_DISPLAY.get(scale, scale)
    code = loinc_total or loinc_panel
    if code and not code.startswith("local:"):
        return concept(LOINC, code, display)
    return concept(LOCAL_SCALE_SYSTEM, f"{scale}-total", display)
