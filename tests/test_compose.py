"""Contributions without RDF: form fields -> Turtle (contributions/compose.py) that validates in context,
each bad field -> a finding named by that field; and the /compose pages over Flask's test client."""

from __future__ import annotations

import hashlib

import pytest
from conftest import SOURCE_TEXT, make_app
from contributions_support import writable_copy
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from nexus_ld import formats
from nexus_ld.contributions import review
from nexus_ld.contributions.compose import SourceText, compose_claim, compose_source
from nexus_ld.contributions.forms import OA, Vocabulary, cue_segments, passage, suggested
from nexus_ld.contributions.inbox import Inbox, Quota
from nexus_ld.contributions.service import Validator
from nexus_ld.namespaces import DEFAULT_BASE, NX

B = DEFAULT_BASE
NX_ = B.removesuffix("/") + "/ontology#"
SOURCE = B + "id/source/ttp-aq-isis-nexus"
TURTLE = formats.RDF_FORMATS["turtle"]
EXACT = (
    "The head of NDS, Asadullah Khalid, posted a tweet claiming responsibility for the TTP attack on "
    "Pakistan Air Force Badaber camp in 2015."
)
START = SOURCE_TEXT.index(EXACT)
# An allegation attributed to a quoted official, with a year: the browser test makes the same claim.
GOOD = {
    "source": SOURCE,
    "exact": EXACT,
    "start": str(START),
    "end": str(START + len(EXACT)),
    "about": B + "id/org/nds",
    "other": B + "id/group/ttp",
    "kind": NX_ + "Support",
    "summary": "Asadullah Khalid, head of the NDS, claimed TTP's 2015 attack on Badaber camp.",
    "when_in": "2015",
    "status": "allegation",
    "speaker": "quoted",
    "quoted": B + "id/person/asadullah-khalid",
    "role": "official",
}


@pytest.fixture(scope="module")
def validator(bundled) -> Validator:
    return Validator.from_settings(bundled)


@pytest.fixture(scope="module")
def vocabulary(validator) -> Vocabulary:
    return Vocabulary.from_ontology(validator.ontology)


@pytest.fixture(scope="module")
def source() -> SourceText:
    return SourceText(SOURCE, SOURCE_TEXT, B + "id/agent/article-author", "The article's author")


def fields_of(validator, vocabulary, source, **changes) -> tuple[list, object]:
    """The problems of the form ``GOOD`` with ``changes``: its own, else the validator's, by field."""
    values = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    draft = compose_claim(values, source, vocabulary, B, validator.store.exists)
    if draft.problems:
        return draft.problems, draft
    outcome = validator.check(validator.parse(draft.turtle().encode(), TURTLE, "form"))
    return draft.place(outcome.parsed.graph, outcome.report.results, {}), draft


# --- fields -> Turtle -------------------------------------------------------------------------------
def test_the_form_offers_the_ontologys_kinds_statuses_and_roles_by_their_labels(vocabulary) -> None:
    kinds = {k.label: k.group for k in vocabulary.kinds}
    assert (
        kinds["support"] == "relationship"
        and kinds["attack"] == "event"
        and kinds["funding"] == "relationship"
    )
    statuses = {s.slug: s for s in vocabulary.statuses}
    assert "editorial-note" not in statuses  # the maintainers' own
    assert statuses["allegation"].label == "allegation"
    assert statuses["allegation"].help.startswith("An accusation of wrongdoing")
    assert {r.slug for r in vocabulary.roles} >= {"author", "official", "spokesperson", "analyst"}
    assert "maintainer" not in {r.slug for r in vocabulary.roles}
    folders = {c.label: c.group for c in vocabulary.classes}
    assert folders["person"] == "person" and folders["intelligence agency"] == "org"
    assert folders["armed group"] == "group" and folders["province"] == "place"


def test_fields_make_turtle_that_validates_in_context(validator, vocabulary, source) -> None:
    problems, draft = fields_of(validator, vocabulary, source)
    assert problems == []
    graph = Graph().parse(data=draft.turtle(), format="turtle")
    (claim,) = graph.subjects(NX.status, URIRef(B + "id/status/allegation"))

    def one(prop: URIRef) -> str:
        (value,) = graph.objects(None, prop)
        return str(value)

    start, end = int(one(OA.start)), int(one(OA.end))
    assert one(OA.exact) == EXACT == SOURCE_TEXT[start:end]
    assert one(OA.prefix) == SOURCE_TEXT[start - 32 : start]
    assert one(OA.suffix) == SOURCE_TEXT[end : end + 32]
    node = graph.value(claim, NX.asserts)
    assert graph.value(node, NX.fromAgent) == URIRef(B + "id/org/nds")
    assert graph.value(node, NX.toAgent) == URIRef(B + "id/group/ttp")
    assert Literal("2015", datatype=XSD.gYear) in set(graph.objects())
    assert graph.value(claim, URIRef("http://www.w3.org/ns/prov#wasAttributedTo")) == URIRef(
        B + "id/person/asadullah-khalid"
    )


