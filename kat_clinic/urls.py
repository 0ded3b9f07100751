from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kat_clinic.health import healthz, livez
from kat_clinic.web import web_app

api_patterns = [
    path("", include("kat_clinic.api.urls")),
    path("", include("programs.api.urls")),
    path("", include("sessions.api.urls")),
    path("", include("monitoring.api.urls")),
    path("", include("integration.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # Last: the web app answers every other path (client-side routes); the API, the admin, static
    # files and the health checks above keep theirs.
    re_path(r"^(?!api/|admin/|static/|healthz$|livez$)(?P<path>.*)$", web_app, name="web-app"),
]
