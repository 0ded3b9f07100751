from django.urls import path
from rest_framework.routers import DefaultRouter

from kat_clinic.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("clinics", views.ClinicViewSet, basename="clinic")
router.register("rooms", views.RoomViewSet, basename="room")
router.register("staff", views.StaffViewSet, basename="staff")
router.register("patients", views.PatientViewSet, basename="patient")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("me/", views.MeView.as_view(), name="me"),
    path("break-glass/", views.BreakGlassView.as_view(), name="break-glass"),
    *router.urls,
]

# The operations' documentation (summaries, descriptions, examples), applied to the views above.
from kat_clinic.api import openapi  # noqa: E402, F401
