from __future__ import annotations

import pytest

from programs.catalog import install_shipped_templates
from programs.models import ProgramTemplate


@pytest.fixture
def shipped(organization) -> dict[str, ProgramTemplate]:
    """The four shipped templates, published, by catalog key."""
    install_shipped_templates(organization=organization)
    return {t.catalog_key: t for t in ProgramTemplate.objects.filter(organization=organization)}


@pytest.fixture
def kat_template(shipped) -> ProgramTemplate:
    return shipped["ketamine_assisted_therapy"]


@pytest.fixture
def iv_induction(shipped) -> ProgramTemplate:
    return shipped["iv_ketamine_induction"]
