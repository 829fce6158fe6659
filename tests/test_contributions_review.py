"""Submit -> not published -> accept (token, CLI) -> build -> the claim is queryable; reject keeps the reason;
the browser page validates and submits."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from contributions_support import BAD, GOOD, writable_copy
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from nexus_ld.cli import main
from nexus_ld.config import Settings, load_settings
from nexus_ld.namespaces import NX
from nexus_ld.pipeline.build import build
from nexus_ld.store.embedded import Store
from nexus_ld.web.app import create_app

TOKEN = "s3cret-maintainer-token"
CLAIM = "https://w3id.org/nexus-ld/id/claim/contributed-ttp-aims-to-overthrow-government"
ASK_CLAIM = f"ASK {{ GRAPH graph:data {{ <{CLAIM}> a nx:Claim }} }}"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, bundled: Settings):
    return writable_copy(bundled, tmp_path_factory.mktemp("review") / "project")


def app_for(settings, **overrides):
    app = create_app(load_settings(dict(settings.values) | overrides, environ={}))
    app.config["TESTING"] = True
    return app


def cli(settings, *args: str):
    base = ["--setting", "project_dir", str(settings.project), "--setting", "build_dir", str(settings.build)]
    base += ["--setting", "inbox_path", settings.inbox_path]
    return CliRunner().invoke(main, [*base, *args])


def submit(client, name: str, note: str = "") -> dict:
    response = client.post(
        f"/contributions?note={note}", data=(GOOD / name).read_bytes(), content_type="text/turtle"
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["Location"] == f"/contributions/{body['id']}" == body["location"]
    return body


def test_accepted_contribution_is_published_by_the_next_build(project) -> None:
    client = app_for(project, maintainer_token=TOKEN).test_client()
    body = submit(client, "new-claim.ttl", note="from the article's first section")
    entry_id = body["id"]
    assert body["status"] == "pending" and body["report"]["conforms"] is True

    status = client.get(f"/contributions/{entry_id}", headers={"Accept": "application/json"}).get_json()
    assert status["status"] == "pending"
    assert status["note"] == "from the article's first section"
    assert status["size"] == len((GOOD / "new-claim.ttl").read_bytes())
    # Pending: not in the published data, not on /sparql.
    assert not bool(Store.open(project.build).query(ASK_CLAIM))
    sparql = client.get(
        "/sparql", query_string={"query": ASK_CLAIM}, headers={"Accept": "application/sparql-results+json"}
    )
    assert sparql.get_json()["boolean"] is False

    # The public cannot decide; a wrong token is refused like a missing one.
    assert client.post(f"/contributions/{entry_id}/accept").status_code == 401
    wrong = client.post(f"/contributions/{entry_id}/accept", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    accepted = client.post(f"/contributions/{entry_id}/accept", headers={"Authorization": f"Bearer {TOKEN}"})
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert accepted.get_json()["status"] == "accepted"
    assert accepted.get_json()["decided_by"] == "maintainer"

    # The file carries the triples and their provenance.
    path = project.project / "data" / "contributions" / f"{entry_id}.ttl"
    written = Graph().parse(path)
    assert (URIRef(CLAIM), RDF.type, NX.Claim) in written
    record = next(written.subjects(RDF.type, NX.Contribution))
    assert written.value(record, DCTERMS.identifier) == Literal(entry_id)
    assert str(written.value(record, DCTERMS.dateSubmitted))[:19] == status["received"][:19]
    assert written.value(record, DCTERMS.dateAccepted) is not None
    assert written.value(record, DCTERMS.description) == Literal("from the article's first section")
    assert (record, DCTERMS.hasPart, URIRef(CLAIM)) in written

    # Still not published until the build; after it, queryable (and in the truthy graph).
    assert not bool(Store.open(project.build).query(ASK_CLAIM))
    build(project)
    store = Store.open(project.build)
    assert bool(store.query(ASK_CLAIM))
    truthy = (
        "ASK { GRAPH graph:truthy { group:ttp nx:aim ?aim FILTER(CONTAINS(STR(?aim), 'overthrowing')) } }"
    )
    assert bool(store.query(truthy))
    accepted_again = client.post(
        f"/contributions/{entry_id}/accept", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert accepted_again.status_code == 409


def test_http_decisions_are_disabled_without_a_token(project) -> None:
    client = app_for(project, maintainer_token="").test_client()
    response = client.post("/contributions/anything/accept", headers={"Authorization": "Bearer "})
    assert response.status_code == 403
    assert "maintainer_token" in response.get_data(as_text=True)


def test_cli_lists_shows_rejects_with_reason_and_accepts(project) -> None:
    client = app_for(project).test_client()
    entry_id = submit(client, "supersedes.ttl")["id"]
    listed = cli(project, "contributions", "list", "--status", "pending", "--json")
    assert entry_id in [e["id"] for e in json.loads(listed.stdout)]
    rejected = cli(
        project, "contributions", "reject", entry_id, "--reason", "restates the article; not needed"
    )
    assert rejected.exit_code == 0, rejected.output
    shown = json.loads(cli(project, "contributions", "show", entry_id, "--json").stdout)
    assert (shown["status"], shown["reason"]) == ("rejected", "restates the article; not needed")
    page = client.get(f"/contributions/{entry_id}", headers={"Accept": "text/html"})
    assert "restates the article; not needed" in page.get_data(as_text=True)
    again = cli(project, "contributions", "accept", entry_id)
    assert again.exit_code == 2 and "already rejected" in again.output
    no_reason = cli(project, "contributions", "reject", entry_id)
    assert no_reason.exit_code == 2  # click: --reason is required

    other = submit(client, "new-source-with-text.ttl")["id"]
    accepted = cli(project, "contributions", "accept", other, "--by", "Ayesha")
    assert accepted.exit_code == 0, accepted.output
    text_files = list((project.project / "data" / "sources").glob(f"contribution-{other}-*.txt"))
    assert [f.read_text(encoding="utf-8") for f in text_files] == [
        "Field note. TTP remains active in the border districts. End of note."
    ]
    written = Graph().parse(project.project / "data" / "contributions" / f"{other}.ttl")
    record = next(written.subjects(RDF.type, NX.Contribution))
    assert str(written.value(record, URIRef("http://schema.org/editor"))) == "Ayesha"
    # The written file itself passes `validate` (as a file of data/) and the build checks its quote.
    assert (
        cli(project, "validate", str(project.project / "data" / "contributions" / f"{other}.ttl")).exit_code
        == 0
    )


def test_validate_cli_exit_codes_and_outputs(bundled: Settings) -> None:
    project = bundled  # unchanged by the tests above (they accept into their own copy)
    good = cli(project, "validate", str(GOOD / "new-claim.ttl"))
    assert good.exit_code == 0 and "conforms (26 triples; 0 violations" in good.output
    bad = cli(project, "validate", str(BAD / "wrong-quote.ttl"))
    assert bad.exit_code == 1
    assert "wrong-quote.ttl:14: https://w3id.org/nexus-ld/id/claim/contributed-wrong-offsets" in bad.output
    assert "not at offsets 2098-2204" in bad.output
    as_json = json.loads(cli(project, "validate", "--json", str(BAD / "wrong-quote.ttl")).stdout)
    assert as_json["conforms"] is False and as_json["results"][0]["line"] == 14
    turtle = cli(project, "validate", "--turtle", str(BAD / "wrong-quote.ttl")).stdout
    report = Graph().parse(data=turtle, format="turtle")
    assert (None, URIRef("http://www.w3.org/ns/shacl#conforms"), Literal(False)) in report
    unreadable = cli(project, "validate", str(BAD / "syntax-turtle.ttl"))
    assert unreadable.exit_code == 2 and "syntax-turtle.ttl:4:1: turtle syntax error" in unreadable.output
    as_ntriples = cli(project, "validate", "--format", "ntriples", str(GOOD / "new-claim.ttl"))
    assert as_ntriples.exit_code == 2 and "ntriples syntax error" in as_ntriples.output
    missing = cli(project, "validate", str(GOOD / "no-such-file.ttl"))
    assert missing.exit_code == 2 and "No such file" in missing.output


def test_browser_page_validates_and_submits(tmp_path, bundled: Settings) -> None:
    client = app_for(bundled, inbox_path=str(tmp_path / "inbox.sqlite")).test_client()
    page = client.get("/contribute").get_data(as_text=True)
    assert '<form method="post" action="/contribute"' in page and 'name="file"' in page
    text = (BAD / "claim-without-source.ttl").read_text(encoding="utf-8")
    checked = client.post("/contribute", data={"text": text, "action": "validate"})
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "Does not conform" in html and "A claim needs prov:wasDerivedFrom naming its nx:Source." in html
    assert "https://w3id.org/nexus-ld/id/claim/contributed-no-source" in html
    broken = client.post("/contribute", data={"text": "@prefix x: <oops", "action": "validate"})
    assert broken.status_code == 400 and "turtle syntax error" in broken.get_data(as_text=True)
    upload = (GOOD / "new-claim.ttl").open("rb")
    sent = client.post(
        "/contribute",
        data={"file": (upload, "claim.ttl"), "text": "", "action": "submit", "note": "via the form"},
        content_type="multipart/form-data",
    )
    html = sent.get_data(as_text=True)
    assert sent.status_code == 201, html
    assert "Received: contribution" in html and "<strong>pending</strong>" in html
    assert "Conforms" in html
