from rest_framework.routers import DefaultRouter

from programs.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("program-templates", views.ProgramTemplateViewSet, basename="program-template")
router.register("enrollments", views.EnrollmentViewSet, basename="enrollment")

urlpatterns = [*router.urls]

# The operations' documentation (summaries, descriptions, examples), applied to the views above.
from programs.api import openapi  # noqa: E402, F401
