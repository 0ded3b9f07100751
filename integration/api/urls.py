from django.urls import path
from rest_framework.routers import DefaultRouter

from integration.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("patient-checkins", views.CheckInViewSet, basename="patient-checkin")
router.register("integration-plans", views.IntegrationPlanViewSet, basename="integration-plan")
router.register("on-call", views.OnCallViewSet, basename="on-call")

urlpatterns = [
    path("checkins/<int:patient_id>/<str:token>/", views.CheckInLinkView.as_view(), name="checkin-link"),
    *router.urls,
]

# The operations' documentation (summaries, descriptions, examples), applied to the views above.
from integration.api import openapi  # noqa: E402, F401
