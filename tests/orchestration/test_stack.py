"""scripts/stack: the production stack started natively comes up healthy, Prometheus
scrapes the app, nginx proxies to it, and `down` leaves no process behind."""

import os
import socket
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import REPO, descendants, free_port, pid_alive, require_tool, wait_for
from promql import dashboard_queries, dashboards, substitute

SERVICES = ("postgres", "redis", "app", "prometheus", "nginx")


def stack(command: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "scripts/stack"), command], env=env, capture_output=True, text=True, timeout=timeout)


def prometheus_query(base: str, query: str) -> dict:
    response = requests.get(base + "/api/v1/query", params={"query": query}, timeout=10)
    assert response.status_code == 200, f"{query}: {response.text}"
    return response.json()["data"]


@pytest.fixture(scope="module")
def running_stack(app_bin, tmp_path_factory):
    for tool in ("redis-server", "redis-cli", "prometheus", "promtool", "nginx", "curl"):
        require_tool(tool)
    if not Path("/usr/lib/postgresql/15/bin/postgres").exists():
        pytest.fail("PostgreSQL 15 is not installed; scripts/test installs it (ensure_deps)")
    state = tmp_path_factory.mktemp("stack")
    ports = {name: free_port() for name in ("APP_PORT", "PG_PORT", "REDIS_PORT", "PROMETHEUS_PORT", "NGINX_PORT")}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(state), "STACK_DIR": str(state / "stack"),
           "APP_BIN": app_bin, "SCRAPE_INTERVAL": "1s", **{k: str(v) for k, v in ports.items()}}
    up = stack("up", env)
    try:
        pids = {}
        for name in SERVICES:
            pid_file = {"postgres": "postgres/data/postmaster.pid", "redis": "redis/redis.pid", "app": "app/app.pid",
                        "prometheus": "prometheus/prometheus.pid", "nginx": "nginx/nginx.pid"}[name]
            path = state / "stack" / pid_file
            if path.exists():
                pids[name] = int(path.read_text().split()[0])
        yield {"up": up, "env": env, "ports": ports, "pids": pids, "state": state / "stack"}
    finally:
        started = descendants(set(pids.values()))
        down = stack("down", env)
        assert down.returncode == 0, down.stdout + down.stderr
        left = {pid for pid in started if pid_alive(pid)}
        assert not left, f"processes left after `scripts/stack down`: {sorted(left)}"


def test_up_reports_every_service_healthy(running_stack):
    up = running_stack["up"]
    assert up.returncode == 0, up.stdout + up.stderr
    assert "all services healthy in" in up.stdout
    assert set(running_stack["pids"]) == set(SERVICES)
    status = stack("status", running_stack["env"])
    assert status.returncode == 0, status.stdout
    for name in SERVICES:
        assert any(line.split()[:4] == [name, str(running_stack["pids"][name]), "running", "ok"]
                   for line in status.stdout.splitlines()), status.stdout


def test_app_runs_in_production_on_postgres_and_redis(running_stack):
    base = f"http://127.0.0.1:{running_stack['ports']['APP_PORT']}"
    health = requests.get(base + "/health", timeout=10).json()
    assert health["status"] == "healthy"
    assert health["environment"] == "production"
    assert health["checks"]["database"]["status"] == "up"
    # The cache check arrives with the cache feature; once /health reports it, it must be on Redis.
    if "cache" in health["checks"]:
        cache = health["checks"]["cache"]
        assert (cache["backend"], cache["status"]) == ("redis", "up")
    secret = (running_stack["state"] / "stack.env").read_text()
    assert "SECRET_KEY=" in secret and len(secret.split("SECRET_KEY=")[1].split()[0]) == 48


def test_prometheus_scrapes_the_app(running_stack):
    base = f"http://127.0.0.1:{running_stack['ports']['PROMETHEUS_PORT']}"
    app = f"127.0.0.1:{running_stack['ports']['APP_PORT']}"
    wait_for("Prometheus reports the app target up", lambda: any(
        r["metric"]["instance"] == app and r["value"][1] == "1"
        for r in prometheus_query(base, 'up{job="ai-agent-backend"}')["result"]))
    wait_for("Prometheus holds http_requests_total samples", lambda: prometheus_query(
        base, f'http_requests_total{{job="ai-agent-backend", instance="{app}"}}')["result"])
    rules = requests.get(base + "/api/v1/rules", timeout=10).json()["data"]["groups"]
    assert {r["name"] for g in rules for r in g["rules"]} >= {"AppDown", "DatabaseCheckFailing"}


def test_every_dashboard_query_is_valid_promql(running_stack):
    base = f"http://127.0.0.1:{running_stack['ports']['PROMETHEUS_PORT']}"
    for path, dashboard in dashboards().items():
        for where, expr in dashboard_queries(dashboard):
            response = requests.get(base + "/api/v1/query", params={"query": substitute(expr)}, timeout=10)
            assert response.status_code == 200, f"{path.name} {where}: {response.json().get('error')}"


def test_nginx_forwards_to_the_app_with_the_request_id(running_stack):
    base = f"http://127.0.0.1:{running_stack['ports']['NGINX_PORT']}"
    response = requests.get(base + "/health", headers={"X-Request-ID": "stack-test-1"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "stack-test-1"
    assert response.json()["checks"]["database"]["status"] == "up"


def test_a_failed_start_stops_what_it_started(tmp_path):
    """An app that exits at once: `up` fails, names it, and leaves nothing running."""
    state = tmp_path / "stack"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "STACK_DIR": str(state),
           "APP_BIN": "/bin/false",
           **{name: str(free_port()) for name in ("APP_PORT", "PG_PORT", "REDIS_PORT", "PROMETHEUS_PORT", "NGINX_PORT")}}
    result = stack("up", env)
    assert result.returncode == 1
    assert "app did not become healthy" in result.stderr
    pid_files = [state / "postgres/data/postmaster.pid", state / "redis/redis.pid", state / "app/app.pid",
                 state / "prometheus/prometheus.pid"]
    started = [int(path.read_text().split()[0]) for path in pid_files if path.exists()]
    assert started, result.stderr
    assert not [pid for pid in started if pid_alive(pid)]
    # PostgreSQL and Redis delete their PID files when they stop: their ports tell instead.
    for name in ("PG_PORT", "REDIS_PORT", "PROMETHEUS_PORT"):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", int(env[name]))) != 0, f"something still listens on {name}"
