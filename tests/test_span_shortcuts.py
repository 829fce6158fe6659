"""The time shortcuts derived at build (derive-spans.rq, derive-start-dates.rq): each case of the
time-slice rule of docs/data-model.md on spans made for it, and on the bundled build the same years
and dates as the paths they restate."""

import pyoxigraph as ox
import pytest

from nexus_ld.pipeline.build import derive
from nexus_ld.store.embedded import Store

YEARS = range(1995, 2031)

# One span for each case of the rule, with the first and last year it surely held (None: no triple).
CASES = {
    "open": ("time:hasBeginning [ a time:Instant ; time:inXSDgYear '2010'^^xsd:gYear ]", 2010, None),
    "dated-end": (
        "time:hasBeginning [ a time:Instant ; time:inXSDgYearMonth '2010-03'^^xsd:gYearMonth ] ;"
        " time:hasEnd [ a time:Instant ; time:inXSDDate '2015-06-01'^^xsd:date ]",
        2010,
        2015,
    ),
    "end-before": (
        "time:hasBeginning [ a time:Instant ; time:inXSDgYear '2010'^^xsd:gYear ] ;"
        " time:hasEnd [ a time:Instant ;"
        " time:before [ a time:Instant ; time:inXSDgYear '2016'^^xsd:gYear ] ]",
        2010,
        2015,
    ),
    "undated-end": (
        "time:hasBeginning [ a time:Instant ; time:inXSDgYear '2009'^^xsd:gYear ] ;"
        " time:hasEnd [ a time:Instant ; nx:timeText 'short-lived' ]",
        2009,
        2009,
    ),
    "undated-end-no-beginning": ("time:hasEnd [ a time:Instant ; nx:timeText 'ended' ]", None, None),
    "dated-end-no-beginning": (
        "time:hasEnd [ a time:Instant ; time:inXSDgYear '2012'^^xsd:gYear ]",
        None,
        2012,
    ),
    "inside-only": ("time:hasInside [ a time:Instant ; time:inXSDgYear '2011'^^xsd:gYear ]", 2011, None),
    "inside-twice": (
        "time:hasInside [ a time:Instant ; time:inXSDgYear '2013'^^xsd:gYear ],"
        " [ a time:Instant ; time:inXSDgYear '2011'^^xsd:gYear ]",
        2011,
        None,
    ),
    "inside-undated-end": (
        "time:hasInside [ a time:Instant ; time:inXSDgYearMonth '2011-05'^^xsd:gYearMonth ] ;"
        " time:hasEnd [ a time:Instant ; nx:timeText 'later' ]",
        2011,
        2011,
    ),
}


def case_store() -> Store:
    """The CASES as relationships' spans (nx:during) in graph:data, an instant among them, and one post's
    span (w3org:memberDuring); derived as the build derives."""
    store = Store.in_memory()
    spans = "\n".join(
        f"<urn:rel:{name}> nx:during <urn:span:{name}> . <urn:span:{name}> a time:Interval ; {body} ."
        for name, (body, _, _) in CASES.items()
    )
    trig = f"""
        PREFIX nx: <https://w3id.org/nexus-ld/ontology#>
        PREFIX time: <http://www.w3.org/2006/time#>
        PREFIX w3org: <http://www.w3.org/ns/org#>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        GRAPH <{store.graphs["data"].value}> {{
          {spans}
          <urn:rel:instant> nx:during <urn:span:instant> .
          <urn:span:instant> a time:Instant ; time:inXSDDate '2012-05-04'^^xsd:date .
          <urn:post> w3org:memberDuring <urn:span:post> .
          <urn:span:post> a time:Interval ;
              time:hasBeginning [ a time:Instant ; time:inXSDgYear '2013'^^xsd:gYear ] ;
              time:hasEnd [ a time:Instant ; time:inXSDgYear '2018'^^xsd:gYear ] .
          <urn:attack> time:hasTime <urn:span:instant> .
          <urn:operation> time:hasTime <urn:span:dated-end> .
        }}"""
    store.add(ox.parse(trig, ox.RdfFormat.TRIG))
    derive(store)
    return store


@pytest.fixture(scope="module")
def cases() -> Store:
    return case_store()


def years(store: Store, span: str) -> tuple[int | None, int | None]:
    found = {}
    for prop in ("firstYear", "lastYear"):
        values = [
            int(row["y"].value)
            for row in store.query(f"SELECT ?y WHERE {{ GRAPH graph:inferred {{ <{span}> nx:{prop} ?y }} }}")
        ]
        assert len(values) <= 1, f"{span} has {len(values)} values of nx:{prop}"
        found[prop] = values[0] if values else None
    return found["firstYear"], found["lastYear"]