def test_a_post_held_by_a_person_is_a_membership_with_its_role(validator, vocabulary, source) -> None:
    post = {"kind": "http://www.w3.org/ns/org#Membership", "about": B + "id/person/asadullah-khalid",
            "other": B + "id/org/nds", "post": "head", "summary": "Asadullah Khalid was the head of the NDS.",
            "status": "reported-fact", "speaker": "author", "when_in": "2015"}  # fmt: skip
    problems, draft = fields_of(validator, vocabulary, source, **post)
    assert problems == []
    graph = Graph().parse(data=draft.turtle(), format="turtle")
    w3org = "http://www.w3.org/ns/org#"
    (node,) = graph.subjects(URIRef(w3org + "role"), URIRef(B + "id/role/head"))
    assert str(node).startswith(B + "id/membership/")
    assert graph.value(node, URIRef(w3org + "member")) == URIRef(B + "id/person/asadullah-khalid")
    assert graph.value(node, URIRef(w3org + "organization")) == URIRef(B + "id/org/nds")
    problems, _ = fields_of(validator, vocabulary, source, **{**post, "post": ""})
    assert [p.field for p in problems] == ["post"]


def test_offsets_come_from_the_sources_text_not_from_the_browser(source) -> None:
    # A selection with the spaces a mouse takes along: trimmed.
    assert passage(SOURCE_TEXT, {"start": str(START - 1), "end": str(START + len(EXACT) + 1)}) == (
        START,
        START + len(EXACT),
    )
    # Offsets that do not fit the selected words (a page counting differently): the words win.
    assert passage(SOURCE_TEXT, {"exact": EXACT, "start": "5", "end": "40"}) == (START, START + len(EXACT))
    # Without a script: only the words, pasted.
    assert passage(SOURCE_TEXT, {"exact": EXACT}) == (START, START + len(EXACT))
    # A page that turned the source's no-break space into a space still selects the same words.
    nbsp = SOURCE_TEXT.index("\xa0His claim")
    assert passage(SOURCE_TEXT, {"exact": " His claim", "start": str(nbsp), "end": str(nbsp + 10)}) == (
        nbsp + 1,
        nbsp + 10,
    )


def test_words_of_the_passage_suggest_statuses() -> None:
    text = "Officials alleged that X funds Y; according to Z, it is expected to grow and is believed to."
    assert suggested(text) == ["allegation", "official-statement", "forecast", "hedged"]
    marked = [p["text"] for p in cue_segments(text) if p["cue"]]
    assert marked == ["alleged", "according to", "is expected to", "believed"]
    assert "".join(p["text"] or "" for p in cue_segments(text)) == text
    assert suggested(EXACT) == ["claim-of-responsibility"]


BAD_FIELDS = [
    # (changes, the field named, words of the message)
    ({"summary": ""}, "summary", "one neutral English line"),
    ({"status": None}, "status", "choose how sure"),
    ({"when_in": "20155"}, "when_in", "is not a year"),
    ({"when_from": "2015-02-30"}, "when_from", "is not a year"),
    ({"exact": "words that the source does not hold", "start": None, "end": None}, "quote", "not found"),
    ({"about": "https://example.org/x"}, "about", "an entity of this dataset"),
    ({"about": None}, "about", "what the claim is about"),
    ({"other": None}, "other", "choose the other party"),
    ({"kind": NX_ + "Nonsense"}, "kind", "kind of statement"),
    ({"role": None}, "role", "the role"),
    ({"quoted": None}, "speaker", "who says it"),
    ({"other": None, "other_label": "Badaber camp", "other_class": ""}, "other", "what kind of thing"),
    # A new entity whose IRI is published: pick it instead.
    (
        {"other": None, "other_label": "Badaber camp", "other_class": "http://schema.org/Place"},
        "other",
        "published already",
    ),
    # Findings of the validator itself, placed on the fields that produced them:
    ({"status": "reported-fact"}, "status", "Sponsorship rule"),  # state support is an allegation
    ({"when_in": "2015-01-01"}, "when_in", "1 January"),  # a year padded to a date
    (
        {"other": None, "other_label": "Tehrik-i-Taliban Pakistan", "other_class": NX_ + "ArmedGroup"},
        "other",
        "like the published",
    ),
]


