"""Content negotiation (conneg.negotiate): q-values, wildcards, 406, and the parse cache."""

from __future__ import annotations

import pytest

from nexus_ld.errors import NotAcceptable
from nexus_ld.formats import HTML, Format
from nexus_ld.web.negotiate import negotiate

JSON = Format("json", ("application/json",), "json")
TURTLE = Format("turtle", ("text/turtle",), "ttl")


def test_q_values_and_wildcards_choose_the_offer():
    offers = (HTML, JSON, TURTLE)
    assert negotiate("text/turtle;q=0.9, application/json", offers, HTML) is JSON
    assert negotiate("text/*;q=0.5, application/json;q=0.1", offers, HTML) is HTML
    assert negotiate("*/*", offers, TURTLE) is TURTLE
    assert negotiate(None, offers, JSON) is JSON


def test_nothing_acceptable_is_a_406_naming_the_offers():
    with pytest.raises(NotAcceptable, match="offered: text/html, application/json"):
        negotiate("image/png", (HTML, JSON), HTML)


def test_the_cached_answer_is_the_callers_own_object():
    # Views test `fmt is JSON`; another view's equal offers must not hand back its objects.
    own_json = Format("json", ("application/json",), "json")
    assert own_json == JSON and own_json is not JSON
    assert negotiate("application/json", (HTML, JSON), HTML) is JSON
    assert negotiate("application/json", (HTML, own_json), HTML) is own_json
