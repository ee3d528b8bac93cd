"""docker-compose.yml and docker-compose.dev.yml: valid for Debian's docker-compose,
secrets only from the environment, mounts that exist, settings the app knows."""

import re
import shlex
import subprocess

import pytest
import yaml

from conftest import COMPOSE_MARKER, REPO, known_settings, require_tool

PRODUCTION = "docker-compose.yml"
DEVELOPMENT = "docker-compose.dev.yml"
REQUIRED_SECRETS = {
    "POSTGRES_PASSWORD": "pg-test-password",
    "REDIS_PASSWORD": "redis-test-password",
    "SECRET_KEY": "s" * 48,
    "GRAFANA_ADMIN_PASSWORD": "grafana-test-password",
}
# Folders the app creates at run time (gitignored), mounted by the production compose file.
RUNTIME_FOLDERS = {"./logs", "./uploads"}


def compose_config(file: str, tmp_path, variables: dict[str, str]) -> subprocess.CompletedProcess:
    """`docker-compose config` with exactly `variables`: a throwaway env file replaces any
    .env of the repo, and the caller's environment is left out."""
    require_tool("docker-compose")
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in variables.items()))
    return subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", file, "config"],
        cwd=REPO, capture_output=True, text=True, env={"PATH": "/usr/local/bin:/usr/bin:/bin"}, timeout=60,
    )


def resolved(file: str, tmp_path, variables: dict[str, str]) -> dict:
    result = compose_config(file, tmp_path, variables)
    assert result.returncode == 0, f"docker-compose -f {file} config failed:\n{result.stderr}"
    return yaml.safe_load(result.stdout)


def raw(file: str) -> dict:
    return yaml.safe_load((REPO / file).read_text())


def environment_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def command_args(service: dict) -> list[str]:
    """A string command is split the way compose splits it."""
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else command


def test_production_stack(tmp_path):
    config = resolved(PRODUCTION, tmp_path, REQUIRED_SECRETS)
    services = config["services"]
    assert set(services) == {"app", "db", "redis", "nginx", "prometheus", "grafana"}

    app = services["app"]
    # Replicas need compose's own names: a fixed container_name would forbid a second one.
    assert "container_name" not in app
    assert app["deploy"]["replicas"] == 1
    assert app["build"]["dockerfile"] == "Dockerfile"
    assert app["restart"] == "unless-stopped"
    assert any(str(p.get("target")) == "8000" and str(p.get("published")) == "8000" for p in app["ports"])
    env = environment_of(app)
    assert env["ENVIRONMENT"] == "production"
    assert env["HOST"] == "0.0.0.0"
    assert env["DATABASE_URL"] == "postgresql://postgres:pg-test-password@db:5432/ai_agent_db"
    assert env["REDIS_URL"] == "redis://:redis-test-password@redis:6379/0"
    assert env["SECRET_KEY"] == "s" * 48
    assert {v.split(":")[1] for v in app["volumes"]} >= {"/app/logs", "/app/uploads"}
    assert app["depends_on"] == {"db": {"condition": "service_healthy"}, "redis": {"condition": "service_healthy"}}
    health = app["healthcheck"]
    assert "/health" in " ".join(health["test"])
    assert (health["interval"], health["timeout"], health["retries"], health["start_period"]) == ("30s", "10s", 3, "40s")

    db = services["db"]
    assert (db["image"], db["container_name"]) == ("pgvector/pgvector:pg15", "ai-agent-db")
    db_env = environment_of(db)
    assert db_env["POSTGRES_DB"] == "ai_agent_db"
    assert db_env["POSTGRES_PASSWORD"] == "pg-test-password"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert "postgres_data:/var/lib/postgresql/data" in " ".join(db["volumes"])

    redis = services["redis"]
    assert (redis["image"], redis["container_name"]) == ("redis:7-alpine", "ai-agent-redis")
    command = " ".join(command_args(redis))
    assert "--appendonly yes" in command and "--requirepass redis-test-password" in command
    # The health check authenticates: redis-cli takes the password from REDISCLI_AUTH.
    assert environment_of(redis).get("REDISCLI_AUTH") == "redis-test-password"
    assert "redis-cli" in " ".join(redis["healthcheck"]["test"])
    assert "redis_data:/data" in " ".join(redis["volumes"])

    assert "prometheus_data:/prometheus" in " ".join(services["prometheus"]["volumes"])
    grafana = services["grafana"]
    assert "grafana_data:/var/lib/grafana" in " ".join(grafana["volumes"])
    assert environment_of(grafana)["GF_SECURITY_ADMIN_PASSWORD"] == "grafana-test-password"

    assert config["networks"]["ai-agent-network"]["driver"] == "bridge"
    assert set(config["volumes"]) == {"postgres_data", "redis_data", "prometheus_data", "grafana_data"}
    for name, service in services.items():
        assert "ai-agent-network" in service["networks"], f"{name} is not on ai-agent-network"


