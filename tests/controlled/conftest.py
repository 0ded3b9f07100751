"""Ledger fixtures: a clinic keeping its ledger (a prescriber's DEA registration), a second nurse to
witness, and a 500 mg vial of ketamine 50 mg/mL received and checked."""

from __future__ import annotations

import pytest

from kat_clinic.roles import Role
from tests.controlled.factories import RegistrationFactory, receive
from tests.monitoring.conftest import ready_session, session  # noqa: F401  (charting fixtures)


@pytest.fixture
def registration(clinic, prescriber):
    return RegistrationFactory(clinic=clinic, registrant=prescriber)


@pytest.fixture
def nurse2(clinic, make_staff):
    return make_staff(clinic, Role.NURSE)


@pytest.fixture
def vial(registration, nurse, nurse2):
    return receive(registration=registration, by=nurse, checker=nurse2)
