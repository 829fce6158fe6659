"""The maintainers' review page (/contributions/review): what each pending contribution adds, with
"restates claim X"; accept and reject from the page; the contributor's name. The attacks on it (the
session, tokens, CSRF, forged provenance, bounds) are tested in tests/security/test_review_attacks.py,
with the helpers of this module."""

from __future__ import annotations

import re
import sqlite3

import pytest
from click.testing import CliRunner
from contributions_support import GOOD, writable_copy
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from nexus_ld.cli import main
from nexus_ld.config import Settings, load_settings
from nexus_ld.contributions.digest import FORM, restatements
from nexus_ld.contributions.rules import SCHEMA
from nexus_ld.contributions.service import Validator
from nexus_ld.formats import RDF_FORMATS
from nexus_ld.namespaces import NX
from nexus_ld.pipeline.build import build
from nexus_ld.store.embedded import Store
from nexus_ld.web.app import create_app

TOKEN = "review-page-token-0123456789"
CLAIM = "https://w3id.org/nexus-ld/id/claim/contributed-ttp-aims-to-overthrow-government"
SAME_QUOTE = "https://w3id.org/nexus-ld/id/claim/ttp-aim-overthrow-government"  # and ttp-terrorist-campaign
PAGE = "/contributions/review"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, bundled: Settings) -> Settings:
    return writable_copy(bundled, tmp_path_factory.mktemp("review-page") / "project")


def app_for(settings: Settings, **overrides):
    values = dict(settings.values) | {"maintainer_token": TOKEN} | overrides
    app = create_app(load_settings(values, environ={}))
    app.config["TESTING"] = True
    return app


def submit(client, body: bytes, note: str = "", name: str = "") -> str:
    query = {"note": note, "contributor": name}
    response = client.post("/contributions", query_string=query, data=body, content_type="text/turtle")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def csrf(client) -> str:
    page = client.get(PAGE).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def sign_in(client, name: str = "") -> None:
    response = client.post(PAGE + "/sign-in", data={"token": TOKEN, "name": name, "csrf_token": csrf(client)})
    assert response.status_code == 303 and response.headers["Location"] == PAGE