def test_replicas_behind_nginx(tmp_path):
    config = resolved(PRODUCTION, tmp_path, {**REQUIRED_SECRETS, "APP_REPLICAS": "3", "APP_PORTS": "8000-8002"})
    app = config["services"]["app"]
    assert app["deploy"]["replicas"] == 3
    assert any(str(p.get("published")) == "8000-8002" for p in app["ports"])
    # nginx balances over every address of `app`, and skips a replica that is gone.
    nginx = (REPO / "nginx/nginx.conf").read_text()
    upstream = nginx.split("upstream ai_agent_backend {")[1].split("}")[0]
    assert "least_conn;" in upstream and "server app:8000" in upstream


@pytest.mark.parametrize("missing", sorted(REQUIRED_SECRETS))
def test_production_refuses_a_missing_secret(tmp_path, missing):
    variables = {k: v for k, v in REQUIRED_SECRETS.items() if k != missing}
    result = compose_config(PRODUCTION, tmp_path, variables)
    assert result.returncode != 0, f"compose accepted the stack without {missing}"
    assert missing in result.stderr


def test_development_stack(tmp_path):
    config = resolved(DEVELOPMENT, tmp_path, {})
    services = config["services"]
    assert set(services) == {"app", "redis", "adminer"}
    app = services["app"]
    assert app["build"]["dockerfile"] == "Dockerfile.dev"
    env = environment_of(app)
    assert env["ENVIRONMENT"] == "development"
    assert env["DATABASE_URL"] == "sqlite:///./ai_agent_dev.db"
    assert env["LOG_LEVEL"] == "DEBUG"
    assert any(v.endswith(":/app") or ":/app:" in v for v in app["volumes"]), "the source is not mounted at /app"
    assert app["command"] == ["scripts/dev-watch"]
    assert list(app["depends_on"]) == ["redis"]
    redis_command = " ".join(command_args(services["redis"]))
    assert "requirepass" not in redis_command and "--appendonly no" in redis_command


@pytest.mark.parametrize("file", [PRODUCTION, DEVELOPMENT])
def test_every_mounted_path_exists(file):
    for name, service in raw(file)["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")) or source in RUNTIME_FOLDERS:
                continue
            assert (REPO / source).exists(), f"{file}: {name} mounts {source}, which is not in the repo"
        build = service.get("build")
        if build:
            assert (REPO / build["context"] / build.get("dockerfile", "Dockerfile")).is_file()
    for folder in RUNTIME_FOLDERS:
        assert folder.lstrip("./") + "/" in (REPO / ".gitignore").read_text().splitlines(), f"{folder} is not gitignored"


@pytest.mark.parametrize("file", [PRODUCTION, DEVELOPMENT])
def test_app_gets_only_known_settings(file, tmp_path):
    config = resolved(file, tmp_path, REQUIRED_SECRETS)
    unknown = set(environment_of(config["services"]["app"])) - known_settings()
    assert not unknown, f"{file} gives the app variables it does not read: {sorted(unknown)}"


@pytest.mark.parametrize("file", [PRODUCTION, DEVELOPMENT])
def test_no_secret_is_written_in_a_compose_file(file):
    text = (REPO / file).read_text()
    for key, value in re.findall(r"^\s*-?\s*([A-Z_]*(?:PASSWORD|SECRET|_KEY|_AUTH)[A-Z_]*)\s*[:=]\s*(.*)$", text, re.MULTILINE):
        assert value.strip().strip("'\"").startswith("${"), f"{file}: {key} has a literal value"
    for userinfo in re.findall(r"://((?:\$\{[^}]*\}|[^\s@/])*)@", text):
        literal = re.sub(r"\$\{[^}]*\}", "", userinfo)
        assert literal.partition(":")[2] == "", f"{file}: a password is written in a URL ({userinfo}@)"


def test_env_example_documents_every_compose_variable():
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (REPO / ".env.example").read_text(), re.MULTILINE))
    referenced = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (REPO / PRODUCTION).read_text()))
    assert referenced - documented == set(), f"variables used by {PRODUCTION} but missing from .env.example"
    compose_part = (REPO / ".env.example").read_text().split(COMPOSE_MARKER)[1]
    for name, value in re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", compose_part, re.MULTILINE):
        if "PASSWORD" in name or "SECRET" in name:
            assert value == "", f".env.example gives {name} a value; secrets are left empty"
