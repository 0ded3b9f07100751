"""Docker without a Docker engine: the compose file, the Dockerfile and .dockerignore are read and
checked, the health checks and the entrypoint are run for real on this machine (the entrypoint
against the local PostgreSQL, with a stub in place of gunicorn or celery)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg2
import pytest
import yaml
from django.conf import settings
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "scripts" / "docker-entrypoint.sh"
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    parser = DockerfileParser(fileobj=(ROOT / "Dockerfile").open("rb"))
    return parser


def final_stage(dockerfile: DockerfileParser) -> list[dict]:
    starts = [i for i, instruction in enumerate(dockerfile.structure) if instruction["instruction"] == "FROM"]
    return dockerfile.structure[starts[-1] :]


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: a path is left out when it, or a folder above it, matches a pattern (`**` any depth)."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, c) for c in candidates):
            return True
    return False


# --- the image --------------------------------------------------------------------------------------


def test_the_image_is_built_in_two_stages_with_the_web_app_from_node(dockerfile):
    froms = [i["value"] for i in dockerfile.structure if i["instruction"] == "FROM"]
    assert froms == ["node:20-slim AS web", "python:3.11-slim"]
    copies = [i["value"] for i in final_stage(dockerfile) if i["instruction"] == "COPY"]
    assert "--from=web /web/dist /app/web/dist" in copies


def test_the_service_runs_as_a_non_root_user_created_in_the_image(dockerfile):
    stage = final_stage(dockerfile)
    users = [(n, i["value"]) for n, i in enumerate(stage) if i["instruction"] == "USER"]
    assert len(users) == 1
    position, user = users[0]
    uid = user.split(":")[0]
    assert uid not in ("root", "0") and user.split(":")[-1] not in ("root", "0")
    # the user exists: created by a RUN before it, with that uid
    assert any(i["instruction"] == "RUN" and f"--uid {uid}" in i["value"] for i in stage[:position])
    # and nothing runs as root after it: the USER comes after every RUN of the final stage
    assert all(i["instruction"] != "RUN" for i in stage[position:])


def test_the_image_starts_through_the_entrypoint_and_no_service_replaces_it(dockerfile, compose):
    entrypoint = [i["value"] for i in final_stage(dockerfile) if i["instruction"] == "ENTRYPOINT"]
    assert entrypoint == ['["scripts/docker-entrypoint.sh"]']
    assert os.access(ENTRYPOINT, os.X_OK)
    for name in APP_SERVICES:
        assert "entrypoint" not in compose["services"][name]
        assert compose["services"][name]["image"] == "kat-clinic:latest"


def test_dockerignore_keeps_local_state_out_and_what_the_image_needs_in():
    patterns = dockerignore_patterns()
    for path in (
        ".venv/bin/python",
        ".data/pg/PG_VERSION",
        ".git/HEAD",
        "web/node_modules/react/index.js",
        "web/dist/index.html",
        "staticfiles/admin/css/base.css",
        "kat_clinic/__pycache__/settings.cpython-311.pyc",
        "interop/webhooks/__pycache__/x.pyc",
        ".pytest_cache/README.md",
        ".env",
        "tests/conftest.py",
    ):
        assert ignored(path, patterns), f"{path} would be sent to the build"
    needed = [
        "manage.py",
        "requirements.txt",
        "scripts/docker-entrypoint.sh",
        "scripts/wait_for_postgres.py",
        "scripts/healthcheck.py",
        "kat_clinic/settings.py",
        "interop/webhooks/delivery.py",
        "web/package.json",
        "web/package-lock.json",
        "web/index.html",
        "web/src/main.tsx",
    ]
    for path in needed:
        assert (ROOT / path).exists(), path
        assert not ignored(path, patterns), f"{path} is needed in the image but ignored"


# --- compose: order and health ------------------------------------------------------------------------


def test_web_migrates_and_seeds_and_worker_and_beat_start_after_it(compose):
    services = compose["services"]
    web = services["web"]
    assert web["environment"]["MIGRATION_DATABASE_URL"].startswith("postgres://postgres:")
    assert web["environment"]["SEED_DEMO"] == "${SEED_DEMO:-true}"
    assert web["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert web["command"][0] == "gunicorn"
    for name in ("worker", "beat"):
        service = services[name]
        # they never hold the owner's credentials, and they wait for the migrations web applies
        assert "MIGRATION_DATABASE_URL" not in service["environment"]
        assert service["environment"]["WAIT_FOR_MIGRATIONS"] == "true"
        assert service["depends_on"]["web"] == {"condition": "service_healthy"}
        assert service["command"][:4] == ["celery", "-A", "kat_clinic", name]
    for name in APP_SERVICES:
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://kat_runtime:")


def test_health_checks_use_only_commands_present_in_their_images(compose):
    services = compose["services"]
    # our slim image has python and our scripts, nothing else (no pgrep, curl or ps)
    for name in APP_SERVICES:
        test = services[name]["healthcheck"]["test"]
        assert test == ["CMD", "python", "scripts/healthcheck.py", name]
        assert not ignored("scripts/healthcheck.py", dockerignore_patterns())
    # the database and broker use their own images' clients
    assert services["postgres"]["healthcheck"]["test"] == ["CMD-SHELL", "pg_isready -U postgres -d kat_clinic"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def healthcheck(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "healthcheck.py"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=30,
    )


def healthcheck_module():
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "scripts" / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("role", ["beat", "worker"])
def test_the_celery_health_checks_fail_without_their_process(role, tmp_path):
    # given a process table (a /proc) where only other programs run: a web server, the other celery role
    other = "worker" if role == "beat" else "beat"
    for pid, argv in (
        (1, ["gunicorn", "kat_clinic.wsgi:application"]),
        (7, ["/usr/local/bin/celery", "-A", "kat_clinic", other]),
    ):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (tmp_path / "self").mkdir()

    # when the check looks, then it fails and says why
    assert healthcheck_module().process_running(role, proc=tmp_path) == f"no celery {role} process is running"


@pytest.mark.parametrize("role", ["beat", "worker"])
def test_the_celery_health_checks_find_their_process(role, tmp_path):
    # given a process whose command line is `celery -A kat_clinic <role>`
    fake = tmp_path / "celery"
    fake.write_text("import time\ntime.sleep(60)\n")
    process = subprocess.Popen([sys.executable, str(fake), "-A", "kat_clinic", role])
    try:
        # when the health check runs (as Docker runs it), then it passes
        deadline = time.monotonic() + 20
        result = healthcheck(role)
        while result.returncode and time.monotonic() < deadline:
            time.sleep(0.2)
            result = healthcheck(role)
        assert result.returncode == 0, result.stderr
    finally:
        process.kill()
        process.wait()


def test_the_web_health_check_asks_livez():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.append(self.path)
            self.send_response(200 if self.path == "/livez" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = healthcheck("web", env={"PORT": str(server.server_address[1])})
    finally:
        server.shutdown()
        server.server_close()
    assert (result.returncode, seen) == (0, ["/livez"])
    # and with nothing listening it fails
    assert healthcheck("web", env={"PORT": str(server.server_address[1])}).returncode == 1


# --- the entrypoint ----------------------------------------------------------------------------------


def test_the_entrypoint_waits_migrates_creates_the_role_seeds_then_execs_in_that_order():
    # the script's steps, read as lines (comments left out)
    code = [line.strip() for line in ENTRYPOINT.read_text().splitlines() if line.strip() and not line.startswith("#")]
    steps = [
        "scripts/wait_for_postgres.py",
        '"$MANAGE" migrate --noinput',
        '"$MANAGE" create_runtime_role',
        "unset MIGRATION_DATABASE_URL",
        "scripts/wait_for_postgres.py --migrated",
        '"$MANAGE" seed_demo',
        'exec "$@"',
    ]
    positions = [next(i for i, line in enumerate(code) if step in line) for step in steps]
    assert positions == sorted(positions)
    # migrate and create_runtime_role run as the owner
    for step in steps[1:3]:
        assert next(line for line in code if step in line).startswith('DATABASE_URL="$MIGRATION_DATABASE_URL"')
    assert code[-1] == 'exec "$@"'
    assert code[0] == "set -eu"
    assert subprocess.run(["sh", "-n", str(ENTRYPOINT)]).returncode == 0


STUB = """
import json, os, sys, psycopg2
connection = psycopg2.connect(os.environ["DATABASE_URL"])
with connection.cursor() as cursor:
    cursor.execute("SELECT current_user, count(*) FROM django_migrations GROUP BY 1")
    user, migrations = cursor.fetchone()
    cursor.execute("SELECT count(*) FROM kat_clinic_clinic")
    clinics = cursor.fetchone()[0]
