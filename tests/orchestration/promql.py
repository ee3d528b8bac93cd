"""Metric names used by PromQL expressions, and those of the app's /metrics text."""

import json
import re
from pathlib import Path

import yaml

from conftest import REPO

KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atan2"}
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h", "$instance": ".*", "$route": ".*"}


def substitute(expr: str) -> str:
    """A Grafana query as Prometheus receives it (all instances, all routes)."""
    for name, value in sorted(GRAFANA_VARIABLES.items(), key=lambda item: -len(item[0])):
        expr = expr.replace(name, value)
    return expr


def metric_names(expr: str) -> set[str]:
    expr = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', "", expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        following = expr[match.end():].lstrip()
        if following.startswith("("):
            continue  # a function or an aggregation
        if match.group() in KEYWORDS or re.fullmatch(r"\d+[smhdwy]", match.group()):
            continue
        names.add(match.group())
    return names


def dashboards() -> dict[Path, dict]:
    return {path: json.loads(path.read_text()) for path in sorted((REPO / "monitoring/grafana/dashboards").glob("*.json"))}


def panels(dashboard: dict):
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_queries(dashboard: dict) -> list[tuple[str, str]]:
    """(where, expression) of every panel target and templating variable."""
    queries = []
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            if target.get("expr"):
                queries.append((f"panel {panel.get('title')!r}", target["expr"]))
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        if variable.get("type") == "query" and query:
            match = re.fullmatch(r"\s*label_values\((.*),\s*[a-zA-Z_]\w*\)\s*", query)
            queries.append((f"variable {variable['name']!r}", match.group(1) if match else query))
    return queries


def alert_queries() -> list[tuple[str, str]]:
    rules = yaml.safe_load((REPO / "monitoring/alerts.yml").read_text())
    return [(f"alert {rule['alert']}", rule["expr"]) for group in rules["groups"] for rule in group["rules"]]


def exported_names(metrics_text: str) -> set[str]:
    """Sample names and family names of a Prometheus text exposition."""
    names = set()
    for line in metrics_text.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group())
    return names


def family(name: str) -> str:
    return re.sub(r"_(bucket|sum|count)$", "", name)
