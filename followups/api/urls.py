from django.urls import path
from rest_framework.routers import DefaultRouter

from followups.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("followups", views.FollowUpViewSet, basename="followup")

urlpatterns = [
    path("sms/inbound/", views.SmsInboundView.as_view(), name="sms-inbound"),
    *router.urls,
]

# The operations' documentation (summaries, descriptions, examples), applied to the views above.
from followups.api import openapi  # noqa: E402, F401
