"""Browser harness: Playwright driving Debian's headless Chromium against pytest-django's live server.

Loaded for the whole suite from `tests/conftest.py`. Mark a test `@pytest.mark.browser` and ask for
`page` (a fresh context per test, on a transactional database behind `live_server`), `admin_login`
to sign in through the admin's own login form, and `axe_violations` for an accessibility check.

The browser is the machine's `/usr/bin/chromium` (`make test` installs it with apt-get when it is
missing). Playwright's wheel carries its driver; it never downloads a browser of its own.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# axe-core from its npm package, vendored at a pinned version (MPL-2.0, licence beside it).
AXE_SCRIPT = Path(__file__).with_name("vendor") / "axe-core-4.14.1.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
DEFAULT_TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module.

    Playwright's sync API keeps an asyncio loop marked as running on this thread while it is open,
    which Django takes for an async context and refuses database calls in. The test code itself is
    synchronous, so Django's guard is switched off for exactly as long as the browser lives: one
    module, not the rest of the suite.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium package.")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server, settings):
    """A page in a fresh browser context (no cookies shared between tests), based at the live server."""
    # The manifest storage needs collectstatic; the live server serves the app folders instead.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()
    _wait_for_requests_in_flight_to_finish()


def _wait_for_requests_in_flight_to_finish(limit_s: float = 15.0) -> None:
    """A screen that refreshes itself may have a request in the live server when the page closes.
    The database is flushed next (TRUNCATE of every table); a request still holding row locks then
    deadlocks with it and the flush fails, taking the next test's clean database with it. So wait
    until no other connection to this database is inside a statement or a transaction."""
    from django.db import connection

    deadline = time.monotonic() + limit_s
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@pytest.fixture
def admin_login(page):
    """admin_login(user, password) -> the page, signed in through /admin/login/ as that user."""

    def login(user, password: str):
        page.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", password)
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        return page

    return login


def axe_violations(page, *, impacts=BLOCKING_IMPACTS) -> list[dict]:
    """Run axe-core on the page as it is now; the violations of those impacts, as compact dicts."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


@pytest.fixture(name="axe_violations")
def axe_violations_fixture():
    """axe_violations(page) -> serious/critical violations on the page (empty list when it passes)."""
    return axe_violations
