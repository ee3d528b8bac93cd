"""scripts/dev-watch rebuilds and restarts on a source change, waits out a failed build,
and stops the service with itself. `swift` is replaced by a stand-in whose "build"
copies APP_BIN (a real compile here would take minutes); inotifywait and the app are real."""

import os
import shutil
import signal
import subprocess

import pytest
import requests

from conftest import REPO, free_port, pid_alive, require_tool, wait_for

STAND_IN_SWIFT = """#!/bin/sh
# swift build: copies the app binary unless a source says BROKEN; --show-bin-path: where.
case "$*" in
  *--show-bin-path*) echo "$PWD/.build/debug" ;;
  build*)
    echo build >> builds.log
    if grep -rq BROKEN Sources; then echo "error: does not compile" >&2; exit 1; fi
    mkdir -p .build/debug && cp "$APP_BIN" .build/debug/ai-agent-backend ;;
esac
"""


def start_time(base_url: str):
    """The serving process's start time from /metrics, or None while nothing answers."""
    try:
        text = requests.get(base_url + "/metrics", timeout=2).text
    except requests.ConnectionError:
        return None
    return next(line.split()[1] for line in text.splitlines() if line.startswith("process_start_time_seconds "))


def test_rebuilds_and_restarts_on_change(app_bin, tmp_path):
    require_tool("inotifywait")
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "Sources/App").mkdir(parents=True)
    shutil.copy(REPO / "scripts/dev-watch", project / "scripts/dev-watch")
    (project / "Package.swift").write_text("// swift-tools-version:6.0\n")
    source = project / "Sources/App/main.swift"
    source.write_text("let answer = 1\n")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "swift").write_text(STAND_IN_SWIFT)
    (tools / "swift").chmod(0o755)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"PATH": f"{tools}:{os.environ['PATH']}", "HOME": str(tmp_path), "APP_BIN": app_bin,
           "PORT": str(port), "DATABASE_URL": "sqlite:///./dev.db", "REDIS_ENABLED": "false", "LOG_LEVEL": "WARNING"}
    with (tmp_path / "dev-watch.log").open("wb") as log:
        watcher = subprocess.Popen(["scripts/dev-watch"], cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        first = wait_for("the first build serves", lambda: start_time(base))

        source.write_text("let answer = 2\n")
        second = wait_for("a restart after the change", lambda: (t := start_time(base)) and t != first and t)
        assert (project / "builds.log").read_text().count("build") == 2

        source.write_text("BROKEN\n")
        wait_for("the service stops while the build fails",
                 lambda: (project / "builds.log").read_text().count("build") == 3 and start_time(base) is None)

        source.write_text("let answer = 3\n")
        third = wait_for("the service back after the fix", lambda: start_time(base))
        assert third not in (first, second)
    finally:
        watcher.send_signal(signal.SIGTERM)
        watcher.wait(timeout=30)
    assert watcher.returncode == 0, (tmp_path / "dev-watch.log").read_text()
    # Nothing outlives the watcher: no app answering, no inotifywait left.
    assert start_time(base) is None
    leftovers = [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
                 if pid_alive(pid) and str(project) in _cwd(pid)]
    assert not leftovers, f"processes left in {project}: {leftovers}"


def _cwd(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""
