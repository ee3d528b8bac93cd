"""The native stack of scripts/stack with two app replicas behind nginx, PostgreSQL, Redis and
Prometheus, each on a free port under a private STACK_DIR, for the fault tests. Helpers stop
and start its services, load it through nginx with threads, and tell which replica holds a
connection. Every test has its own time limit (TEST_TIMEOUT_SECONDS or a `timeout` mark)."""

import http.client
import http.server
import importlib.util
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


orchestration = _load("orchestration_conftest", HERE.parent / "orchestration" / "conftest.py")
fake_openai = _load("fake_openai", HERE.parent / "support" / "fake_openai.py")

REPO = orchestration.REPO
app_bin = orchestration.app_bin
ADMIN_PASSWORD = "fault-tests-admin-password"
TEST_TIMEOUT_SECONDS = 60
# Short enough that a run whose replica was killed is taken over within the test.
JOB_LEASE_SECONDS = 3


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout(seconds): this test's time limit instead of the default")
    config.addinivalue_line("markers", "after_others: run after the other tests of the folder")


def pytest_collection_modifyitems(items):
    # Stable: the marked tests move to the end, the others keep their order.
    items.sort(key=lambda item: item.get_closest_marker("after_others") is not None)


class TimeLimitExceeded(Exception):
    pass


@pytest.fixture(autouse=True)
def time_limit(request):
    """Fails a test that runs past its limit, so that a hang cannot stall the suite."""
    marker = request.node.get_closest_marker("timeout")
    seconds = marker.args[0] if marker else TEST_TIMEOUT_SECONDS

    def expire(*_):
        raise TimeLimitExceeded(f"{request.node.name} ran past its {seconds} s limit")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def wait_for(what: str, check, timeout: float = 30, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"{what}: not within {timeout:.0f} s")


