import pytest

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