@pytest.mark.parametrize("name", CASES)
def test_each_case_of_the_rule_gives_its_first_and_last_year(cases, name):
    _, first, last = CASES[name]
    assert years(cases, f"urn:span:{name}") == (first, last)


def test_an_instant_holds_in_its_own_year_and_a_post_is_a_span_too(cases):
    assert years(cases, "urn:span:instant") == (2012, 2012)
    assert years(cases, "urn:span:post") == (2013, 2018)


def test_the_start_date_is_an_instants_own_or_its_beginnings_at_its_precision(cases):
    rows = cases.query("SELECT ?t ?d WHERE { GRAPH graph:inferred { ?t nx:startDate ?d } }")
    found = {(row["t"].value, row["d"].value, row["d"].datatype.value.rsplit("#", 1)[1]) for row in rows}
    assert found == {
        ("urn:span:instant", "2012-05-04", "date"),
        ("urn:span:dated-end", "2010-03", "gYearMonth"),
    }


# The rule written with the paths (as examples 08 and 16 wrote it before the shortcut, with the year of an
# instant inside a span without a beginning, which the network page counted as its start): nested
# OPTIONALs over the beginning, an instant's own year, the end and its "before" bound. The reference the
# shortcut must agree with.
RULE = """
SELECT ?time ?first ?last WHERE {
  GRAPH graph:data { VALUES ?holds { nx:during w3org:memberDuring } ?node ?holds ?time }
  OPTIONAL { ?time time:hasBeginning/nx:year ?since }
  OPTIONAL { ?time nx:year ?at }
  OPTIONAL { ?time time:hasInside/nx:year ?inside }
  OPTIONAL { ?time time:hasEnd ?end
             OPTIONAL { ?end nx:year ?until }
             OPTIONAL { ?end time:before/nx:year ?before } }
  BIND(COALESCE(?since, ?at, ?inside, 0) AS ?first)
  BIND(IF(BOUND(?until), ?until, IF(BOUND(?before), ?before - 1,
       IF(BOUND(?end), COALESCE(?since, ?at, ?inside, 0), COALESCE(?at, 9999)))) AS ?last)
}"""

# The two comparisons the examples make now.
SHORTCUT = """
SELECT ?time ?first ?last WHERE {
  GRAPH graph:data { VALUES ?holds { nx:during w3org:memberDuring } ?node ?holds ?time }
  OPTIONAL { ?time nx:firstYear ?f }
  OPTIONAL { ?time nx:lastYear ?l }
  OPTIONAL { ?time time:hasEnd ?end }
  BIND(COALESCE(?f, 0) AS ?first)
  BIND(COALESCE(?l, IF(BOUND(?end), 0, 9999)) AS ?last)
}"""


def held(store: Store, text: str) -> dict[str, set[int]]:
    """The years in YEARS each span holds in, by the query's first and last year."""
    out: dict[str, set[int]] = {}
    for row in store.query(text):
        first, last = int(row["first"].value), int(row["last"].value)
        out.setdefault(str(row["time"]), set()).update(y for y in YEARS if first <= y <= last)
    return out


def test_the_shortcut_holds_in_the_years_of_the_rule_on_made_spans(cases):
    assert held(cases, SHORTCUT) == held(cases, RULE)


def test_the_shortcut_holds_in_the_years_of_the_rule_on_the_bundled_build(store):
    by_rule = held(store, RULE)
    assert len(by_rule) > 10 and any(by_rule.values())
    assert held(store, SHORTCUT) == by_rule


def test_the_start_date_restates_the_paths_on_the_bundled_build(store):
    paths = store.query(
        "SELECT ?t ?d WHERE { GRAPH graph:data { ?e time:hasTime ?t ."
        " { ?t time:inXSDgYear|time:inXSDgYearMonth|time:inXSDDate ?d }"
        " UNION { ?t time:hasBeginning/(time:inXSDgYear|time:inXSDgYearMonth|time:inXSDDate) ?d } } }"
    )
    shortcut = store.query("SELECT ?t ?d WHERE { GRAPH graph:inferred { ?t nx:startDate ?d } }")
    expected = {(str(r["t"]), str(r["d"])) for r in paths}
    assert expected and {(str(r["t"]), str(r["d"])) for r in shortcut} == expected