class Client:
    """JSON over one kept-alive http.client connection to 127.0.0.1:port; a new connection
    after any connection error. Not for sharing between threads."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 30):
        self.port, self.token, self.timeout = port, token, timeout
        self.connection = None

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        try:
            self.connection.request(method, path, body=None if body is None else json.dumps(body), headers=all_headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, data

    def call(self, method: str, path: str, body=None, expect=(200, 201, 202, 204)):
        status, data = self.request(method, path, body)
        assert status in expect, f"{method} {path} on port {self.port}: {status} {data[:500]!r}"
        return json.loads(data) if data else None

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def error_code(data: bytes) -> str | None:
    try:
        return json.loads(data)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


class Stack:
    """`scripts/stack up --replicas 2` in a private folder, and what the tests do to it."""

    def __init__(self, app_bin: str, state: Path):
        self.state = state
        ports = {name: orchestration.free_port() for name in ("PG_PORT", "REDIS_PORT", "PROMETHEUS_PORT", "NGINX_PORT")}
        # The replicas take APP_PORT and APP_PORT+1: two ports found free side by side.
        ports["APP_PORT"] = self.free_port_pair()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(state), "STACK_DIR": str(state / "stack"),
            "APP_BIN": app_bin, "ADMIN_PASSWORD": ADMIN_PASSWORD, "SCRAPE_INTERVAL": "5s",
            # The app's own settings for these tests (scripts/stack passes STACK_APP_*).
            "STACK_APP_JOB_LEASE_SECONDS": str(JOB_LEASE_SECONDS),
            "STACK_APP_JOB_POLL_INTERVAL_MS": "200",
            "STACK_APP_WORKER_CONCURRENCY": "2",
            "STACK_APP_TESTING_ALLOWED_HOSTS": "127.0.0.1",
            "STACK_APP_LOGIN_MAX_ATTEMPTS": "5",
            **{name: str(port) for name, port in ports.items()},
        }
        self.nginx_port = ports["NGINX_PORT"]
        self.replica_ports = [ports["APP_PORT"], ports["APP_PORT"] + 1]
        self.folders = [self.dir / "app", self.dir / "app-2"]
        self._token = None
        # Why the stack could not be brought back after a test: the tests after it fail at once.
        self.broken = None

    @staticmethod
    def free_port_pair() -> int:
        for _ in range(50):
            port = orchestration.free_port()
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + 1))
                    return port
                except OSError:
                    continue
        pytest.fail("no two free ports side by side")

    @property
    def dir(self) -> Path:
        return self.state / "stack"

    def script(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run([str(REPO / "scripts/stack"), *args], env=self.env, capture_output=True, text=True, timeout=timeout)

    def lib(self, script: str, timeout: float = 60) -> subprocess.CompletedProcess:
        secrets = dict(line.split("=", 1) for line in (self.dir / "stack.env").read_text().splitlines())
        env = {**self.env, "REDIS_PASSWORD": secrets["REDIS_PASSWORD"], "PG_PASSWORD": secrets["PG_PASSWORD"]}
        prelude = "".join(f"source {REPO}/scripts/lib/{name}.sh\n" for name in ("wait", "postgres", "redis"))
        return subprocess.run(["bash", "-c", prelude + script], env=env, capture_output=True, text=True, timeout=timeout)

    # --- services -----------------------------------------------------------------------
    def replica_pid(self, index: int) -> int:
        return int((self.folders[index] / "app.pid").read_text())

    def kill_redis(self):
        os.kill(int((self.dir / "redis/redis.pid").read_text()), signal.SIGKILL)

    def start_redis(self):
        result = self.lib(f'redis_start {self.dir}/redis {self.env["REDIS_PORT"]} "$REDIS_PASSWORD"')
        assert result.returncode == 0, result.stderr

    def stop_postgres(self):
        result = self.lib(f"pg_stop {self.dir}/postgres")
        assert result.returncode == 0, result.stderr

    def start_postgres(self):
        result = self.lib(f'pg_start {self.dir}/postgres {self.env["PG_PORT"]}')
        assert result.returncode == 0, result.stderr

    def psql(self, query: str) -> str:
        result = self.lib(f"_pg_as_owner $PG_BIN/psql -h {self.dir}/postgres -p {self.env['PG_PORT']} -U postgres -d ai_agent_db -XtAq -c \"{query}\"")
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def restore(self):
        """`up` again: starts whatever a test stopped or killed, and waits until all is healthy."""
        self.broken = "restoring the stack after the previous test did not finish"
        result = self.script("up", "--replicas", "2")
        if result.returncode != 0:
            self.broken = f"`scripts/stack up` after the previous test failed:\n{result.stdout}{result.stderr}"
            pytest.fail(self.broken)
        self.broken = None

    def health(self, port: int) -> tuple[int, dict]:
        status, data = Client(port, timeout=10).request("GET", "/health")
        return status, json.loads(data)

    # --- clients ------------------------------------------------------------------------
    def login(self, port: int | None = None, username: str = "admin", password: str = ADMIN_PASSWORD) -> str:
        return Client(port or self.nginx_port).call("POST", "/api/v1/auth/login", {"username": username, "password": password})["access_token"]

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = self.login()
        return self._token

    def admin(self, port: int | None = None) -> Client:
        return Client(port or self.nginx_port, self.token)


@pytest.fixture(scope="session")
def native_stack(app_bin, tmp_path_factory):
    for tool in ("redis-server", "redis-cli", "prometheus", "nginx", "curl"):
        orchestration.require_tool(tool)
    running = Stack(app_bin, tmp_path_factory.mktemp("faults"))
    up = running.script("up", "--replicas", "2")
    if up.returncode != 0:
        running.broken = f"`scripts/stack up --replicas 2` failed:\n{up.stdout}{up.stderr}"
    started: set[int] = set()
    try:
        yield running
    finally:
        pid_files = [running.dir / "postgres/data/postmaster.pid", running.dir / "redis/redis.pid", running.dir / "nginx/nginx.pid",
                     running.dir / "prometheus/prometheus.pid", *(folder / "app.pid" for folder in running.folders)]
        started = orchestration.descendants({int(p.read_text().split()[0]) for p in pid_files if p.exists()})
        try:
            down = running.script("down")
        finally:
            # Whatever `down` could not stop (or had no time to) is killed: nothing outlives the tests.
            left = {pid for pid in started if orchestration.pid_alive(pid)}
            for pid in left:
                os.kill(pid, signal.SIGKILL)
        assert down.returncode == 0, down.stdout + down.stderr
        assert not left, f"processes left after `scripts/stack down`: {sorted(left)}"


@pytest.fixture
def stack(native_stack):
    """The stack, failing at once when an earlier test left it broken."""
    if native_stack.broken:
        pytest.fail(native_stack.broken)
    return native_stack


@pytest.fixture
def healthy_stack(stack):
    """The stack as the test found it, and restored (every service up) after it."""
    yield stack
    stack.restore()


@pytest.fixture(scope="session")
def fake():
    server = fake_openai.FakeOpenAI()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


class Load:
    """Authenticated reads and writes through nginx from `threads` threads until stopped:
    GET /auth/me, GET /users, POST /projects (a write, whose id is kept when acknowledged)
    and PUT /projects/{id} (a rename). Every answer is kept as (kind, status, error code)."""

    def __init__(self, stack: Stack, threads: int = 6):
        self.stack, self.threads = stack, threads
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.outcomes: list[tuple[str, int, str | None]] = []
        self.failures: list[str] = []
        self.acknowledged: list[str] = []
        self.workers = [threading.Thread(target=self.work, args=(n,), daemon=True) for n in range(threads)]

    def __enter__(self):
        for worker in self.workers:
            worker.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        for worker in self.workers:
            worker.join(60)

    def run_for(self, seconds: float):
        self.stop.wait(seconds)

    def work(self, number: int):
        client = Client(self.stack.nginx_port, self.stack.token)
        mine = None
        step = 0
        while not self.stop.is_set():
            step += 1
            kind = ("me", "list", "write", "rename")[step % 4]
            try:
                if kind == "me":
                    status, data = client.request("GET", "/api/v1/auth/me")
                elif kind == "list":
                    status, data = client.request("GET", "/api/v1/users?page_size=5")
                elif kind == "write" or mine is None:
                    kind = "write"
                    status, data = client.request("POST", "/api/v1/projects", {"name": f"load {number}-{step}-{time.time_ns()}"})
                    if status == 201 or status == 200:
                        mine = json.loads(data)["id"]
                        with self.lock:
                            self.acknowledged.append(mine)
                else:
                    status, data = client.request("PUT", f"/api/v1/projects/{mine}", {"name": f"renamed {number}-{step}-{time.time_ns()}"})
            except (OSError, http.client.HTTPException) as error:
                with self.lock:
                    self.failures.append(f"{kind}: {type(error).__name__}: {error}")
                continue
            with self.lock:
                self.outcomes.append((kind, status, error_code(data) if status >= 400 else None))

    def summary(self) -> Counter:
        with self.lock:
            return Counter((kind, status, code) for kind, status, code in self.outcomes)

    def not_2xx(self) -> Counter:
        return Counter({key: n for key, n in self.summary().items() if not 200 <= key[1] < 300})


def connection_owner(client_port: int, server_port: int, pids: list[int]) -> int | None:
    """Which of `pids` holds the client end (local port `client_port`, remote port
    `server_port`) of a TCP connection, from /proc/net/tcp{,6} and the processes' file
    descriptors."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if (int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)) == (client_port, server_port):
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        if inodes & set(open_sockets(pid)):
            return pid
    return None


