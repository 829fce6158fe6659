import json

from click.testing import CliRunner

from nexus_ld.cli import main


def run(built, *args):
    return CliRunner().invoke(
        main,
        ["--setting", "project_dir", str(built.project), "--setting", "build_dir", str(built.build), *args],
        catch_exceptions=False,
    )


def test_query_table_json_csv_and_turtle(built):
    q = "SELECT ?label WHERE { group:ttp rdfs:label ?label }"
    table = run(built, "query", q)
    assert table.exit_code == 0 and "Tehrik-e-Taliban Pakistan" in table.output and "(1 rows)" in table.output
    as_json = json.loads(run(built, "query", "--format", "json", q).output)
    assert as_json["results"]["bindings"][0]["label"]["value"] == "Tehrik-e-Taliban Pakistan"
    assert run(built, "query", "--format", "csv", q).output.splitlines()[0].strip() == "label"
    turtle = run(built, "query", "CONSTRUCT { group:ttp rdfs:label ?l } WHERE { group:ttp rdfs:label ?l }")
    assert "Tehrik-e-Taliban Pakistan" in turtle.output and "rdf-schema#label" in turtle.output


def test_query_from_file_and_usage_errors(built, tmp_path):
    q = tmp_path / "q.rq"
    q.write_text("ASK { group:ttp a nx:UmbrellaOrganisation }")
    assert run(built, "query", "--file", str(q)).output.strip() == "true"
    assert run(built, "query").exit_code == 2
    bad = run(built, "query", "SELECT WHERE {")
    assert bad.exit_code == 2 and "does not parse" in bad.output


def test_stats_counts_graphs_and_statuses(built):
    out = run(built, "stats").output
    assert "graph truthy" in out and "reported-fact" in out and "allegation" in out


def test_check_conforms_on_bundled_data(built):
    result = run(built, "check")
    assert result.exit_code == 0, result.output


def test_quote_prints_selectors(built):
    out = run(built, "quote", "Gardaiz").output
    assert 'oa:exact "Gardaiz"' in out and "oa:start" in out


def test_help_settings_lists_every_setting():
    out = CliRunner().invoke(main, ["--help-settings"]).output
    assert "query_timeout_s" in out and "base" in out


def test_unknown_setting_is_a_usage_error(built):
    result = CliRunner().invoke(main, ["--setting", "nope", "1", "stats"])
    assert result.exit_code == 2 and "unknown setting 'nope'" in result.output
