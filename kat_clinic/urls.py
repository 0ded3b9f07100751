from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kat_clinic.health import healthz, livez

api_patterns = [
    path("", include("kat_clinic.api.urls")),
    path("", include("programs.api.urls")),
    path("", include("sessions.api.urls")),
    path("", include("monitoring.api.urls")),
    path("", include("integration.api.urls")),
    path("", include("interop.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
]
