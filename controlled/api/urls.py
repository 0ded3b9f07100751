from rest_framework.routers import DefaultRouter

from controlled.api import reports, views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("controlled/products", views.ProductViewSet, basename="controlled-product")
router.register("controlled/registrations", views.RegistrationViewSet, basename="controlled-registration")
router.register("controlled/containers", views.ContainerViewSet, basename="controlled-container")
router.register("controlled/entries", views.EntryViewSet, basename="controlled-entry")
router.register("controlled/draws", views.DrawViewSet, basename="controlled-draw")
router.register("controlled/counts", views.CountViewSet, basename="controlled-count")
router.register("controlled/discrepancies", views.DiscrepancyViewSet, basename="controlled-discrepancy")
router.register("controlled/loss-reports", views.LossReportViewSet, basename="controlled-loss-report")
router.register("controlled/policies", views.PolicyViewSet, basename="controlled-policy")
router.register("controlled/reports", reports.ReportViewSet, basename="controlled-report")

urlpatterns = router.urls

# The operations' documentation (summaries, descriptions, examples), applied to the views above.
from controlled.api import openapi  # noqa: E402, F401
