"""The project is wired as a Django engineer expects: migrations in sync, deploy check clean, compose sane."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_models_and_migrations_are_in_sync():
    # when / then: --check exits non-zero when a model change has no migration
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_deploy_check_is_clean_under_production_environment():
    # given: the environment a production deployment sets
    env = {
        **os.environ,
        "DEBUG": "false",
        "TLS": "true",
        "SECRET_KEY": "prod-like-" + "k3y-" * 16,
        "ALLOWED_HOSTS": "clinic.example.org",
    }

    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_services_name_modules_and_settings_that_exist():
    # given
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]

    # then: the five long-running services, each with a health check
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, name

    # and web, worker and beat run as the least-privilege runtime role; only web's entrypoint gets the
    # owner's connection, to migrate (tests/kat_clinic/test_docker.py checks the order of the steps)
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://kat_runtime:"), name
    assert services["web"]["environment"]["MIGRATION_DATABASE_URL"].startswith("postgres://postgres:")

    # and the commands name real modules
    web = " ".join(services["web"]["command"])
    assert "kat_clinic.wsgi:application" in web
    assert importlib.util.find_spec("kat_clinic.wsgi") is not None  # (imported by test_serving_gc.py, apart)
    for name in ("worker", "beat"):
        command = services[name]["command"]
        assert command[:3] == ["celery", "-A", "kat_clinic"], command
        assert command[3] == name
    assert importlib.import_module("kat_clinic.celery").app.main == "kat_clinic"

    # and the same environment variables as the settings module reads
    app_env = services["web"]["environment"]
    settings_module = app_env["DJANGO_SETTINGS_MODULE"]
    importlib.import_module(settings_module)
    own = {"web": {"MIGRATION_DATABASE_URL", "SEED_DEMO"}, "worker": {"WAIT_FOR_MIGRATIONS"}}
    shared = {k: v for k, v in app_env.items() if k not in own["web"]}
    for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"):
        assert variable in shared, variable
    for name in ("worker", "beat"):
        environment = services[name]["environment"]
        assert {k: v for k, v in environment.items() if k not in own["worker"]} == shared, name


@pytest.mark.parametrize("clock", ["2026-12-07 08:00:03", "2026-12-07 21:00:00"])
def test_the_system_check_is_clean_at_the_quiet_hours_boundaries(clock):
    # given the clock at a clinic's default quiet-hours start or end (in the project's zone, UTC)
    # when the checks run then
    with time_machine.travel(dt.datetime.fromisoformat(clock).replace(tzinfo=dt.UTC), tick=False):
        call_command("check", fail_level="WARNING")