@pytest.mark.parametrize(
    ("changes", "field", "words"), BAD_FIELDS, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD_FIELDS)]
)
def test_each_bad_field_gets_a_finding_naming_that_field(
    validator, vocabulary, source, changes, field, words
) -> None:
    problems, _ = fields_of(validator, vocabulary, source, **changes)
    named = [p for p in problems if p.field == field]
    assert named, problems
    assert any(words.lower() in p.message.lower() for p in named), named
    assert all(p.field != "form" for p in problems), problems


def test_the_report_of_an_analysts_official_statement_points_at_the_status(
    validator, vocabulary, source
) -> None:
    # Not a state's support: the analyst rule alone (shape nxsh:AnalystNotOfficialShape).
    problems, _ = fields_of(
        validator, vocabulary, source, kind="", other=None, role="analyst", status="official-statement"
    )
    assert [(p.field, p.severity) for p in problems] == [("status", "Violation")]
    assert "analyst" in problems[0].message


def test_a_new_source_carries_its_text_and_the_servers_checksum(validator) -> None:
    text = "The Foo Front was founded in 1999.\nIt is alleged that Baz funds it."
    draft = compose_source(
        {"text": text, "title": "A report on Foo", "author": "Jane Doe", "date": "2020-06",
         "url": "https://example.org/foo", "accessed": "2021-06-14", "licence": "https://creativecommons.org/licenses/by/4.0/"},
        B,
    )  # fmt: skip
    assert draft.problems == []
    outcome = validator.check(validator.parse(draft.turtle().encode(), TURTLE, "form"))
    assert outcome.conforms, [r.message for r in outcome.report.results]
    graph = outcome.parsed.graph
    assert [str(o) for o in graph.objects(None, NX.sha256)] == [hashlib.sha256(text.encode()).hexdigest()]
    assert (None, NX.textFile, None) not in graph
    bad = compose_source({"text": " ", "title": "", "accessed": "2021", "url": "ftp://x", "date": "June"}, B)
    assert {p.field for p in bad.problems} == {"text", "title", "accessed", "url", "date"}


def test_a_checksum_that_is_not_of_the_contributions_own_text_is_refused(validator) -> None:
    turtle = compose_source({"text": "Some text.", "title": "T"}, B).turtle()
    good = hashlib.sha256(b"Some text.").hexdigest()
    forged = turtle.replace(good, hashlib.sha256(b"other").hexdigest())
    outcome = validator.check(validator.parse(forged.encode(), TURTLE, "form"))
    assert any("cannot set nx:sha256" in r.message for r in outcome.report.results)
    # The text's own checksum does not let a file in: nx:textFile stays refused.
    with_file = turtle.replace('schema:text "Some text."', 'schema:text "Some text." ; nx:textFile "x.txt"')
    outcome = validator.check(validator.parse(with_file.encode(), TURTLE, "form"))
    assert [r.message for r in outcome.report.results if "cannot set" in r.message] == [
        "A contribution cannot set nx:textFile: send the source's text as schema:text; the server stores it "
        "and records its file and checksum when it is accepted"
    ]
    no_text = forged.replace('schema:text "Some text."', "schema:url <https://example.org/t>")
    outcome = validator.check(validator.parse(no_text.encode(), TURTLE, "form"))
    assert any("cannot set nx:sha256" in r.message for r in outcome.report.results)


def test_accepting_a_source_with_its_checksum_records_one_checksum(bundled, tmp_path) -> None:
    settings = writable_copy(bundled, tmp_path / "project")
    validator = Validator.from_settings(settings)
    inbox = Inbox(settings.inbox_path, Quota.from_settings(settings))
    text = "Some text, verbatim."
    body = compose_source({"text": text, "title": "Accepted source", "url": "https://example.org/s"}, B)
    entry = inbox.add(
        body=body.turtle().encode(), sha256="0" * 64, fmt="turtle", report={}, note="", client="test"
    )
    review.accept(inbox, validator, entry.id, "tester")
    written = Graph().parse(settings.project / "data" / "contributions" / f"{entry.id}.ttl")
    assert [str(o) for o in written.objects(None, NX.sha256)] == [hashlib.sha256(text.encode()).hexdigest()]
    assert len(list(written.objects(None, NX.textFile))) == 1


# --- the pages --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(bundled, tmp_path_factory):
    inbox = tmp_path_factory.mktemp("compose-inbox") / "contributions.sqlite"
    return make_app(bundled, inbox_path=str(inbox)).test_client()


JSON = {"Accept": "application/json"}


