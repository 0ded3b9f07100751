from rest_framework.routers import DefaultRouter

from monitoring.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("chart/notes", views.NoteViewSet, basename="chart-note")
router.register("chart/scale-responses", views.ScaleResponseViewSet, basename="chart-scale-response")
router.register("chart/vitals", views.VitalSignViewSet, basename="chart-vital")
router.register("chart/sedation-scores", views.SedationScoreViewSet, basename="chart-sedation")
router.register("chart/dissociation-scores", views.DissociationScoreViewSet, basename="chart-dissociation")
router.register("chart/adverse-events", views.AdverseEventViewSet, basename="chart-adverse-event")
router.register("chart/alerts", views.AlertViewSet, basename="chart-alert")
router.register("chart/doses", views.DoseViewSet, basename="chart-dose")
router.register("chart/session-medications", views.SessionMedicationViewSet, basename="chart-session-medication")
router.register("chart/escalations", views.EscalationViewSet, basename="chart-escalation")
router.register("chart/consents", views.ConsentViewSet, basename="chart-consent")
router.register(
    "chart/contraindication-screens", views.ContraindicationScreenViewSet, basename="chart-contraindication-screen"
)
router.register("chart/patient-medications", views.PatientMedicationViewSet, basename="chart-patient-medication")
router.register("chart/allergies", views.AllergyViewSet, basename="chart-allergy")
router.register("chart/pregnancy-tests", views.PregnancyTestViewSet, basename="chart-pregnancy-test")
router.register("chart/diagnoses", views.DiagnosisViewSet, basename="chart-diagnosis")
router.register("chart/prior-authorizations", views.PriorAuthorizationViewSet, basename="chart-prior-authorization")
router.register("chart/rems-enrollments", views.RemsEnrollmentViewSet, basename="chart-rems-enrollment")
router.register("chart/attestations", views.SessionAttestationViewSet, basename="chart-attestation")
router.register("chart/ride-confirmations", views.RideConfirmationViewSet, basename="chart-ride-confirmation")
router.register("chart/overrides", views.ChecklistOverrideViewSet, basename="chart-override")
router.register("chart/rems-forms", views.RemsFormViewSet, basename="chart-rems-form")
router.register("chart/sessions", views.SessionChartViewSet, basename="chart-session")
router.register("chart/patients", views.PatientTimelineViewSet, basename="chart-patient")

urlpatterns = router.urls

# The operations' documentation (summaries, descriptions, examples), applied to the views above.
from monitoring.api import openapi  # noqa: E402, F401
