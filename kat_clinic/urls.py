"""Project URLs: the API under /api/v1/, two permanent aliases at their old paths, the admin, health.

Every path under /api/ that matches nothing is a problem+json 404 (`api_not_found`), so Django's
HTML 404 page (and, in DEBUG, its list of URL patterns) never answers an API client.
"""

from django.contrib import admin
from django.urls import include, path, re_path
from django.urls.resolvers import RoutePattern
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from followups.api import views as followup_views
from integration.api import views as integration_views
from kat_clinic.api import exceptions as problems
from kat_clinic.api import transactions
from kat_clinic.health import healthz, livez
from kat_clinic.url_resolution import PrefixIndexed, index_included
from kat_clinic.web import web_app


class SchemaView(SpectacularAPIView):
    # Building the schema is costly: a low rate limit of its own (kat_clinic/api/throttling.py).
    throttle_scope = "schema"


class DocsView(SpectacularSwaggerView):
    throttle_scope = "schema"


# The request transaction, except for the plain reads views name (kat_clinic/api/transactions.py).
api_v1_patterns = transactions.apply(
    [
        path("", include("kat_clinic.api.urls")),
        path("", include("programs.api.urls")),
        path("", include("sessions.api.urls")),
        path("", include("monitoring.api.urls")),
        path("", include("integration.api.urls")),
        path("", include("followups.api.urls")),
        path("", include("controlled.api.urls")),
        path("", include("interop.api.urls")),
        path("schema/", SchemaView.as_view(), name="schema"),
        path("docs/", DocsView.as_view(url_name="schema"), name="swagger-ui"),
    ]
)

# Permanent aliases, outside the versioned API and its schema: links already sent to patients and
# the webhook address configured at the SMS provider keep answering where they always have.
legacy_aliases = [
    path(
        "checkins/<int:patient_id>/<str:token>/",
        integration_views.CheckInLinkView.as_view(),
        name="checkin-link-legacy",
    ),
    path("sms/inbound/", followup_views.SmsInboundView.as_view(), name="sms-inbound-legacy"),
]


class ResolvedOnce(PrefixIndexed):
    """The project's URL patterns, resolving each path once: a request's path was matched against
    some two hundred patterns in turn (every router's routes with their format suffixes), up to a
    tenth of a hot read's CPU. A path's match is kept (the most recent `KEPT` paths) and reused;
    Django builds each request's own ResolverMatch from it above. A path that matches nothing is
    not kept. A path not kept yet (a detail of another id) is matched against only the patterns
    that can match it (kat_clinic/url_resolution.py)."""

    KEPT = 4096

    def __init__(self, patterns: list):
        # An empty route (as `path("", include(...))`): the patterns' routes read as before.
        super().__init__(RoutePattern("", is_endpoint=False), patterns)
        self._matches: dict[str, object] = {}
        self._indexed = False

    def resolve(self, path):
        match = self._matches.get(path)
        if match is None:
            if not self._indexed:
                index_included(self)
                self._indexed = True
            match = super().resolve(path)  # Resolver404 when nothing matches: not kept
            if len(self._matches) >= self.KEPT:
                self._matches.clear()
            self._matches[path] = match
        return match


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1_patterns)),
    path("api/", include(legacy_aliases)),
    re_path(r"^api/", problems.api_not_found, name="api-not-found"),
    # Last: the web app answers every other path (client-side routes); the API, the admin, static
    # files and the health checks above keep theirs.
    re_path(r"^(?!api/|admin/|static/|healthz$|livez$)(?P<path>.*)$", web_app, name="web-app"),
]

urlpatterns = [ResolvedOnce(urlpatterns)]

handler400 = "kat_clinic.api.exceptions.bad_request"
handler403 = "kat_clinic.api.exceptions.permission_denied"
handler404 = "kat_clinic.api.exceptions.page_not_found"
handler500 = "kat_clinic.api.exceptions.server_error"
