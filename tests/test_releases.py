"""Kept releases: each build in releases/<id>/, published by an atomic switch of `current`; earlier
releases addressable at /downloads/<release>/ (immutable), listed with what each changed at /releases,
linked as DCAT versions; a server moves to a newly published release without a restart."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import shutil
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import QUICK_BUILD, copy_project, make_app, settings_for

from nexus_ld.cli import main
from nexus_ld.config import Settings
from nexus_ld.pipeline.build import build
from nexus_ld.pipeline.publish import releases
from nexus_ld.pipeline.publish.dumps import read_sums
from nexus_ld.store.embedded import Store

BASE = "https://w3id.org/nexus-ld/"
OLD_CLAIM = BASE + "id/claim/intel-raw-funded-ttp"
NEW_CLAIM = OLD_CLAIM + "-r2"
IMMUTABLE = "public, max-age=31536000, immutable"


def rename_claim(project: Path) -> None:
    """Release two of a test copy: one claim under a new IRI (one claim removed, one added)."""
    for path in (project / "data").rglob("*.ttl"):
        text = path.read_text(encoding="utf-8")
        renamed = re.sub(r"claim:intel-raw-funded-ttp\b(?!-)", "claim:intel-raw-funded-ttp-r2", text)
        if renamed != text:
            path.write_text(renamed, encoding="utf-8")


def build_two(folder: Path, project_dir: Path) -> tuple[Settings, str, str]:
    """A project copy in ``folder`` built twice: release one, then release two with a claim renamed."""
    project = copy_project(folder / "project", project_dir)
    settings = settings_for(project, **QUICK_BUILD)
    first = build(settings).release["release"]
    rename_claim(project)
    second = build(settings).release["release"]
    return settings, first, second


@pytest.fixture(scope="module")
def two_releases(project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, str, str]:
    return build_two(tmp_path_factory.mktemp("releases"), project_dir)


def test_each_build_is_kept_and_current_points_to_the_newest(two_releases):
    settings, first, second = two_releases
    root = settings.build
    assert first != second
    assert os.readlink(root / "current") == f"releases/{second}"
    assert {r["release"] for r in releases.kept(root)} == {first, second}
    # The layout before releases still works: build/store, build/release.json … follow `current`.
    for name in releases.TOP_LEVEL:
        assert os.readlink(root / name) == f"current/{name}"
    assert Store.open(root).release["release"] == second
    assert json.loads((root / "release.json").read_text())["release"] == second


def test_the_build_records_what_a_release_changed(two_releases):
    settings, first, second = two_releases
    one = releases.read_release(settings.build / "releases" / first)
    two = releases.read_release(settings.build / "releases" / second)
    assert one["previous"] is None and two["previous"] == first
    changes = two["changes"]
    assert changes["added"] == [NEW_CLAIM] and changes["removed"] == [OLD_CLAIM]
    assert (changes["added_count"], changes["removed_count"]) == (1, 1)
    assert changes["claims"] == one["changes"]["claims"] > 100


def test_releases_page_lists_them_with_their_changes(two_releases):
    settings, first, second = two_releases
    client = make_app(settings).test_client()
    body = client.get("/releases", headers={"Accept": "application/json"}).get_json()
    assert body["current"] == second
    assert [r["release"] for r in body["releases"]] == [second, first]  # newest first
    newest = body["releases"][0]
    assert newest["current"] and newest["previous"] == first and newest["built_at"]
    assert newest["added"] == [NEW_CLAIM] and newest["removed"] == [OLD_CLAIM]
    assert newest["triples"] > 10_000 and newest["downloads"] == f"/downloads/{second}/"
    page = client.get("/releases", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'href="/downloads/{first}/"' in page and "/doc/claim/intel-raw-funded-ttp-r2" in page
    at = newest["built_at"]  # read as on /downloads/: the day and the minute, UTC
    assert f'<td><time datetime="{at}">{at[:10]} at {at[11:16]} UTC</time></td>' in page
    assert client.get("/releases.json").get_json()["current"] == second
    assert 'href="/releases"' in client.get("/downloads/", headers={"Accept": "text/html"}).get_data(
        as_text=True
    )


def test_an_earlier_release_is_served_at_its_own_urls_immutable(two_releases):
    settings, first, second = two_releases
    client = make_app(settings).test_client()
    sums = client.get(f"/downloads/{first}/SHA256SUMS")
    assert sums.status_code == 200 and sums.headers["Cache-Control"] == IMMUTABLE
    folder = settings.build / "releases" / first / "dumps"
    assert sums.get_data() == (folder / "SHA256SUMS").read_bytes()
    listing = client.get(f"/downloads/{first}/index.json").get_json()
    assert listing["release"] == first
    dump = next(f for f in listing["files"] if f["format"] == "nquads")
    assert dump["url"] == f"/downloads/{first}/{dump['file']}"
    answer = client.get(dump["url"])
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == IMMUTABLE
    assert "Content-Encoding" not in answer.headers  # the .gz file itself: its checksum is of these bytes
    assert hashlib.sha256(answer.get_data()).hexdigest() == read_sums(folder)[dump["file"]]
    # The served release's files stay at /downloads/<file>, with a short cache lifetime.
    current = client.get("/downloads/SHA256SUMS")
    assert current.headers["Nexus-Release"] == second and "immutable" not in current.headers["Cache-Control"]


@pytest.mark.parametrize(
    "path",
    [
        "/downloads/nope/SHA256SUMS",
        "/downloads/..%2F..%2Fetc/passwd",
        "/downloads/.replaced-x/SHA256SUMS",
        "/downloads/%2E%2E/SHA256SUMS",
        "/downloads/{first}/release.json",
        "/downloads/{first}/..%2Frelease.json",
        "/downloads/{first}/../../current/store/CURRENT",
        "/releases.txt",
    ],
)
def test_a_path_never_names_a_server_file(two_releases, path):
    settings, first, _ = two_releases
    response = (
        make_app(settings).test_client().get(path.format(first=first), headers={"Accept": "application/json"})
    )
    assert response.status_code == 404, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"]["message"]


def test_the_void_links_a_release_to_the_one_before(two_releases):
    settings, first, second = two_releases
    turtle = make_app(settings).test_client().get("/void.ttl").get_data()
    triples = {(q.subject, q.predicate, q.object) for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)}
    version, before = ox.NamedNode(f"{BASE}downloads/{second}/"), ox.NamedNode(f"{BASE}downloads/{first}/")
    dataset = ox.NamedNode(BASE + "void#dataset")
    for s, p, o in [
        (dataset, "http://www.w3.org/ns/dcat#hasCurrentVersion", version),
        (dataset, "http://www.w3.org/ns/dcat#hasVersion", before),
        (version, "http://www.w3.org/ns/dcat#previousVersion", before),
        (version, "http://www.w3.org/ns/prov#wasRevisionOf", before),
    ]:
        assert (s, ox.NamedNode(p), o) in triples, (s, p, o)


@pytest.fixture()
def own_copy(two_releases, tmp_path: Path) -> Iterator[tuple[Settings, str, str]]:
    """The two releases in a folder of this test's own (links kept as links)."""
    settings, first, second = two_releases
    shutil.copytree(settings.build, tmp_path / "build", symlinks=True)
    yield settings_for(settings.project, build_dir=str(tmp_path / "build"), **QUICK_BUILD), first, second


