"""Finding 4 of issue 11: finding the input line of each result compared every result node with every
line and every prefix (prefixes inside comments counted too), quadratic in the contribution. It is one
pass over the text now, with the prefixes the parser read."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from nexus_ld import formats
from nexus_ld.contributions.parse import Limits, parse
from nexus_ld.contributions.service import token_lines

PREFIXES = "".join(f"@prefix p{i}: <https://w3id.org/nexus-ld/id/x{i}/> .\n" for i in range(38))

# 20,000 unlabelled groups (the most triples a contribution may have), each a result of its own.
SCRIPT = """
import sys
from rdflib import URIRef
from nexus_ld import formats
from nexus_ld.contributions.parse import Limits, parse
from nexus_ld.contributions.service import focus_lines
from nexus_ld.report import Report, Result

prefixes = "".join(f"@prefix p{i}: <https://w3id.org/nexus-ld/id/x{i}/> .\\n" for i in range(38))
head = prefixes + "@prefix nx: <https://w3id.org/nexus-ld/ontology#> .\\n"
head += "@prefix group: <https://w3id.org/nexus-ld/id/group/> .\\n"
body = "".join(f"group:u{i} a nx:Group .\\n" for i in range(20_000))
parsed = parse((head + body).encode(), formats.RDF_FORMATS["turtle"], "body", Limits())
group = "https://w3id.org/nexus-ld/id/group/u"
report = Report.from_results(Result(URIRef(group + str(i)), "needs a label") for i in range(20_000))
lines = focus_lines(parsed, report)
assert len(lines) == 20_000 and lines[group + "0"] == 41 and lines[group + "19999"] == 20_040, lines
print("ok")
"""


@pytest.mark.live
def test_focus_lines_of_the_largest_contribution_finish() -> None:
    # The hard timeout is the failure condition (quadratic: minutes; linear: well under a second).
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_prefixes_and_names_inside_comments_do_not_count() -> None:
    text = (
        PREFIXES
        + "# @prefix g2: <https://w3id.org/nexus-ld/id/group/> .  g2:ttp would be line 39\n"
        + "@prefix group: <https://w3id.org/nexus-ld/id/group/> .\n"
        + "@prefix nx: <https://w3id.org/nexus-ld/ontology#> .\n"
        + "# group:ttp is mentioned here only in a comment\n"
        + 'group:ttp-x a nx:Group ; nx:note "group:ttp in a string, #not a comment" .\n'
        + "group:ttp a nx:Group .\n"
        + "<https://w3id.org/nexus-ld/id/group/tehreek> a nx:Group .\n"
        + '[ nx:p "group:tehreek-e" ] .\n'
    )
    parsed = parse(text.encode(), formats.RDF_FORMATS["turtle"], "body", Limits())
    assert "g2" not in parsed.prefixes
    lines = token_lines(parsed.text, parsed.prefixes)
    group = "https://w3id.org/nexus-ld/id/group/"
    assert lines[group + "ttp-x"] == 43
    assert lines[group + "ttp"] == 44  # not the comment, nor the string that only mentions it
    assert lines[group + "tehreek"] == 45
    assert lines["https://w3id.org/nexus-ld/ontology#Group"] == 43
    assert lines[group + "tehreek-e"] == 46  # a string that is a name (JSON-LD writes IRIs so)
