"""The web app's page: every client-side path (/, /desk/board, /checkin/…) answers with the built
index.html; the app's own router takes it from there. Its assets come from WhiteNoise."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

NOT_BUILT = (
    "The web app is not built. Run `make web` (it needs Node.js 20.19 or newer with npm: "
    "on Debian `apt-get install nodejs npm`, or see https://nodejs.org/)."
)


@never_cache
@require_safe
def web_app(request: HttpRequest, path: str = "") -> HttpResponse:
    index = settings.WEB_DIST_DIR / "index.html"
    try:
        html = index.read_bytes()
    except FileNotFoundError:
        return HttpResponse(NOT_BUILT, status=503, content_type="text/plain; charset=utf-8")
    return HttpResponse(html, content_type="text/html; charset=utf-8")
