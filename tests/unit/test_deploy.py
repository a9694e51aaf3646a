"""The deploy example: docker-compose.yml, its nginx config (checked by Debian's nginx) and the
systemd unit. No Docker engine runs here: the compose file is checked as YAML."""

import configparser
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.__main__ import EXIT_CONFIG_ERROR
from bot.config import DEFAULT_DATABASE_URL
from bot.hooks import MAX_BODY_BYTES
from tests.postgres import postgres_required as required_in_ci

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
UNIT = ROOT / "deploy" / "kpi-bot.service"
NGINX = "/usr/sbin/nginx"
BOTS = ("bot1", "bot2")
WEBHOOK_PATH = "/telegram/webhook"


def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def tool(path: str, package: str) -> str:
    """The tool's path; a skip locally, a failure in CI, when it is not installed."""
    found = shutil.which(path) or (path if Path(path).is_file() else None)
    if found is None:
        reason = f"{path} is not installed (apt-get install {package})"
        if required_in_ci():
            pytest.fail(f"CI needs it: {reason}")
        pytest.skip(reason)
    return found


def test_compose_runs_two_webhook_instances_on_postgres_and_redis_behind_nginx() -> None:
    services = compose()["services"]
    assert {*BOTS, "postgres", "redis", "nginx"} <= set(services)
    for name in BOTS:
        bot = services[name]
        assert (ROOT / bot["build"] / "Dockerfile").is_file()
        env = bot["environment"]
        assert env["MODE"] == "webhook"
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert (env["WEB_HOST"], env["WEB_PORT"]) == ("0.0.0.0", "8080")
        assert bot["env_file"] == ".env"  # BOT_TOKEN, PUBLIC_URL, WEBHOOK_SECRET
        assert set(bot["depends_on"]) == {"postgres", "redis"}
    mounts = dict(volume.split(":")[:2] for volume in services["nginx"]["volumes"])
    assert mounts["./deploy/nginx.conf"] == "/etc/nginx/nginx.conf"
    assert (ROOT / "deploy" / "nginx.conf").is_file()
    assert services["nginx"]["ports"] == ["443:443"]


def test_nginx_sends_the_webhook_to_both_instances() -> None:
    text = NGINX_CONF.read_text()
    upstream = re.search(r"upstream kpi_bot \{(.*?)\}", text, re.DOTALL)
    assert upstream is not None
    servers = re.findall(r"^\s*server\s+(\S+)", upstream.group(1), re.MULTILINE)
    assert servers == [f"{name}:8080" for name in BOTS]
    assert f"location = {WEBHOOK_PATH} {{" in text


def test_nginx_passes_crm_deliveries_up_to_the_bots_own_size_limit() -> None:
    hooks = re.search(r"location /hooks/ \{(.*?)\}", NGINX_CONF.read_text(), re.DOTALL)
    assert hooks is not None, "every CRM delivery would get nginx's 404"
    assert "proxy_pass http://kpi_bot;" in hooks.group(1)
    size = re.search(r"client_max_body_size (\d+)k;", hooks.group(1))
    assert size is not None and int(size.group(1)) * 1024 == MAX_BODY_BYTES


def test_nginx_accepts_its_config(tmp_path: Path) -> None:
    nginx = tool(NGINX, "nginx")
    openssl = tool("openssl", "openssl")
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=bot.example.com",
         "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    # As written, except the compose services' names, which resolve only on compose's network.
    text = NGINX_CONF.read_text()
    for name in BOTS:
        text = text.replace(f"server {name}:", "server 127.0.0.1:")
    config = tmp_path / "nginx.conf"
    config.write_text(text)
    result = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-e", "stderr", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_systemd_unit_runs_the_bot_on_sqlite() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNIT)
    service = parser["Service"]
    folder = service["WorkingDirectory"]
    assert service["ExecStart"] == f"{folder}/.venv/bin/python -m bot"
    assert service["EnvironmentFile"] == f"{folder}/.env"
    # The default database (data/kpi.db, relative to the working directory) is writable.
    assert DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///data/kpi.db"
    assert service["ReadWritePaths"] == f"{folder}/data"
    assert service["RestartPreventExitStatus"] == str(EXIT_CONFIG_ERROR)
    assert service["KillSignal"] == "SIGTERM"
    assert parser["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_accepts_the_unit() -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    result = subprocess.run(
        [analyze, "verify", str(UNIT)], capture_output=True, text=True, timeout=60
    )
    # The one complaint expected on a machine where the bot is not installed in /opt/kpi-bot.
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "/opt/kpi-bot/.venv/bin/python is not executable" not in line
    ]
    assert problems == []
