"""Screenshots of the web app for the README (docs/web-*.png), taken from the demo's own data.

Start the demo (`make demo`), then run `.venv/bin/python scripts/web_screenshots.py` (options:
--base-url, default http://127.0.0.1:8000; --out, default docs). Playwright drives Debian's Chromium
(/usr/bin/chromium) at a nurse station's 1280x800 and signs in through the app's login screen as the
demo prescriber. It writes the session chart (the charted session whose blood pressure raised an
alert), the PHQ-9 / GAD-7 trend charts of the remitting patient, and the ledger's reconciliation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = "kat-demo-clinic-2026"  # kat_clinic/demo.py's DEMO_PASSWORD
CHROMIUM = "/usr/bin/chromium"


def _api(base: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base}/api/v1{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Token {token}"} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs", type=Path)
    args = parser.parse_args()
    base = args.base_url.rstrip("/")
    token = _api(base, "/auth/login/", body={"username": "prescriber", "password": PASSWORD})["token"]

    def patient_id(mrn: str) -> int:
        return _api(base, f"/patients/?mrn={mrn}", token)["results"][0]["id"]

    # The demo's hypertensive session (DEMO0005's third) and the remitting patient (DEMO0004).
    sessions = _api(base, f"/sessions/?patient={patient_id('DEMO0005')}&status=completed", token)["results"]
    alerted = sorted(sessions, key=lambda s: s["starts_at"])[2]["id"]
    remitting = patient_id("DEMO0004")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800}).new_page()
        page.goto("/")
        page.get_by_label("Username").fill("prescriber")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("navigation", name="Main").wait_for()

        page.goto(f"/chart/sessions/{alerted}")
        page.get_by_role("heading", name="Vitals").wait_for()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(args.out / "web-session-chart.png"), full_page=True)

        page.goto(f"/chart/patients/{remitting}/measures")
        page.locator("svg").first.wait_for()
        page.wait_for_load_state("networkidle")
        # The charts, above the scale-entry form.
        page.screenshot(path=str(args.out / "web-trend-chart.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 470})

        page.goto("/ledger/reports")
        from_ = (dt.date.today() - dt.timedelta(weeks=8)).isoformat()
        page.get_by_label("From").fill(from_)
        page.get_by_label("From").blur()
        page.get_by_test_id("reconciliation-summary").wait_for()
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(args.out / "web-ledger-reports.png"), full_page=True)
        browser.close()
    print(f"Wrote {args.out}/web-session-chart.png, web-trend-chart.png, web-ledger-reports.png")


if __name__ == "__main__":
    main()
