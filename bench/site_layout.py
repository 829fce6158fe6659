"""What the site looks like in Chromium (issue 16): the height of some pages, and for the network
view the time until it is drawn, its zoom, its visible labels and how many pairs of them overlap.

    python bench/site_layout.py --build-dir build [--loads 3] [path ...]

The app runs in this process on a free 127.0.0.1 port; the browser is Debian's Chromium
(/usr/bin/chromium, or $CHROMIUM). No asserts: numbers for the closing note.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from nexus_ld.config import load_settings
from nexus_ld.web.app import create_app

PAGES = [
    "/",
    "/doc/group/ttp",
    "/doc/person/noor-wali-mehsud",
    "/doc/claim/intel-raw-funded-ttp",
    "/timeline",
]
# Pairs of visible labels whose boxes on the screen overlap (as tests/test_site_browser.py counts).
OVERLAPS = """() => {
  const boxes = window.nexusNetwork.cy.elements(':visible').filter((e) => e.pstyle('label').strValue)
    .map((e) => e.renderedBoundingBox({ includeLabels: true, includeNodes: false, includeEdges: false,
                                        includeOverlays: false })).filter((b) => b.w > 0 && b.h > 0);
  let n = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) n++;
  }
  return [boxes.length, n];
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, required=True, help="a built store (nexus-ld build)")
    parser.add_argument("--loads", type=int, default=3, help="loads of /network to time")
    parser.add_argument("paths", nargs="*", default=PAGES, help="pages to measure the height of")
    args = parser.parse_args()
    settings = load_settings({"build_dir": str(args.build_dir)}, environ={})
    port = free_port()
    server = make_server("127.0.0.1", port, create_app(settings), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    out: dict[str, object] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            page = browser.new_page(
                base_url=f"http://127.0.0.1:{port}", viewport={"width": 1400, "height": 1000}
            )
            page.set_default_timeout(60_000)
            heights: dict[str, int] = {}
            for path in args.paths:
                page.goto(path, wait_until="load")
                heights[path] = page.evaluate("document.documentElement.scrollHeight")
            out["height_px"] = heights
            drawn, positions = [], []
            for _ in range(args.loads):
                page.goto("/network", wait_until="load")
                drawn.append(page.evaluate("window.nexusNetwork.ready.then(() => performance.now())"))
                positions.append(page.evaluate("window.nexusNetwork.cy.nodes().map((n) => n.position())"))
            labels, overlaps = page.evaluate(OVERLAPS)
            out["network"] = {
                "drawn_ms_median": round(statistics.median(drawn)),
                "drawn_ms": [round(t) for t in drawn],
                "same_positions_on_every_load": all(p == positions[0] for p in positions),
                "zoom": round(page.evaluate("window.nexusNetwork.cy.zoom()"), 3),
                "visible_labels": labels,
                "overlapping_label_pairs": overlaps,
            }
            browser.close()
    finally:
        server.shutdown()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