def test_signed_in_the_page_lists_what_a_contribution_adds(project) -> None:
    client = app_for(project, inbox_path=str(project.project / "inbox-list.sqlite")).test_client()
    entry_id = submit(client, (GOOD / "new-claim.ttl").read_bytes(), note="from section one")
    sign_in(client, name="Ayesha")

    page = client.get(PAGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Signed in as <strong>Ayesha</strong>" in html and "Signed in as Ayesha." in html  # flash
    assert entry_id in html and "from section one" in html
    assert "claim:contributed-ttp-aims-to-overthrow-government" in html
    assert "TTP aims to overthrow the Pakistani government" in html  # the summary
    assert "It aims to overthrow the government by waging a terrorist campaign" in html  # the quote
    assert "reported fact" in html
    # The warning the validator does not give: the same quote from the same source as published claims.
    assert "Restates claim" in html and "claim:ttp-aim-overthrow-government" in html
    assert "claim:ttp-terrorist-campaign" in html and "the same quote from the same source" in html


def test_the_page_reads_the_digest_kept_at_submit_for_its_release_and_makes_it_again_for_another(
    project,
) -> None:
    inbox = project.project / "inbox-kept.sqlite"
    client = app_for(project, inbox_path=str(inbox)).test_client()
    entry_id = submit(client, (GOOD / "new-claim.ttl").read_bytes())
    release = Store.open(project.build).release["release"]
    with sqlite3.connect(inbox) as db:
        text, kept_for = db.execute("SELECT digest, digest_release FROM contributions").fetchone()
        assert kept_for == f"{release}/{FORM}" and "the same quote from the same source" in text
        # Marked, the kept digest shows that the page reads it instead of the body.
        db.execute("UPDATE contributions SET digest = ?", (text.replace("TTP aims", "KEPT aims"),))
    sign_in(client)
    assert "KEPT aims to overthrow" in client.get(PAGE).get_data(as_text=True)
    # Kept for another release (or form): made again from the body on this one, every check, and kept.
    with sqlite3.connect(inbox) as db:
        db.execute("UPDATE contributions SET digest_release = 'an-older-release/1'")
    html = client.get(PAGE).get_data(as_text=True)
    assert "KEPT" not in html and "TTP aims to overthrow" in html and "Restates claim" in html
    with sqlite3.connect(inbox) as db:
        assert db.execute(
            "SELECT digest_release FROM contributions WHERE id = ?", (entry_id,)
        ).fetchone() == (f"{release}/{FORM}",)


def test_restatement_rules(bundled: Settings) -> None:
    validator = Validator.from_settings(bundled)
    turtle = (GOOD / "new-claim.ttl").read_bytes()

    def found(body: bytes) -> dict[str, str]:
        graph = validator.parse(body, RDF_FORMATS["turtle"], "t").graph
        return {r.existing: r.why for r in restatements(validator.store, graph, URIRef(CLAIM))}

    by_quote = found(turtle)
    assert by_quote == {
        SAME_QUOTE: "the same quote from the same source",
        "https://w3id.org/nexus-ld/id/claim/ttp-terrorist-campaign": "the same quote from the same source",
    }
    same_triple = turtle.replace(
        b'"overthrowing the government of Pakistan by a terrorist campaign"@en',
        b'"to overthrow the government of Pakistan"@en',
    )
    assert found(same_triple)[SAME_QUOTE] == "the same subject, predicate and object"
    # The same words with another language tag on the object state another triple: only the quote matches.
    other_object = same_triple.replace(b'Pakistan"@en', b'Pakistan"@de')
    assert found(other_object)[SAME_QUOTE] == "the same quote from the same source"
    # Another passage of the source restates nothing.
    elsewhere = re.sub(rb'oa:exact "[^"]+"', b'oa:exact "It has conducted the highest number"', turtle)
    assert found(elsewhere) == {}


def test_accept_and_reject_from_the_page(project) -> None:
    client = app_for(project, inbox_path=str(project.project / "inbox-decide.sqlite")).test_client()
    accepted_id = submit(client, (GOOD / "new-claim.ttl").read_bytes(), note="from section one", name="Karim")
    rejected_id = submit(client, (GOOD / "new-source-with-text.ttl").read_bytes())
    sign_in(client, name="Ayesha")

    no_reason = client.post(f"{PAGE}/{rejected_id}/reject", data={"csrf_token": csrf(client), "reason": " "})
    assert no_reason.status_code == 400 and "a rejection needs a reason" in no_reason.get_data(as_text=True)
    reason = {"csrf_token": csrf(client), "reason": "a field note is no source"}
    rejected = client.post(f"{PAGE}/{rejected_id}/reject", data=reason)
    assert rejected.status_code == 303
    assert f"Rejected {rejected_id}: a field note is no source" in client.get(PAGE).get_data(as_text=True)

    done = client.post(f"{PAGE}/{accepted_id}/accept", data={"csrf_token": csrf(client)})
    assert done.status_code == 303
    html = client.get(PAGE).get_data(as_text=True)
    assert f"Accepted {accepted_id} into data/contributions/{accepted_id}.ttl" in html
    assert "Nothing is waiting for review." in html
    again = client.post(f"{PAGE}/{accepted_id}/accept", data={"csrf_token": csrf(client)})
    assert again.status_code == 409 and "already accepted" in again.get_data(as_text=True)

    status = client.get(f"/contributions/{rejected_id}", headers={"Accept": "application/json"}).get_json()
    assert status["status"] == "rejected" and status["reason"] == "a field note is no source"
    assert status["decided_by"] == "Ayesha"
    written = Graph().parse(project.project / "data" / "contributions" / f"{accepted_id}.ttl")
    record = URIRef(f"https://w3id.org/nexus-ld/id/contribution/{accepted_id}")
    assert (record, RDF.type, NX.Contribution) in written
    assert written.value(record, DCTERMS.identifier) == Literal(accepted_id)
    assert (record, DCTERMS.hasPart, URIRef(CLAIM)) in written
    assert written.value(record, DCTERMS.contributor) == Literal("Karim")

    # The next build publishes the claim with its record; its page and its group's page say who
    # contributed it and who accepted it, when; the record has a page of its own.
    build(project)
    published = app_for(project).test_client()
    published.environ_base["HTTP_ACCEPT"] = "text/html"
    day = written.value(record, DCTERMS.dateAccepted)[:10]
    note = "Contributed by <strong>Karim</strong>,\naccepted by <strong>Ayesha</strong> on <time"
    for page in ("/doc/claim/contributed-ttp-aims-to-overthrow-government", "/doc/group/ttp"):
        html = published.get(page).get_data(as_text=True)
        assert note in html and f">{day}</time>" in html, page
        assert f'href="/doc/contribution/{accepted_id}">(contribution {accepted_id})</a>' in html
    assert "Contributed by" not in published.get("/doc/claim/ttp-aim-overthrow-government").get_data(
        as_text=True
    )
    record_page = published.get(f"/doc/contribution/{accepted_id}").get_data(as_text=True)
    assert "Karim" in record_page and "Ayesha" in record_page
    # Like every file of data/, the accepted file passes `nexus-ld validate` against the new build.
    settings = ["--setting", "project_dir", str(project.project)]
    settings += ["--setting", "build_dir", str(project.build)]
    path = project.project / "data" / "contributions" / f"{accepted_id}.ttl"
    validated = CliRunner().invoke(main, [*settings, "validate", str(path)])
    assert validated.exit_code == 0, validated.output

    signed_out = client.post(PAGE + "/sign-out", data={"csrf_token": csrf(client)})
    assert signed_out.status_code == 303
    assert 'name="token"' in client.get(PAGE).get_data(as_text=True)


def test_the_contribute_form_takes_the_contributors_name(project) -> None:
    client = app_for(project, inbox_path=str(project.project / "inbox-form.sqlite")).test_client()
    form = client.get("/contribute").get_data(as_text=True)
    assert 'name="contributor"' in form
    text = (GOOD / "new-source-with-text.ttl").read_text(encoding="utf-8")
    sent = client.post("/contribute", data={"text": text, "action": "submit", "contributor": " Noor Khan "})
    assert sent.status_code == 201, sent.get_data(as_text=True)
    entry_id = re.search(r"contribution <a href=\"/contributions/([^\"]+)\"", sent.get_data(as_text=True))
    assert entry_id is not None
    status = client.get(f"/contributions/{entry_id.group(1)}", headers={"Accept": "text/html"})
    assert "From Noor Khan (shown as “contributed by” once published)." in status.get_data(as_text=True)


NX_ = "https://w3id.org/nexus-ld/ontology#"
JSON = {"Accept": "application/json"}


def test_a_source_is_accepted_once_with_its_own_contribution_or_with_a_claim_made_from_it(
    bundled: Settings, tmp_path
) -> None:
    project = writable_copy(bundled, tmp_path / "project")
    client = app_for(project).test_client()
    text = "The Foo Front was founded in 1999.\nIt is alleged that Baz funds it."
    fields = {"text": text, "title": "A pending report", "author": "Jane Doe", "action": "submit"}
    source = client.post("/compose/source", data=fields, headers=JSON).get_json()
    claim_fields = {
        "pending": source["id"], "exact": "It is alleged that Baz funds it.",
        "summary": "Baz is alleged to fund the Foo Front.",
        "about_label": "Baz", "about_class": NX_ + "State",
        "other_label": "Foo Front", "other_class": NX_ + "ArmedGroup",
        "kind": NX_ + "Funding", "status": "allegation", "action": "submit",
    }  # fmt: skip
    claim = client.post("/compose/claim", data=claim_fields, headers=JSON).get_json()
    assert claim["stored"] and "schema:text" in claim["turtle"]  # the claim carries the pending source
    iri = next(Graph().parse(data=claim["turtle"], format="turtle").subjects(SCHEMA.text))

    sign_in(client, name="Ayesha")
    done = client.post(f"{PAGE}/{claim['id']}/accept", data={"csrf_token": csrf(client)})
    assert done.status_code == 303
    # The source's own contribution describes the source again: refused by the page, the API and the CLI.
    refused = client.post(f"{PAGE}/{source['id']}/accept", data={"csrf_token": csrf(client)})
    where = f"data/contributions/{claim['id']}.ttl"
    assert refused.status_code == 409
    assert f"it describes &lt;{iri}&gt; (in {where}) again" in refused.get_data(as_text=True)
    bearer = {"Authorization": f"Bearer {TOKEN}"} | JSON
    api = client.post(f"/contributions/{source['id']}/accept", headers=bearer)
    assert api.status_code == 409
    assert f"it describes <{iri}> (in {where}) again" in api.get_json()["error"]["message"]
    settings = [("project_dir", str(project.project)), ("inbox_path", project.inbox_path)]
    settings += [("build_dir", str(project.build))]
    options = [word for name, value in settings for word in ("--setting", name, value)]
    cli = CliRunner().invoke(main, [*options, "contributions", "accept", source["id"], "--by", "Karim"])
    assert cli.exit_code == 2 and "a source is accepted once" in cli.output and str(iri) in cli.output
    assert not (project.project / "data" / "contributions" / f"{source['id']}.ttl").exists()
    assert client.get(f"/contributions/{source['id']}", headers=JSON).get_json()["status"] == "pending"
    # What was accepted builds: the source once, with one text file.
    result = build(project)
    assert result.release["triples"] > 0
    texts = list((project.project / "data" / "sources").glob("contribution-*.txt"))
    assert [t.name.startswith(f"contribution-{claim['id']}-") for t in texts] == [True]
    assert texts[0].read_text(encoding="utf-8") == text
