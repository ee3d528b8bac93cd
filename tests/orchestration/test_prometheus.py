"""monitoring/prometheus.yml and monitoring/alerts.yml, checked by promtool."""

import subprocess

import yaml

from conftest import REPO, require_tool

ALERTS = {"AppDown", "HighErrorRatio", "HighLatencyP99", "CacheOnMemoryFallback", "DatabaseCheckFailing"}


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([require_tool("promtool"), *args], cwd=REPO, capture_output=True, text=True, timeout=60)


def test_config_is_valid():
    # rule_files resolve next to the config, so the file is checked where it is.
    result = promtool("check", "config", "monitoring/prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_scrapes_the_app_and_itself():
    config = yaml.safe_load((REPO / "monitoring/prometheus.yml").read_text())
    assert config["global"]["scrape_interval"] == "15s"
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    app = jobs["ai-agent-backend"]
    assert app.get("metrics_path", "/metrics") == "/metrics"
    assert app["static_configs"][0]["targets"] == ["app:8000"]
    assert jobs["prometheus"]["static_configs"][0]["targets"] == ["localhost:9090"]


def test_rules_are_valid():
    result = promtool("check", "rules", "monitoring/alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    rules = yaml.safe_load((REPO / "monitoring/alerts.yml").read_text())
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    assert names == ALERTS


def test_each_alert_fires_on_its_condition_only():
    result = promtool("test", "rules", "tests/orchestration/alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
