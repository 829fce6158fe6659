"""Two contributions minting one new IRI: the second accept names the first and is refused (409) unless
the maintainer says both describe the same entity; the described index that finds it (kept in the
inbox, rebuilt from data/contributions/ when missing, no accepted file read per accept)."""

from __future__ import annotations

import shutil
import sqlite3
import time

import pytest
from click.testing import CliRunner
from contributions_support import writable_copy
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, RDFS
from test_review_page import JSON, PAGE, TOKEN, app_for, csrf, sign_in, submit

from nexus_ld.cli import main
from nexus_ld.config import Settings
from nexus_ld.contributions import review
from nexus_ld.contributions.inbox import Inbox
from nexus_ld.contributions.service import Validator
from nexus_ld.errors import InputError
from nexus_ld.namespaces import NX
from nexus_ld.pipeline.build import build
from nexus_ld.pipeline.publish.releases import kept_folder
from nexus_ld.store.embedded import Store

IRI = "https://w3id.org/nexus-ld/id/group/test-front"  # a test's own entity, in its own project copy
TTP = "https://w3id.org/nexus-ld/id/group/ttp"  # published: contributions add aliases to it
MINT = """@prefix nx: <https://w3id.org/nexus-ld/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{iri}> a nx:{kind} ; rdfs:label "{label}"@{lang} .
"""


ALIAS = (
    f"@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n<{TTP}> skos:altLabel 'Alias {{name}}'@en .\n"
)


def mint(kind: str, label: str, lang: str = "en") -> bytes:
    return MINT.format(iri=IRI, kind=kind, label=label, lang=lang).encode()


def test_a_new_iri_minted_twice_is_refused_unless_the_maintainer_says_same_entity(
    bundled: Settings, tmp_path
) -> None:
    project = writable_copy(bundled, tmp_path / "project")
    client = app_for(project).test_client()
    blind = submit(client, mint("ArmedGroup", "Frente de prueba", "es"))  # minted blind, kept pending
    first = submit(client, mint("ArmedGroup", "Test Front"))
    # Pending while the first is: another class, another name (in another language: two English labels
    # would fail the build's shapes once merged; classes and other languages' labels merge unseen).
    second = submit(client, mint("MediaOrganisation", "Front des médias", "fr"))
    sign_in(client, name="Ayesha")
    assert client.post(f"{PAGE}/{first}/accept", data={"csrf_token": csrf(client)}).status_code == 303

    # The review page says so before the maintainer decides, and offers the choice.
    page = client.get(PAGE).get_data(as_text=True)
    assert (
        "Already minted" in page
        and f">{first}</a> (accepted, in <code>data/contributions/{first}.ttl" in page
    )
    assert 'name="same_entity"' in page
    # Accepting it as it stands is refused, by the page, the API and the CLI, naming the first.
    said = f"it mints <{IRI}>, already minted by contribution {first} (data/contributions/{first}.ttl)"
    refused = client.post(f"{PAGE}/{second}/accept", data={"csrf_token": csrf(client)})
    assert refused.status_code == 409
    assert said.replace("<", "&lt;").replace(">", "&gt;") in refused.get_data(as_text=True)
    bearer = {"Authorization": f"Bearer {TOKEN}"} | JSON
    api = client.post(f"/contributions/{second}/accept", headers=bearer)
    assert api.status_code == 409 and api.get_json()["error"]["title"] == "IRI already minted"
    assert said in api.get_json()["error"]["message"]
    bad = client.post(f"/contributions/{second}/accept?same_entity=maybe", headers=bearer)
    assert bad.status_code == 400 and "same_entity is 1" in bad.get_json()["error"]["message"]
    options = [
        "--setting",
        "project_dir",
        str(project.project),
        "--setting",
        "inbox_path",
        project.inbox_path,
    ]
    options += ["--setting", "build_dir", str(project.build)]
    cli = CliRunner().invoke(main, [*options, "contributions", "accept", second, "--by", "Karim"])
    assert cli.exit_code == 2 and said in cli.output and "--same-entity" in cli.output
    assert not (project.project / "data" / "contributions" / f"{second}.ttl").exists()
    assert client.get(f"/contributions/{second}", headers=JSON).get_json()["status"] == "pending"

    # The maintainer says both describe one entity: accepted, and the build publishes both descriptions.
    same = client.post(f"{PAGE}/{second}/accept", data={"csrf_token": csrf(client), "same_entity": "1"})
    assert same.status_code == 303
    build(project)
    store = Store.open(project.build)
    names = store.query(
        f"SELECT ?l WHERE {{ GRAPH graph:data {{ <{IRI}> ?p ?l FILTER isLiteral(?l) }} }} ORDER BY ?l"
    )
    assert [row["l"].value for row in names] == ["Front des médias", "Test Front"]
    # Built, the IRI is published; a contribution received before it was accepted minted it blind: refused.
    inbox, validator = Inbox(project.inbox_path), Validator.from_settings(project)
    with pytest.raises(review.MintedTwice, match=f"already minted by contribution {first}"):
        review.accept(inbox, validator, blind, "Karim")
    # One received since adds to it like to any published entity.
    third = submit(app_for(project).test_client(), mint("ArmedGroup", "Testfront", "de"))
    assert review.accept(inbox, validator, third, "Karim").status == "accepted"
    # Two that add to an entity published before them (minted by neither) are no clash.
    alias = ALIAS.format(name="one").encode(), ALIAS.format(name="two").encode()
    adding = [submit(client, body) for body in alias]
    assert [review.accept(inbox, validator, i, "Karim").status for i in adding] == ["accepted"] * 2


