import pytest

from nexus_ld.pipeline.quotes import QuoteNotFound, locate, mismatch
from tests.conftest import SOURCE_TEXT


def test_locate_gives_offsets_and_context():
    sel = locate(SOURCE_TEXT, "Gardaiz")
    assert SOURCE_TEXT[sel.start : sel.end] == "Gardaiz"
    assert SOURCE_TEXT[: sel.start].endswith(sel.prefix) and SOURCE_TEXT[sel.end :].startswith(sel.suffix)
    assert f"oa:start {sel.start} ; oa:end {sel.end}" in sel.to_turtle("source:x")


def test_locate_after_finds_the_second_occurrence():
    title = "TTP, AQ, ISIS Nexus and Its Impact on Regional Security"
    assert locate(SOURCE_TEXT, title).start == 0
    assert locate(SOURCE_TEXT, title, after=1).start == 57


def test_missing_quote_raises():
    with pytest.raises(QuoteNotFound):
        locate(SOURCE_TEXT, "Gardez")


@pytest.mark.parametrize(
    ("start", "end", "prefix", "suffix", "reason"),
    [
        (None, None, None, None, "no TextPositionSelector"),
        (0, 3, None, None, "span 3 characters"),
        (1, 8, None, None, "is not at offsets"),
        ("ok", "ok", "wrong", None, "oa:prefix does not match"),
        ("ok", "ok", None, "wrong", "oa:suffix does not match"),
    ],
)
def test_mismatch_explains(start, end, prefix, suffix, reason):
    sel = locate(SOURCE_TEXT, "Gardaiz")
    start = sel.start if start == "ok" else start
    end = sel.end if end == "ok" else end
    assert reason in mismatch(SOURCE_TEXT, "Gardaiz", start, end, prefix, suffix)
    assert mismatch(SOURCE_TEXT, "Gardaiz", sel.start, sel.end, sel.prefix, sel.suffix) is None
    assert "does not occur" in mismatch(SOURCE_TEXT, "Gardez", 0, 6, None, None)
