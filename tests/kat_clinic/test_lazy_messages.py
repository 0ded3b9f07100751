"""The message storage is made only for a request that uses it, and then stores as Django's does."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from kat_clinic.lazy_messages import LazyMessageMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def storages_made(monkeypatch):
    """The requests a message storage was made for."""
    made = []
    original = FallbackStorage.__init__

    def counting(self, request, *args, **kwargs):
        made.append(request.path)
        original(self, request, *args, **kwargs)

    monkeypatch.setattr(FallbackStorage, "__init__", counting)
    return made


def _through_the_middleware(view, path="/admin/"):
    return SessionMiddleware(LazyMessageMiddleware(view))(RequestFactory().get(path))


def test_given_a_signed_in_api_read_then_no_message_storage_is_made(api, scheduler, patient, storages_made):
    # when
    response = api(scheduler).get(f"/api/v1/patients/{patient.pk}/")

    # then
    assert (response.status_code, response.json()["id"]) == (200, patient.pk)
    assert storages_made == []


def test_given_a_view_that_adds_a_message_then_it_is_stored_for_the_next_page(storages_made):
    def saving(request):
        messages.success(request, "Template saved.")
        return HttpResponse("saved")

    # when
    response = _through_the_middleware(saving)

    # then: kept in the messages cookie, as Django's own middleware keeps it
    assert storages_made == ["/admin/"]
    next_page = RequestFactory().get("/admin/")
    next_page.COOKIES["messages"], next_page.session = response.cookies["messages"].value, {}
    assert [(m.level, m.message) for m in FallbackStorage(next_page)] == [(messages.SUCCESS, "Template saved.")]


def test_given_a_page_that_lists_messages_then_it_reads_those_kept_for_it(storages_made):
    # given a message kept by an earlier response
    kept = _through_the_middleware(lambda request: messages.info(request, "Secret shown once.") or HttpResponse())
    request = RequestFactory().get("/admin/")
    request.COOKIES["messages"] = kept.cookies["messages"].value
    listed = []

    def listing(request):
        listed.extend(str(m) for m in messages.get_messages(request))
        return HttpResponse()

    # when
    response = SessionMiddleware(LazyMessageMiddleware(listing))(request)

    # then: read once, and the cookie cleared once read
    assert listed == ["Secret shown once."]
    assert response.cookies["messages"].value == ""


def test_given_a_view_that_never_uses_messages_then_nothing_is_made_or_stored(storages_made):
    # when
    response = _through_the_middleware(lambda request: HttpResponse("plain"))

    # then
    assert (response.content, storages_made, "messages" in response.cookies) == (b"plain", [], False)