def test_one_received_between_an_accept_and_the_build_that_publishes_it_minted_blind(
    bundled: Settings, tmp_path
) -> None:
    project = writable_copy(bundled, tmp_path / "project")
    client = app_for(project).test_client()
    first = submit(client, mint("ArmedGroup", "Test Front"))
    sign_in(client, name="Ayesha")
    assert client.post(f"{PAGE}/{first}/accept", data={"csrf_token": csrf(client)}).status_code == 303
    time.sleep(1.1)  # received a second after that accept: the times alone would let it through
    between = submit(client, mint("MediaOrganisation", "Front des médias", "fr"))
    seen = Store.open(project.build).release["release"]
    assert Inbox(project.inbox_path).get(between).validated_release == seen

    build(project)  # publishes the first's IRI; the release the second was validated against is kept

    inbox, validator = Inbox(project.inbox_path), Validator.from_settings(project)
    assert validator.release != seen and validator.store.exists(IRI)
    with pytest.raises(review.MintedTwice, match=f"already minted by contribution {first}"):
        review.accept(inbox, validator, between, "Karim")
    built = app_for(project).test_client()
    sign_in(built, name="Ayesha")
    assert "Already minted" in built.get(PAGE).get_data(as_text=True)
    # One received after that build saw the IRI: it adds to a published entity.
    third = submit(built, mint("ArmedGroup", "Testfront", "de"))
    assert review.accept(inbox, validator, third, "Karim").status == "accepted"


