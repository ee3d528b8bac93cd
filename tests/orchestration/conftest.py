"""Shared helpers of the orchestration tests: the repo, the app binary (APP_BIN), tools,
free ports, the settings the app knows, and the app running on SQLite."""

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
COMPOSE_MARKER = "# --- docker compose ---"


def require_tool(name: str) -> str:
    """A missing tool fails the test: scripts/test installs every one (scripts/lib/deps.sh)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; scripts/test installs it (ensure_deps in scripts/lib/deps.sh)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def known_settings() -> set[str]:
    """The app's settings: the `NAME=` lines of .env.example above the compose section."""
    text = (REPO / ".env.example").read_text()
    if COMPOSE_MARKER not in text:
        pytest.fail(f".env.example has no line {COMPOSE_MARKER!r} separating the app settings from compose's")
    app_part = text.split(COMPOSE_MARKER)[0]
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", app_part, re.MULTILINE))
    if not names:
        pytest.fail(".env.example lists no app settings above the compose section")
    return names


def run_lib(script: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs bash with scripts/lib/*.sh sourced, as scripts/stack does."""
    prelude = "".join(f"source {REPO}/scripts/lib/{name}.sh\n" for name in ("wait", "postgres", "redis", "prometheus", "nginx"))
    return subprocess.run(["bash", "-c", prelude + script], capture_output=True, text=True, timeout=timeout)


def wait_for(what: str, check, timeout: float = 60):
    """Polls `check` until it answers something truthy, which it returns: a bounded wait for a
    server to reach a state, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout:.0f} s")


def pid_alive(pid: int) -> bool:
    """Running and not a zombie: an exited daemon may wait a moment for its reaper."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def descendants(pids: set[int]) -> set[int]:
    """The processes `pids` started (PostgreSQL's backends, nginx's workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


@pytest.fixture(scope="session")
def app_bin() -> str:
    path = os.environ.get("APP_BIN")
    if not path:
        pytest.fail("APP_BIN is not set: run scripts/test, or export APP_BIN=/path/to/ai-agent-backend")
    if not os.access(path, os.X_OK):
        pytest.fail(f"APP_BIN={path} is not an executable file")
    return str(Path(path).resolve())


class RunningApp:
    def __init__(self, process: subprocess.Popen, base_url: str, log: Path):
        self.process = process
        self.base_url = base_url
        self.log = log

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_app(app_bin: str, workdir: Path, settings: dict[str, str]) -> RunningApp:
    """`ai-agent-backend serve` in `workdir` with only `settings` (no .env of the repo),
    waited for until /health/live answers."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(workdir), "HOST": "127.0.0.1", "PORT": str(port)}
    env.update(settings)
    log = workdir / "app.out"
    with log.open("ab") as out:
        process = subprocess.Popen([app_bin, "serve"], cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    app = RunningApp(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app exited with status {process.returncode}:\n{app.log_tail()}")
        try:
            if requests.get(app.base_url + "/health/live", timeout=2).status_code == 200:
                return app
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    app.stop()
    pytest.fail(f"the app did not answer /health/live within 60 s:\n{app.log_tail()}")


@pytest.fixture(scope="session")
def sqlite_app(app_bin, tmp_path_factory):
    """The real app in development mode on SQLite, its cache in memory."""
    workdir = tmp_path_factory.mktemp("sqlite-app")
    app = start_app(app_bin, workdir, {
        "ENVIRONMENT": "development",
        "DATABASE_URL": "sqlite:///./app.db",
        "REDIS_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    })
    yield app
    app.stop()
