from __future__ import annotations

import threading

import pytest
from django.db import InternalError, connection, transaction

from programs.models import TemplateStep
from programs.services import template_create, template_publish
from tests.factories import OrganizationFactory
from tests.programs.factories import small_kat_spec


def _someone_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_a_step_added_while_the_template_is_being_published_is_refused():
    # given: a publish holds its lock, not yet committed
    template = template_create(organization=OrganizationFactory(), by=None, **small_kat_spec())
    published = threading.Event()
    release = threading.Event()
    outcome: list[str] = []

    def publish():
        try:
            with transaction.atomic():
                template_publish(template=template, by=None)
                published.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def add_step():
        try:
            TemplateStep.objects.create(
                template=template,
                position=9,
                phase="maintenance",
                kind="check_in",
                label="Late",
                session_minutes=15,
                block_minutes=15,
            )
            outcome.append("inserted")
        except InternalError as exc:
            outcome.append(exc.__cause__.pgcode)
        finally:
            connection.close()

    publisher = threading.Thread(target=publish)
    publisher.start()
    assert published.wait(timeout=30)

    # when: the step insert waits for the publish, which then commits
    writer = threading.Thread(target=add_step)
    writer.start()
    for _ in range(3000):
        if _someone_waits_on_a_lock() or not writer.is_alive():
            break
    release.set()
    publisher.join()
    writer.join()

    # then
    assert outcome == ["P0001"]
    assert TemplateStep.objects.filter(template=template).count() == 3
