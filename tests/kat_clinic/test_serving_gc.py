"""The WSGI entry point sets the garbage collector for a long-running server (kat_clinic/serving_gc.py):
the application loaded is frozen, the youngest generation collected less often."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import gc, json; t = gc.get_threshold(); "
    "import kat_clinic.wsgi; "
    "print(json.dumps({'before': t, 'after': gc.get_threshold(), 'frozen': gc.get_freeze_count()}))"
)


def _load_wsgi(**env) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kat_clinic.settings", "SECRET_KEY": "s" * 50, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_given_the_wsgi_application_loaded_then_it_is_frozen_and_the_young_generation_is_collected_less_often():
    # when a server process loads the application
    loaded = _load_wsgi()

    # then the youngest generation waits for 20,000 allocations, the older ones as before
    assert loaded["before"] == [700, 10, 10]
    assert loaded["after"] == [20_000, 10, 10]
    # and what the loaded application holds is out of the collector's walks (Django alone is
    # tens of thousands of objects)
    assert loaded["frozen"] > 50_000


def test_given_a_threshold_in_the_environment_then_it_is_the_young_generations():
    assert _load_wsgi(GC_YOUNG_THRESHOLD="5000")["after"] == [5000, 10, 10]
