"""Release files: re-parsed, counted, checksummed; listed and served with ETag and Content-Length."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests

from nexus_ld.formats import RDF_FORMATS
from nexus_ld.pipeline.publish.dumps import read_sums


@pytest.fixture(scope="module")
def folder(built) -> Path:
    return Path(built.build) / "dumps"


def quad_count(store, graph=None) -> int:
    return sum(1 for _ in store.ox.quads_for_pattern(None, None, None, graph))


def test_checksums_match_files_and_release(folder, store):
    sums = read_sums(folder)
    listed = {d["file"]: d for d in store.release["dumps"]}
    assert set(listed) | {"void.ttl"} == set(sums)
    for name, digest in sums.items():
        data = (folder / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, name
        if name in listed:
            assert listed[name]["sha256"] == digest and listed[name]["bytes"] == len(data)


def test_every_dump_parses_to_its_listed_triple_count(folder, store):
    kinds = set()
    for dump in store.release["dumps"]:
        fmt = RDF_FORMATS[dump["format"]]
        data = gzip.decompress((folder / dump["file"]).read_bytes())
        parsed = list(ox.parse(data, format=fmt.rdf))
        graph = None if dump["graph"] == "all" else store.graphs[dump["graph"]]
        assert len(parsed) == dump["triples"] == quad_count(store, graph), dump["file"]
        kinds.add((dump["graph"], dump["format"]))
    assert ("all", "nquads") in kinds and ("all", "trig") in kinds
    for graph in store.graphs:
        assert (graph, "turtle") in kinds and (graph, "jsonld") in kinds


def test_whole_dataset_dumps_keep_named_graphs(folder, store):
    for dump in store.release["dumps"]:
        if dump["graph"] != "all":
            continue
        data = gzip.decompress((folder / dump["file"]).read_bytes())
        quads = list(ox.parse(data, format=RDF_FORMATS[dump["format"]].rdf))
        assert {q.graph_name for q in quads} == set(store.graphs.values())
        loaded = ox.Store()
        loaded.extend(quads)
        assert set(loaded) == set(store.ox)  # the same dataset


def test_downloads_lists_files_as_json_and_html(client, folder, store):
    listing = client.get("/downloads/", headers={"Accept": "application/json"})
    assert listing.mimetype == "application/json" and listing.headers["Vary"] in (
        "Accept",
        "Accept, Accept-Encoding",
    )
    body = listing.get_json()
    assert body["release"] == store.release["release"]
    files = {f["file"]: f for f in body["files"]}
    assert set(files) == set(read_sums(folder)) | {"SHA256SUMS"}
    for name, entry in files.items():
        assert entry["bytes"] == (folder / name).stat().st_size
    assert client.get("/downloads/index.json").get_json() == body
    page = client.get("/downloads/", headers={"Accept": "text/html"}).get_data(as_text=True)
    for dump in store.release["dumps"]:
        assert f'<a href="/downloads/{dump["file"]}">' in page and dump["sha256"] in page
        assert f'<td class="num">{dump["triples"]}</td>' in page


def test_the_downloads_page_shows_when_the_release_was_built(client, store):
    built_at = store.release["built_at"]  # 2026-12-03T00:12:34.567890+00:00, written by the build
    page = client.get("/downloads/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert f'<time datetime="{built_at}">{built_at[:10]} at {built_at[11:16]} UTC</time>' in page


def test_download_over_http_with_etag_and_length(live_server, folder, store):
    dump = store.release["dumps"][0]
    url = f"{live_server.url}/downloads/{dump['file']}"
    r = requests.get(url, timeout=10)
    assert r.status_code == 200
    assert hashlib.sha256(r.content).hexdigest() == dump["sha256"]
    assert int(r.headers["Content-Length"]) == dump["bytes"] == len(r.content)
    assert r.headers["ETag"] == f'"{dump["sha256"]}"'
    assert r.headers["Content-Type"] == "application/gzip"
    again = requests.get(url, headers={"If-None-Match": r.headers["ETag"]}, timeout=10)
    assert again.status_code == 304
    sums = requests.get(f"{live_server.url}/downloads/SHA256SUMS", timeout=10)
    assert sums.text == (folder / "SHA256SUMS").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["nope.nq.gz", "..%2Frelease.json", "store"])
def test_unknown_download_is_404(client, name):
    r = client.get(f"/downloads/{name}", headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert "/downloads/" in r.get_json()["error"]["message"] or r.get_json()["error"]["status"] == 404