def open_sockets(pid: int):
    """The targets of a process's file descriptors; those closed meanwhile are skipped."""
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return
    for fd in fds:
        try:
            yield os.readlink(fd)
        except OSError:
            continue


class Target(http.server.ThreadingHTTPServer):
    """The API under test of the runs: GET /<anything> answers 200 {"ok": true} after `delay`
    seconds, or once `gate` is set. Each request is noted with the replica (of `pids`) whose
    connection brought it."""

    daemon_threads = True

    def __init__(self, pids, delay: float = 0.0):
        self.pids, self.delay = pids, delay
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()
        self.requests: list[tuple[str, int | None]] = []
        target = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                owner = connection_owner(self.client_address[1], target.server_address[1], target.pids())
                with target.lock:
                    target.requests.append((self.path, owner))
                target.gate.wait(60)
                time.sleep(target.delay)
                body = b'{"ok": true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"

    def paths(self) -> Counter:
        with self.lock:
            return Counter(path for path, _ in self.requests)

    def owners(self, prefix: str) -> set[int | None]:
        with self.lock:
            return {owner for path, owner in self.requests if path.startswith(prefix)}


@pytest.fixture
def target(stack):
    server = Target(lambda: [stack.replica_pid(0), stack.replica_pid(1)])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.gate.set()
    server.shutdown()
    server.server_close()


def run_cases(client: Client, base_url: str, tag: str, count: int) -> tuple[str, str, list[str]]:
    """A project whose environment points at `base_url`, and `count` cases, case N a GET of
    /<tag>/N asserting status 200: (project id, environment id, case ids)."""
    project = client.call("POST", "/api/v1/projects", {"name": f"faults {tag}"})["id"]
    environment = client.call("POST", f"/api/v1/projects/{project}/environments", {"name": "target", "base_urls": {"default": base_url}})["id"]
    cases = [client.call("POST", f"/api/v1/projects/{project}/cases", {
        "name": f"{tag} {n}",
        "steps": [{"name": f"GET /{tag}/{n}", "request": {"method": "GET", "url": f"{{{{base_url}}}}/{tag}/{n}"},
                   "assert": [{"type": "status", "equals": 200}]}],
    })["id"] for n in range(count)]
    return project, environment, cases


def run_results(client: Client, run_id: str) -> list[dict]:
    items, page = [], 1
    while True:
        answer = client.call("GET", f"/api/v1/runs/{run_id}/results?page={page}&page_size=100")
        items += answer["items"]
        if len(items) >= answer["total"] or not answer["items"]:
            return items
        page += 1