def ask_new_claim(client) -> tuple[str, bool]:
    response = client.get("/sparql", query_string={"query": f"ASK {{ <{NEW_CLAIM}> ?p ?o }}"},
                          headers={"Accept": "application/sparql-results+json"})  # fmt: skip
    return response.headers["Nexus-Release"], response.get_json()["boolean"]


def test_a_server_follows_a_switch_and_a_rollback_without_a_restart(own_copy):
    settings, first, second = own_copy
    app = make_app(settings, release_check_s=0.0)
    client = app.test_client()
    assert ask_new_claim(client) == (second, True)
    result = CliRunner().invoke(main, ["--setting", "build_dir", str(settings.build), "rollback", first])
    assert result.exit_code == 0, result.output
    assert ask_new_claim(client) == (first, False)
    ready = client.get("/readyz")
    assert ready.get_json()["release"] == first and ready.headers["Nexus-Release"] == first
    assert (
        client.get("/doc/claim/intel-raw-funded-ttp-r2", headers={"Accept": "text/turtle"}).status_code == 404
    )
    releases.switch(settings.build, second)
    assert ask_new_claim(client) == (second, True)
    assert client.get("/readyz").get_json()["search_index"] is True
    # Every answer names its release, errors and static files too.
    for path in ("/no/such/page", "/static/nexus.css", "/healthz"):
        assert client.get(path).headers["Nexus-Release"] == second, path


