"""The web app's API types are generated from the schema the server serves; they never drift."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

WEB = Path(__file__).resolve().parents[2] / "web"
GENERATOR = WEB / "node_modules" / ".bin" / "openapi-typescript"


def test_committed_api_types_match_the_live_schema(tmp_path):
    # given the web app's packages (installed by `make web`, which `make test` runs first)
    if not GENERATOR.exists() or shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("web/node_modules is missing: `make test` runs `make web` (npm ci) first.")
        pytest.skip("web/node_modules is missing: run `make web`.")
    schema = tmp_path / "openapi.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))

    # when the types are generated from today's schema
    generated = tmp_path / "schema.d.ts"
    subprocess.run([str(GENERATOR), str(schema), "-o", str(generated)], check=True, capture_output=True, cwd=WEB)

    # then they are the committed ones
    committed = (WEB / "src" / "api" / "schema.d.ts").read_text()
    assert generated.read_text() == committed, (
        "web/src/api/schema.d.ts differs from the API's schema: run `make web-types` and commit the result."
    )