def test_the_claim_form_is_prefilled_with_the_selected_passage(client) -> None:
    response = client.get(
        "/compose/claim",
        query_string={"source": SOURCE, "start": START, "end": START + len(EXACT), "exact": EXACT},
    )
    assert response.status_code == 200
    page = response.text
    assert f'name="start" value="{START}"' in page and f'name="end" value="{START + len(EXACT)}"' in page
    assert '<mark class="cue" data-cue="claim-of-responsibility"' in page
    assert "An accusation of wrongdoing" in page  # each status with its rule
    assert "The article" in page or "author" in page


def test_check_answers_turtle_and_findings_by_field_and_submit_stores(client) -> None:
    check = client.post("/compose/claim", data={**GOOD, "action": "check"}, headers=JSON)
    assert check.status_code == 200 and check.json["conforms"] and check.json["problems"] == []
    assert EXACT in check.json["turtle"] and check.json["stored"] is False
    named = {"about_search": "National Directorate of Security"}  # as the page's picker sends it
    wrong = {**GOOD, **named, "status": "reported-fact", "action": "check"}
    bad = client.post("/compose/claim", data=wrong, headers=JSON)
    assert bad.status_code == 200 and not bad.json["conforms"]
    assert [p["field"] for p in bad.json["problems"]] == ["status"]
    assert bad.json["problems"][0]["label"] == "How sure"
    assert "state actor “National Directorate of Security”" in bad.json["problems"][0]["message"]
    refused = client.post(
        "/compose/claim", data={**GOOD, "status": "reported-fact", "action": "submit"}, headers=JSON
    )
    assert refused.status_code == 422 and not refused.json["stored"]
    sent = {**GOOD, "contributor": " Karim Haddad ", "action": "submit"}
    stored = client.post("/compose/claim", data=sent, headers=JSON)
    assert stored.status_code == 201 and stored.json["stored"]
    status = client.get(stored.json["location"]).json
    assert status["status"] == "pending" and status["contributor"] == "Karim Haddad"
    again = client.post("/compose/claim", data={**GOOD, "action": "submit"}, headers=JSON)
    assert again.status_code == 422  # the same fields give the same bytes: the inbox refuses them twice
    assert any("already" in p["message"] or "same" in p["message"] for p in again.json["problems"])


def test_without_a_script_the_form_posts_and_typed_names_are_looked_up(client) -> None:
    values = {**GOOD, "about": "", "about_search": "NDS", "quoted": "", "quoted_search": "Asadullah Khalid"}
    page = client.post("/compose/claim", data={**values, "action": "check"})
    assert page.status_code == 200 and "Checked: it conforms." in page.text
    unknown = client.post(
        "/compose/claim", data={**values, "about_search": "Nobody Atall", "action": "check"}
    )
    assert "no entity is named &#39;Nobody Atall&#39;" in unknown.text


def test_a_new_source_then_a_claim_from_its_pending_text(client) -> None:
    text = "The Foo Front was founded in 1999.\nIt is alleged that Baz funds it."
    fields = {"text": text, "title": "A pending report", "author": "Jane Doe", "url": "https://example.org/p",
              "accessed": "2021-06-14", "action": "submit"}  # fmt: skip
    created = client.post("/compose/source", data=fields, headers=JSON)
    assert created.status_code == 201, created.json
    entry = created.json["id"]
    page = client.get(f"/compose/pending/{entry}")
    assert page.status_code == 200 and "It is alleged that Baz funds it." in page.text
    assert f"/compose/claim?pending={entry}" in page.text
    claim = {
        "pending": entry, "exact": "It is alleged that Baz funds it.",
        "summary": "Baz is alleged to fund the Foo Front.",
        "about_label": "Baz", "about_class": NX_ + "State",
        "other_label": "Foo Front", "other_class": NX_ + "ArmedGroup",
        "kind": NX_ + "Funding", "status": "allegation", "action": "submit",
    }  # fmt: skip
    made = client.post("/compose/claim", data=claim, headers=JSON)
    assert made.status_code == 201, made.json["problems"]
    assert "schema:text" in made.json["turtle"] and "agent:jane-doe" in made.json["turtle"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"source": "https://example.org/x"}, 400),
        ({"source": B + "id/source/no-such-source"}, 404),
        ({}, 400),
        ({"pending": "20990101-deadbeef"}, 404),
    ],
)
def test_a_bad_source_is_a_4xx_with_a_message(client, query, status) -> None:
    response = client.get("/compose/claim", query_string=query, headers=JSON)
    assert response.status_code == status
    assert response.json["error"]["message"]


def test_the_source_page_offers_a_claim_from_a_passage(client) -> None:
    page = client.get("/doc/source/ttp-aq-isis-nexus", headers={"Accept": "text/html"}).text
    assert 'id="compose-offer"' in page and "compose/select.js" in page
