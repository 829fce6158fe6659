"""`nexus-ld nginx-config`: the front's configuration follows the settings, nginx accepts it, and
nothing a caller passes can add a directive to it."""

from __future__ import annotations

import subprocess

import pytest
from click.testing import CliRunner

from nexus_ld.cli import main
from tests.security.front_attack import need_nginx


def render(tmp_path, *options: str) -> str:
    result = CliRunner().invoke(main, [*options, "nginx-config", "--prefix", str(tmp_path)])
    assert result.exit_code == 0, result.output
    return result.output


def assert_nginx_accepts(tmp_path, text: str) -> None:
    """``nginx -t`` on ``text``, in ``tmp_path`` as its prefix."""
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    check = subprocess.run(
        [need_nginx(), "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0 and "test is successful" in check.stderr, check.stderr


@pytest.mark.live
def test_the_config_follows_the_settings_and_nginx_accepts_it(tmp_path):
    settings = ["--setting", "max_body_bytes", "123456", "--setting", "query_timeout_s", "20"]
    settings += ["--setting", "max_inflight_per_client", "3", "--setting", "rate_limit_per_minute", "90"]
    text = render(tmp_path, *settings)
    for line in (
        "client_max_body_size 123456;",
        "proxy_read_timeout 35s;",  # above query_timeout_s: the app's 503 arrives first
        "limit_conn nexus_ld_inflight 3;",
        "rate=90r/m;",
        "limit_req zone=nexus_ld_rate burst=90 nodelay;",
        "proxy_request_buffering on;",
        "client_header_timeout 10s;",
        "client_body_timeout 10s;",
        "server_tokens off;",
        "daemon off;",
        f"pid {tmp_path}/nginx.pid;",
        f"access_log {tmp_path}/access.log combined buffer=64k flush=1s;",  # a log line at most 1 s late
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "listen 127.0.0.1:8000;",
        "server 127.0.0.1:8001;",  # the upstream block: connections to gunicorn kept and reused
        "keepalive 16;",
        "keepalive_timeout 1s;",  # nginx closes an idle one before gunicorn's keep-alive (2 s) does
        "proxy_pass http://nexus_ld_app;",
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";',
    ):
        assert line in text, line
    assert_nginx_accepts(tmp_path, text)


def test_zero_turns_the_proxy_limits_off_as_in_the_app(tmp_path):
    text = render(
        tmp_path, "--setting", "max_inflight_per_client", "0", "--setting", "rate_limit_per_minute", "0"
    )
    assert "limit_conn " not in text and "limit_req " not in text


def test_addresses_and_folders_that_would_add_directives_are_refused(tmp_path):
    for option, value in (
        ("--listen", "127.0.0.1:80; include /etc/passwd"),
        ("--upstream", "127.0.0.1:8001;}"),
        ("--listen", "8000"),
        ("--prefix", str(tmp_path / "a b;c")),
    ):
        args = ["nginx-config", "--prefix", str(tmp_path), option, value]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (option, value, result.output)
        assert "Invalid value" in result.output and "include" not in result.output.split("Error:")[0]


@pytest.mark.live
def test_the_cache_is_off_unless_asked_and_nginx_accepts_it_on(tmp_path):
    assert "proxy_cache" not in render(tmp_path)
    cache = tmp_path / "cache"
    args = ["nginx-config", "--prefix", str(tmp_path), "--cache-dir", str(cache), "--cache-max-size", "200m"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    text = result.output
    for line in (
        f"proxy_cache_path {cache} levels=1:2 keys_zone=nexus_ld_cache:10m max_size=200m",
        "proxy_cache nexus_ld_cache;",
        'proxy_cache_key "$scheme$proxy_host$request_uri|$nexus_ld_negotiation";',
        'default "$http_accept|$http_accept_encoding";',  # left out of the key beyond 2 KB, and not stored
        "proxy_buffer_size 32k;",  # room for the key of a long GET query beside the headers
        "proxy_cache_methods GET HEAD;",
        "proxy_cache_revalidate on;",
        "proxy_cache_min_uses 2;",
        "proxy_cache_use_stale updating;",
        "proxy_cache_lock on;",
        "proxy_ignore_headers Cache-Control Expires;",  # for nginx's own lifetime only
        "proxy_cache_valid 200 303 1s;",
        "proxy_no_cache $nexus_ld_uncached $nexus_ld_unstorable $nexus_ld_long_negotiation;",
        # the inbox, review and forms never stored, whatever the app says (a second layer to its no-store)
        '"~^/(contributions|contribute|validate|compose)(/|$)" 1;',
        "add_header X-Cache-Status $upstream_cache_status always;",
    ):
        assert line in text, line
    assert_nginx_accepts(tmp_path, text)
    for option, value in (("--cache-dir", str(tmp_path / "a;b")), ("--cache-max-size", "1g; include x")):
        result = CliRunner().invoke(main, ["nginx-config", "--prefix", str(tmp_path), option, value])
        assert result.exit_code == 2 and "Invalid value" in result.output, (option, result.output)