def test_the_described_index_is_rebuilt_when_missing_and_no_accepted_file_is_read_per_accept(
    bundled: Settings, tmp_path
) -> None:
    project = writable_copy(bundled, tmp_path / "project")
    client = app_for(project).test_client()
    ids = [submit(client, mint("ArmedGroup", f"Test Front {n}")) for n in range(3)]
    inbox, validator = Inbox(project.inbox_path), Validator.from_settings(project)
    review.accept(inbox, validator, ids[0], "Ayesha")
    assert inbox.index_built()
    [hit] = inbox.described_by([IRI])[IRI]
    assert (hit.entry, hit.file, hit.minted) == (ids[0], f"data/contributions/{ids[0]}.ttl", True)

    # An inbox without the index (made before it): the next accept rebuilds it from the files and refuses.
    with sqlite3.connect(project.inbox_path) as db:
        db.execute("DELETE FROM described")
        db.execute("DELETE FROM built")
    assert not inbox.index_built()
    with pytest.raises(review.MintedTwice, match=f"already minted by contribution {ids[0]}"):
        review.accept(inbox, validator, ids[1], "Ayesha")
    assert inbox.index_built() and IRI in inbox.described_by([IRI])

    # With the index built, accepting reads no accepted file: an unreadable one changes nothing.
    (project.project / "data" / "contributions" / "unreadable.ttl").write_text("this is { not turtle")
    with pytest.raises(review.MintedTwice, match=f"already minted by contribution {ids[0]}"):
        review.accept(inbox, validator, ids[2], "Ayesha")
    # Without the index, an accepted file that does not parse is named (file:line), no stack trace.
    with sqlite3.connect(project.inbox_path) as db:
        db.execute("DELETE FROM built")
    with pytest.raises(InputError, match="unreadable.ttl:1"):
        review.accept(inbox, validator, ids[2], "Ayesha")
    (project.project / "data" / "contributions" / "unreadable.ttl").unlink()
    # A file removed from data/ (a maintainer's revert) no longer counts.
    (project.project / "data" / "contributions" / f"{ids[0]}.ttl").unlink()
    accepted = review.accept(inbox, validator, ids[2], "Ayesha")
    assert accepted.status == "accepted"
    written = project.project / accepted.file  # type: ignore[operator]
    assert (URIRef(IRI), RDF.type, NX.ArmedGroup) in review.Graph().parse(written)
    assert (URIRef(IRI), RDFS.label, Literal("Test Front 2", lang="en")) in review.Graph().parse(written)


def test_where_the_kept_release_is_pruned_or_never_kept_the_times_decide(bundled: Settings, tmp_path) -> None:
    """The release a contribution was validated against, deleted (pruned) or never kept with it (an
    inbox row from before ``validated_release``): ``seen_in`` cannot tell, and the old rule by times
    decides, without an error: received before the other's accept, it minted the IRI blind (refused,
    409 with the other named); received after, it is taken to have seen it (accepted)."""
    project = writable_copy(bundled, tmp_path / "project")
    client = app_for(project).test_client()
    blind = submit(client, mint("ArmedGroup", "Frente de prueba", "es"))
    first = submit(client, mint("ArmedGroup", "Test Front"))
    sign_in(client, name="Ayesha")
    assert client.post(f"{PAGE}/{first}/accept", data={"csrf_token": csrf(client)}).status_code == 303
    time.sleep(1.1)  # received a second after that accept
    after = submit(client, mint("MediaOrganisation", "Front des médias", "fr"))
    seen = Store.open(project.build).release["release"]
    inbox = Inbox(project.inbox_path)
    assert {inbox.get(i).validated_release for i in (blind, after)} == {seen}

    build(project)  # publishes the first's IRI; the release both were validated against is kept ...
    kept = kept_folder(project.build, seen)
    assert kept is not None
    shutil.rmtree(kept)  # ... and pruned
    assert kept_folder(project.build, seen) is None

    validator = Validator.from_settings(project)
    assert validator.release != seen and validator.store.exists(IRI)
    assert all(review.seen_in(validator, inbox.get(i))(IRI) is None for i in (blind, after))
    # The review page and the API answer; the blind one is refused, naming the first.
    built = app_for(project).test_client()
    sign_in(built, name="Ayesha")
    page = built.get(PAGE)
    assert page.status_code == 200 and "Already minted" in page.get_data(as_text=True)
    refused = built.post(
        f"/contributions/{blind}/accept", headers={"Authorization": f"Bearer {TOKEN}"} | JSON
    )
    assert refused.status_code == 409 and refused.get_json()["error"]["title"] == "IRI already minted"
    assert f"already minted by contribution {first}" in refused.get_json()["error"]["message"]
    # An inbox row with no release at all (received before the release was kept with it): the same.
    with sqlite3.connect(project.inbox_path) as db:
        db.execute("UPDATE contributions SET validated_release = '' WHERE id = ?", (blind,))
    assert inbox.get(blind).validated_release == ""
    with pytest.raises(review.MintedTwice, match=f"already minted by contribution {first}"):
        review.accept(inbox, validator, blind, "Karim")
    # Received after the accept: by the times it saw the IRI, and it adds to the published entity.
    assert review.accept(inbox, validator, after, "Karim").status == "accepted"
    assert inbox.get(blind).status == "pending"
