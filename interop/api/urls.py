from django.urls import path
from rest_framework.routers import DefaultRouter

from interop.api import calendar_views, fhir_views, webhook_views
from interop.api import document_views as docs

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("calendar-feeds", calendar_views.CalendarFeedViewSet, basename="calendar-feed-admin")
router.register("webhook-endpoints", webhook_views.WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = [
    path("fhir/metadata", fhir_views.CapabilityStatementView.as_view(), name="fhir-metadata"),
    path("fhir/Patient/<int:id>/$everything", fhir_views.PatientEverythingView.as_view(), name="fhir-everything"),
    path("fhir/Group/<int:clinic_id>/$export", fhir_views.BulkExportKickoffView.as_view(), name="fhir-group-export"),
    path("fhir/bulk-status/<int:pk>", fhir_views.BulkExportStatusView.as_view(), name="fhir-bulk-status"),
    path("fhir/bulk-files/<int:pk>", fhir_views.BulkExportFileView.as_view(), name="fhir-bulk-file"),
    path("documents/rems-forms/<int:id>/", docs.RemsFormPdfView.as_view(), name="document-rems-form"),
    path("documents/consents/<int:id>/", docs.ConsentPdfView.as_view(), name="document-consent"),
    path("documents/rems-enrollments/<int:id>/", docs.RemsEnrollmentPdfView.as_view(), name="document-rems-enrollment"),
    path("documents/sessions/<int:id>/", docs.SessionSummaryPdfView.as_view(), name="document-session-summary"),
    path("exports/schedule/", docs.ScheduleCsvView.as_view(), name="export-schedule"),
    path("exports/outcomes/", docs.OutcomesCsvView.as_view(), name="export-outcomes"),
    path("exports/audit-events/", docs.AuditCsvView.as_view(), name="export-audit"),
    path("exports/disclosures/", docs.DisclosuresCsvView.as_view(), name="export-disclosures"),
    path("calendars/<str:token>/", calendar_views.CalendarFeedIcsView.as_view(), name="calendar-feed"),
    *router.urls,
]

# The operations' documentation (summaries, descriptions, examples), applied to the views above.
from interop.api import openapi  # noqa: E402, F401
