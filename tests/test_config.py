import pytest
from click.testing import CliRunner

from nexus_ld.cli import main
from nexus_ld.config import SETTINGS, SettingsError, load_settings
from tests.conftest import ROOT


def test_defaults_env_and_overrides_layer_in_order():
    settings = load_settings(
        {"page_size": "7"}, environ={"NEXUS_LD_PAGE_SIZE": "3", "NEXUS_LD_BASE": "http://x/"}
    )
    assert settings.page_size == 7  # explicit beats environment
    assert settings.base == "http://x/"  # environment beats default
    assert load_settings(environ={}).base == "https://w3id.org/nexus-ld/"


def test_base_gets_a_trailing_slash():
    assert load_settings({"base": "http://example.org/nx"}, environ={}).base == "http://example.org/nx/"


def test_settings_file_is_read(tmp_path):
    file = tmp_path / "nexus.toml"
    file.write_text('query_timeout_s = 2.5\nbase = "http://h/"\n')
    settings = load_settings(file=file, environ={})
    assert settings.query_timeout_s == 2.5 and settings.base == "http://h/"


def test_unknown_and_ill_typed_settings_are_refused():
    with pytest.raises(SettingsError, match="unknown setting 'nope'"):
        load_settings({"nope": 1}, environ={})
    with pytest.raises(SettingsError, match="needs a int"):
        load_settings({"page_size": "many"}, environ={})


def test_every_setting_has_help_and_is_documented():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert setting.help.strip(), setting.name
        assert f"`{setting.name}`" in readme, f"README does not document setting {setting.name}"


@pytest.mark.parametrize("value", [1, "0", -3])
def test_keep_releases_below_two_is_refused_naming_the_setting(value):
    # One kept release would be removed by the next build while requests may still read it.
    with pytest.raises(SettingsError, match=r"setting 'keep_releases' must be at least 2, got -?\d"):
        load_settings({"keep_releases": value}, environ={})
    with pytest.raises(SettingsError, match="keep_releases"):
        load_settings(environ={"NEXUS_LD_KEEP_RELEASES": str(value)})
    assert load_settings({"keep_releases": "2"}, environ={}).keep_releases == 2


def test_the_cli_refuses_keep_releases_below_two_as_a_usage_error():
    result = CliRunner().invoke(main, ["--setting", "keep_releases", "1", "validate", "x.ttl"])
    assert result.exit_code == 2 and "setting 'keep_releases' must be at least 2, got 1" in result.output