print(json.dumps({"user": user, "migrations": migrations, "clinics": clinics, "argv": sys.argv[1:],
                  "owner_url_left": "MIGRATION_DATABASE_URL" in os.environ}))
"""


@pytest.fixture
def empty_database():
    """A new database of the local cluster and a runtime role of its own, both dropped afterwards."""
    db = settings.DATABASES["default"]
    host, port, owner = db["HOST"] or "127.0.0.1", str(db["PORT"] or 5432), db["USER"]
    password = db.get("PASSWORD") or ""
    auth = f"{owner}:{password}@" if password else f"{owner}@"
    name = f"kat_entrypoint_{uuid.uuid4().hex[:8]}"
    role = f"kat_rt_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host=host, port=port, user=owner, password=password, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {
            "owner_url": f"postgres://{auth}{host}:{port}/{name}",
            "runtime_url": f"postgres://{role}:entrypoint-test@{host}:{port}/{name}",
            "role": role,
        }
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


def entrypoint(env: dict, *command: str, timeout: int = 600) -> subprocess.CompletedProcess:
    base = {
        "PATH": os.environ["PATH"],
        "DEBUG": "true",
        "PYTHON": sys.executable,
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CELERY_TASK_DEFAULT_QUEUE": f"entrypoint-test-{uuid.uuid4().hex[:8]}",
    }
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *command],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
def test_the_entrypoint_brings_an_empty_database_up_and_hands_over_to_the_process(empty_database, tmp_path):
    db = empty_database
    runtime = {
        "DATABASE_URL": db["runtime_url"],
        "RUNTIME_DB_ROLE": db["role"],
        "RUNTIME_DB_PASSWORD": "entrypoint-test",
    }
    stub = tmp_path / "stub.py"
    stub.write_text(STUB)

    # given an empty database: a worker alone does not start (it waits for migrations, then gives up)
    worker = entrypoint(
        {**runtime, "WAIT_FOR_MIGRATIONS": "true", "WAIT_FOR_POSTGRES_SECONDS": "3"},
        sys.executable,
        "-c",
        "print('worker started')",
    )
    assert worker.returncode == 1
    assert "worker started" not in worker.stdout

    # when the web container's entrypoint runs, with the owner's connection, then the stub process
    web = entrypoint(
        {**runtime, "MIGRATION_DATABASE_URL": db["owner_url"], "SEED_DEMO": "false"},
        sys.executable,
        str(stub),
        "gunicorn-stand-in",
    )

    # then it migrated as the owner, created the runtime role, and the process runs as that role
    # without the owner's credentials
    assert web.returncode == 0, web.stderr[-3000:]
    started = json.loads(web.stdout.strip().splitlines()[-1])
    assert started["user"] == db["role"]
    assert started["owner_url_left"] is False
    assert started["argv"] == ["gunicorn-stand-in"]
    assert started["clinics"] == 0
    logged = [line for line in web.stderr.splitlines() if line.startswith("entrypoint: ")]
    assert logged == [
        "entrypoint: waiting for PostgreSQL",
        "entrypoint: migrating as the owner role",
        "entrypoint: creating or updating the runtime role",
        f"entrypoint: starting: {sys.executable} {stub} gunicorn-stand-in",
    ]

    # and a worker now starts, as the runtime role, once it sees every migration applied
    worker = entrypoint({**runtime, "WAIT_FOR_MIGRATIONS": "true"}, sys.executable, str(stub))
    assert worker.returncode == 0, worker.stderr[-3000:]
    assert json.loads(worker.stdout.strip().splitlines()[-1])["migrations"] == started["migrations"]
    assert [line for line in worker.stderr.splitlines() if line.startswith("entrypoint: ")][:2] == [
        "entrypoint: waiting for PostgreSQL",
        "entrypoint: waiting until every migration is applied",
    ]

    # and with SEED_DEMO the demo clinic is seeded before the process starts
    seeded = entrypoint({**runtime, "SEED_DEMO": "true"}, sys.executable, str(stub))
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    assert json.loads(seeded.stdout.strip().splitlines()[-1])["clinics"] == 1
    assert "entrypoint: seeding the demo clinic as the runtime role" in seeded.stderr
