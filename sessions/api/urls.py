from django.urls import path
from rest_framework.routers import DefaultRouter

from sessions.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("sessions", views.SessionViewSet, basename="session")

urlpatterns = [
    path("scheduling/search/", views.SearchView.as_view(), name="scheduling-search"),
    path("scheduling/program-booking/", views.ProgramBookingView.as_view(), name="scheduling-program-booking"),
    path("scheduling/day-board/", views.DayBoardView.as_view(), name="scheduling-day-board"),
    *router.urls,
]

# The operations' documentation (summaries, descriptions, examples), applied to the views above.
from sessions.api import openapi  # noqa: E402, F401
