"""Content negotiation answers as DRF's does, each Accept header worked out once."""

from __future__ import annotations

import pytest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request

from kat_clinic.api import negotiation
from kat_clinic.api.negotiation import RememberedContentNegotiation
from kat_clinic.api.renderers import OrjsonRenderer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_kept():
    negotiation._answers.clear()
    yield
    negotiation._answers.clear()


@pytest.fixture
def parsed(monkeypatch):
    """How many times DRF parsed an Accept header."""
    calls: list[str] = []
    original = DefaultContentNegotiation.get_accept_list

    def counting(self, request):
        calls.append(request.headers.get("accept", "*/*"))
        return original(self, request)

    monkeypatch.setattr(DefaultContentNegotiation, "get_accept_list", counting)
    return calls


def test_the_same_accept_header_is_negotiated_once(api, scheduler, parsed):
    # given a user's client
    client = api(scheduler)

    # when it sends the same Accept header three times
    responses = [client.get("/api/v1/me/", HTTP_ACCEPT="application/json") for _ in range(3)]

    # then each answer is JSON, and the header was parsed for the first only
    assert [(r.status_code, r["Content-Type"]) for r in responses] == [(200, "application/json")] * 3
    assert parsed == ["application/json"]


@pytest.mark.parametrize(
    ("accept", "query", "renderer", "media_type"),
    [
        ("application/json", "", OrjsonRenderer, "application/json"),
        ("*/*", "", OrjsonRenderer, "application/json"),
        (None, "", OrjsonRenderer, "application/json"),
        ("text/html", "", BrowsableAPIRenderer, "text/html"),
        ("application/json; indent=2", "", OrjsonRenderer, "application/json; indent=2"),
        ("*/*", "?format=api", BrowsableAPIRenderer, "text/html"),
        ("text/html;q=0.5, application/json", "", OrjsonRenderer, "application/json"),
    ],
)
def test_each_header_and_format_gets_drfs_answer_first_and_then_again(rf, accept, query, renderer, media_type):
    # given a request with this Accept header and query, and the API's renderers
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    renderers = [OrjsonRenderer(), BrowsableAPIRenderer()]

    def negotiate(negotiation_class):
        request = Request(rf.get(f"/api/v1/me/{query}", **headers))
        chosen, chosen_media_type = negotiation_class().select_renderer(request, renderers)
        return type(chosen), chosen_media_type

    # when ours negotiates it twice (worked out, then remembered) and DRF's once
    first, second = negotiate(RememberedContentNegotiation), negotiate(RememberedContentNegotiation)

    # then all three agree, and the answer was kept
    assert first == second == negotiate(DefaultContentNegotiation) == (renderer, media_type)
    assert len(negotiation._answers) == 1


def test_indented_json_is_written_indented_each_time(api, scheduler):
    # when a client asks twice for indented JSON
    client = api(scheduler)
    responses = [client.get("/api/v1/me/", HTTP_ACCEPT="application/json; indent=2") for _ in range(2)]

    # then both answers are the same indented body
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].content.startswith(b'{\n  "')
    assert responses[1].content == responses[0].content


def test_a_header_no_renderer_accepts_is_refused_each_time_and_not_kept(api, scheduler, parsed):
    # when a client asks twice for a type the API does not write
    responses = [api(scheduler).get("/api/v1/me/", HTTP_ACCEPT="image/png") for _ in range(2)]

    # then both are 406 problems, each negotiated, and nothing is kept
    assert [(r.status_code, r.json()["type"]) for r in responses] == [
        (406, "urn:kat-clinic:problem:not_acceptable")
    ] * 2
    assert parsed == ["image/png", "image/png"]
    assert negotiation._answers == {}


def test_what_is_kept_is_bounded(api, scheduler):
    # given a client sending a new header every time, and one far too long to keep
    client = api(scheduler)
    long_header = "application/json, " + "text/x-filler, " * 100

    # when it sends more headers than are kept, and then the long one
    for i in range(negotiation.KEPT + 3):
        assert client.get("/api/v1/me/", HTTP_ACCEPT=f"application/json; v={i}").status_code == 200
    long_answer = client.get("/api/v1/me/", HTTP_ACCEPT=long_header)

    # then the table never held more than KEPT answers, and the long header was answered, not kept
    assert len(negotiation._answers) == 3
    assert long_answer.status_code == 200
    assert long_answer["Content-Type"] == "application/json"
    assert all(key[2] != long_header for key in negotiation._answers)
