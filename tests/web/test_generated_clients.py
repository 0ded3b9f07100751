"""Clients generated from the live schema work: a Python client (openapi-python-client) generates
without a warning and logs in, reads the day board and creates a program template against a live
server; the TypeScript types (openapi-typescript) generate without a warning."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command

from kat_clinic.roles import Role
from programs.models import ProgramTemplate
from sessions.services import session_book
from tests.factories import PatientFactory, RoomFactory
from tests.web.conftest import NURSE_SHARED, PASSWORD, local_date, soon

WEB = Path(__file__).resolve().parents[2] / "web"
TYPESCRIPT_GENERATOR = WEB / "node_modules" / ".bin" / "openapi-typescript"
PYTHON_GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "kat_clinic_api_client"

pytestmark = pytest.mark.slow


def generate_python_client(schema: Path, into: Path) -> subprocess.CompletedProcess:
    # The generator formats its output with ruff, which it finds on PATH (the virtualenv's).
    env = {**os.environ, "PATH": f"{PYTHON_GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [
            str(PYTHON_GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            str(into / PACKAGE),
        ],
        cwd=into,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def generated_package(tmp_path):
    """import_generated(module) -> a module of the generated client, imported from tmp_path."""
    sys.path.insert(0, str(tmp_path))

    def import_generated(name: str):
        return importlib.import_module(f"{PACKAGE}.{name}" if name else PACKAGE)

    yield import_generated
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.mark.django_db(transaction=True)
def test_a_generated_python_client_logs_in_reads_the_day_board_and_creates_a_template(
    live_server, tmp_path, generated_package, clinic_in_daytime, make_staff, round_the_clock_nurse
):
    clinic = clinic_in_daytime
    # given: a session on today's board, and a staff member who runs the front desk and the programs
    staff = make_staff(clinic, Role.SCHEDULER, Role.ADMIN)
    patient = PatientFactory(home_clinic=clinic, first_name="Casey", last_name="Ellis")
    session = session_book(
        clinic=clinic,
        patient=patient,
        shape=NURSE_SHARED,
        starts_at=soon(),
        room=RoomFactory(clinic=clinic, name="Chair 1"),
        staff=[round_the_clock_nurse],
        by=None,
    )
    # (the generator's own download gives up after 5 seconds; building the schema may take longer here)
    document = httpx.get(f"{live_server.url}/api/v1/schema/?format=json", timeout=120).json()
    schema = tmp_path / "openapi.json"
    schema.write_text(json.dumps(document))

    # when: an integrator generates a client from the schema the server serves
    result = generate_python_client(schema, tmp_path)

    # then: it generates, without a single warning
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output

    # when: the generated client logs in with the documented credentials
    package = generated_package("")
    login = generated_package("api.authentication.auth_login_create")
    login_request = generated_package("models.login_request").LoginRequest
    token = login.sync(
        client=package.Client(base_url=live_server.url),
        body=login_request(username=staff.user.username, password=PASSWORD),
    )
    client = package.AuthenticatedClient(base_url=live_server.url, token=token.token, prefix="Token")

    # then: it reads the day board, typed
    board = generated_package("api.scheduling.scheduling_day_board_retrieve").sync(
        client=client, clinic=clinic.pk, date=dt.date.fromisoformat(local_date(session, clinic))
    )
    assert (board.clinic, board.timezone) == (clinic.pk, clinic.timezone)
    assert [(s.id, s.patient.name, s.kind, s.status) for s in board.sessions] == [
        (session.pk, "Casey Ellis", "dosing", "scheduled")
    ]
    assert board.sessions[0].starts_at == session.starts_at

    # when: it creates a program template with the body the documentation shows as its example
    media = document["paths"]["/api/v1/program-templates/"]["post"]["requestBody"]["content"]["application/json"]
    example = next(iter(media["examples"].values()))["value"]
    request_model = generated_package("models.program_template_request").ProgramTemplateRequest
    response = generated_package("api.program_templates.program_templates_create").sync_detailed(
        client=client, body=request_model.from_dict(example)
    )

    # then: the template is created, as a draft, with every step the example names
    assert response.status_code == 201, response.content
    created = response.parsed
    assert (created.name, created.state.value, created.version) == (example["name"], "draft", 1)
    assert [step.label for step in created.steps] == [step["label"] for step in example["steps"]]
    stored = ProgramTemplate.objects.get(pk=created.id)
    assert (stored.name, stored.state, stored.created_by_id) == (example["name"], "draft", staff.pk)
    assert stored.steps.count() == 3


def test_the_typescript_types_generate_from_the_live_schema_without_a_warning(tmp_path):
    # given the web app's packages (installed by `make web`, which `make test` runs first)
    if not TYPESCRIPT_GENERATOR.exists() or shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("web/node_modules is missing: `make test` runs `make web` (npm ci) first.")
        pytest.skip("web/node_modules is missing: run `make web`.")
    schema = tmp_path / "openapi.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))

    # when
    result = subprocess.run(
        [str(TYPESCRIPT_GENERATOR), str(schema), "-o", str(tmp_path / "schema.d.ts")],
        capture_output=True,
        text=True,
        cwd=WEB,
        timeout=300,
    )

    # then: it says which version ran and what it wrote, and nothing else
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 0, lines
    assert [line.split()[1] for line in lines] == ["openapi-typescript", str(schema)], lines
    assert (tmp_path / "schema.d.ts").stat().st_size > 100_000
