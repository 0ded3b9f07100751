from __future__ import annotations

import threading

import pytest
from django.db import connection

from kat_clinic.errors import Conflict
from programs import services
from programs.catalog import install_shipped_templates
from programs.models import Enrollment, PlannedSession, ProgramTemplate
from programs.services import enrollments as enrollment_services
from tests.factories import ClinicFactory, OrganizationFactory, PatientFactory


@pytest.mark.django_db(transaction=True)
def test_concurrent_enrollments_in_one_pathway_let_exactly_one_through(monkeypatch):
    # given: the Python-side check is off, so only the database stands between the two
    organization = OrganizationFactory()
    patient = PatientFactory(home_clinic=ClinicFactory(organization=organization))
    install_shipped_templates(organization=organization)
    template = ProgramTemplate.objects.get(organization=organization, catalog_key="ketamine_assisted_therapy")
    monkeypatch.setattr(enrollment_services, "_open_enrollment_exists", lambda **kwargs: False)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def enroll():
        try:
            barrier.wait()
            services.enrollment_create(patient=patient, template=template, by=None)
            outcomes.append("created")
        except Conflict as exc:
            outcomes.append(exc.type)
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=enroll) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert sorted(outcomes) == ["already_enrolled", "already_enrolled", "already_enrolled", "created"]
    assert Enrollment.objects.filter(patient=patient).count() == 1
    assert PlannedSession.objects.filter(enrollment__patient=patient).count() == 14