def test_rollback_refuses_a_release_that_is_not_kept(own_copy):
    settings, first, _ = own_copy
    result = CliRunner().invoke(main, ["--setting", "build_dir", str(settings.build), "rollback", "../x"])
    assert result.exit_code == 2 and "no kept release '../x'" in result.output and first in result.output


def test_only_the_newest_keep_releases_stay(own_copy):
    settings, first, second = own_copy
    assert releases.prune(settings.build, 1) == [first]
    assert [r["release"] for r in releases.kept(settings.build)] == [second]
    releases.switch(settings.build, second)  # the served one is never removed, even past the limit
    assert releases.prune(settings.build, 0) == []


@pytest.mark.parametrize("layout", ["files at the top", "a copy that followed the links"])
def test_a_build_folder_of_another_layout_is_served_and_then_moved_to_releases(own_copy, tmp_path, layout):
    settings, _, second = own_copy
    # As builds before kept releases left it (the files themselves at the top), or as `cp -r` and
    # shutil.copytree copy a build folder (every link followed: `current` is a real folder too).
    old = tmp_path / "old"
    shutil.copytree(
        settings.build / "releases" / second if layout == "files at the top" else settings.build, old
    )
    assert releases.served_folder(old) == old and Store.open(old).release["release"] == second
    build(settings_for(settings.project, build_dir=str(old), **QUICK_BUILD))
    assert os.readlink(old / "current") == f"releases/{second}"
    assert os.readlink(old / "store") == "current/store"
    assert Store.open(old).release["release"] == second


def test_a_release_that_cannot_be_opened_is_not_swapped_in(own_copy):
    settings, _, second = own_copy
    client = make_app(settings, release_check_s=0.0).test_client()
    broken = settings.build / "releases" / "broken"
    broken.mkdir()
    (broken / "release.json").write_text(json.dumps({"release": "broken", "base": BASE}))
    (broken / "store").write_text("not a store")  # a half-copied release, say
    releases.switch(settings.build, "broken")
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["release"] == second
    assert ask_new_claim(client) == (second, True)


def test_the_old_release_and_its_query_processes_go_when_no_request_uses_them(own_copy):
    settings, first, second = own_copy
    app = make_app(settings, release_check_s=0.0)
    client = app.test_client()
    endpoint = app.extensions["nexus_ld.sparql"]
    assert ask_new_claim(client) == (second, True)
    old = endpoint.executor.pids()
    assert len(old) == settings.query_workers
    old_state = weakref.ref(app.extensions["nexus_ld"].state)  # holds what the release made (State.once)
    releases.switch(settings.build, first)
    assert ask_new_claim(client) == (first, False)
    gc.collect()
    assert old_state() is None and endpoint.executor.pids() != old
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in old) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in old), "the old release's workers were stopped"


def test_a_contribution_is_checked_against_the_release_its_request_is_answered_from(own_copy):
    """After a switch, /validate sees the new release's claims (not the release served at start-up)."""
    settings, first, second = own_copy
    client = make_app(settings, release_check_s=0.0).test_client()
    edit = f'<{NEW_CLAIM}> <http://www.w3.org/2000/01/rdf-schema#comment> "an edit"@en .\n'

    def validate() -> tuple[str, str]:
        answer = client.post(
            "/validate", data=edit, headers={"Content-Type": "text/turtle", "Accept": "text/plain"}
        )
        return answer.headers["Nexus-Release"], answer.get_data(as_text=True)

    release, report = validate()
    assert release == second and "is a published claim and cannot be edited" in report
    releases.switch(settings.build, first)  # release one has no such claim: adding to it conforms
    release, report = validate()
    assert release == first and "conforms" in report.splitlines()[0] and "does not" not in report


def test_a_rebuild_of_the_same_release_keeps_the_date_it_was_first_issued(own_copy):
    settings, _, second = own_copy
    before = releases.read_release(settings.build / "releases" / second)
    assert before["issued"] == before["built_at"]  # a new id is issued when it is built
    again = build(settings).release  # the same inputs: the same release id, built anew
    assert again["release"] == second and again["built_at"] > before["built_at"]
    assert again["issued"] == before["issued"]
    assert releases.read_release(settings.build / "releases" / second)["issued"] == before["issued"]
    turtle = make_app(settings).test_client().get("/void.ttl").get_data()
    issued = [
        q.object.value
        for q in ox.parse(turtle, format=ox.RdfFormat.TURTLE)
        if q.subject == ox.NamedNode(f"{BASE}downloads/{second}/")
        and q.predicate == ox.NamedNode("http://purl.org/dc/terms/issued")
    ]
    assert issued == [before["issued"]]
