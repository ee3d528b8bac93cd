"""Grafana provisioning and dashboards: the JSON parses, the data source is the
provisioned one, and every metric a panel or an alert asks for is one the app exports."""

import requests
import yaml

from conftest import REPO
from promql import alert_queries, dashboard_queries, dashboards, exported_names, family, metric_names, panels

# Metrics of features still being built; the dashboards and alerts use them already.
# Remove a name once the app exports it (the last test fails while a landed name stays here).
PENDING_METRICS = {
    # Redis client metrics appear once a command went to Redis; the app here runs on the memory cache.
    "redis_command_duration_seconds", "redis_errors_total",
    # LLM providers
    "llm_requests_total", "llm_tokens_total", "llm_request_duration_seconds", "llm_time_to_first_token_seconds", "llm_cost_usd_total",
}
# Series Prometheus makes itself for every target.
PROMETHEUS_SERIES = {"up"}


def test_provisioning():
    datasources = yaml.safe_load((REPO / "monitoring/grafana/provisioning/datasources/prometheus.yml").read_text())
    (source,) = datasources["datasources"]
    assert (source["type"], source["uid"], source["url"]) == ("prometheus", "prometheus", "http://prometheus:9090")
    providers = yaml.safe_load((REPO / "monitoring/grafana/provisioning/dashboards/dashboards.yml").read_text())
    (provider,) = providers["providers"]
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    mounts = dict(v.split(":")[:2] for v in compose["services"]["grafana"]["volumes"] if v.startswith("./"))
    assert mounts["./monitoring/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./monitoring/grafana/provisioning"] == "/etc/grafana/provisioning"


def test_dashboards_parse_and_use_the_provisioned_data_source():
    found = dashboards()
    assert found, "no dashboard in monitoring/grafana/dashboards"
    uids = [d["uid"] for d in found.values()]
    assert len(uids) == len(set(uids))
    for path, dashboard in found.items():
        for panel in panels(dashboard):
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == "prometheus", f"{path.name}: {panel['title']}"
            assert panel.get("targets"), f"{path.name}: {panel['title']} has no query"


def test_dashboards_cover_the_service():
    titles = " / ".join(p["title"].lower() for d in dashboards().values() for p in panels(d))
    for topic in ("request rate", "5xx ratio", "latency", "status code", "cache hit ratio", "cache backend",
                  "pool", "memory", "cpu", "tokens", "cost", "time to first token"):
        assert topic in titles, f"no panel about {topic}"


def used_metrics() -> dict[str, list[str]]:
    used: dict[str, list[str]] = {}
    queries = [(f"{path.name} {where}", expr) for path, d in dashboards().items() for where, expr in dashboard_queries(d)]
    for where, expr in queries + alert_queries():
        for name in metric_names(expr):
            used.setdefault(name, []).append(where)
    return used


def app_metrics(app) -> set[str]:
    """/metrics after some traffic: probes, an API list, a missing row, an unknown path."""
    for path in ("/health", "/health/live", "/api/v1/system/settings", "/api/v1/system/settings/no-such-key", "/no-such-page"):
        requests.get(app.base_url + path, headers={"X-Request-ID": "dashboard-test"}, timeout=10)
    response = requests.get(app.base_url + "/metrics", timeout=10)
    assert response.status_code == 200
    return exported_names(response.text)


def test_every_queried_metric_is_exported(sqlite_app):
    exported = app_metrics(sqlite_app)
    missing = {name: where for name, where in used_metrics().items()
               if name not in exported and family(name) not in PENDING_METRICS and name not in PROMETHEUS_SERIES}
    assert not missing, f"queries name metrics the app does not export: {missing}"


def test_pending_list_only_holds_what_is_still_missing(sqlite_app):
    exported = {family(name) for name in app_metrics(sqlite_app)}
    landed = PENDING_METRICS & exported
    assert not landed, f"the app exports {sorted(landed)} now: remove them from PENDING_METRICS"
    used = {family(name) for name in used_metrics()}
    assert PENDING_METRICS <= used, f"pending metrics no query uses: {sorted(PENDING_METRICS - used)}"
