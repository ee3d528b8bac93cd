"""Faults under load on the native stack (issue 17): Redis killed, PostgreSQL stopped, a replica
stopped by SIGTERM and one killed outright while it runs a test run. The load goes through
nginx to both replicas; what a test stops is started again after it."""

import http.client
import json
import os
import signal
import threading
import time

import pytest

from conftest import Client, Load, orchestration, run_cases, run_results, wait_for


def cache_check(stack, port: int) -> dict:
    return stack.health(port)[1]["checks"]["cache"]


@pytest.mark.timeout(75)
def test_redis_killed_under_load(healthy_stack):
    stack = healthy_stack
    admin = stack.admin()
    me = admin.call("GET", "/api/v1/auth/me")["user"]
    # Both replicas put the admin's profile in Redis now; Redis keeps it across the kill
    # (append-only file), the copy that must not come back after the outage.
    for port in stack.replica_ports:
        stack.admin(port).call("GET", "/api/v1/auth/me")
    nickname = f"renamed during the outage {time.time_ns()}"

    with Load(stack) as load:
        load.run_for(2)
        stack.kill_redis()
        for port in stack.replica_ports:
            wait_for(f"/health of the replica on {port} reports the cache degraded",
                     lambda: cache_check(stack, port)["status"] == "degraded", timeout=10)
        admin.call("PUT", f"/api/v1/users/{me['id']}", {"nickname": nickname})
        load.run_for(2)
        stack.start_redis()
        for port in stack.replica_ports:
            wait_for(f"/health of the replica on {port} back on Redis",
                     lambda: cache_check(stack, port) == {"status": "up", "backend": "redis"}, timeout=15)
        load.run_for(2)

    answered = sum(load.summary().values())
    assert answered > 50, f"only {answered} requests answered"
    assert not load.failures, load.failures[:10]
    assert not load.not_2xx(), f"failed answers: {load.not_2xx()}"
    # The value written during the outage is the one read afterwards, on either replica.
    for port in stack.replica_ports:
        assert stack.admin(port).call("GET", "/api/v1/auth/me")["user"]["nickname"] == nickname, f"stale profile on {port}"


class Stream(threading.Thread):
    """A streamed chat answer read to its end: the event names, and how it ended."""

    def __init__(self, port: int, token: str, session: str, prompt: str):
        super().__init__(daemon=True)
        self.port, self.token, self.session, self.prompt = port, token, session, prompt
        self.events: list[str] = []
        self.status = None
        self.error = None
        self.started = threading.Event()

    def run(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("POST", f"/api/v1/chat/sessions/{self.session}/messages",
                               body=json.dumps({"content": self.prompt, "stream": True}),
                               headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            self.status = response.status
            while line := response.readline():
                if line.startswith(b"event: "):
                    self.events.append(line[7:].strip().decode())
                    self.started.set()
        except (OSError, http.client.HTTPException) as error:
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self.started.set()
            connection.close()


@pytest.mark.timeout(90)
def test_sigterm_to_a_replica_under_load(healthy_stack, fake):
    stack = healthy_stack
    admin = stack.admin()
    model = admin.call("POST", "/api/v1/models", {"name": f"fake {time.time_ns()}", "provider": "openai", "model": "gpt-fake",
                                                  "base_url": fake.base_url, "api_key": "sk-test-0123456789abcdef"})["id"]
    session = admin.call("POST", "/api/v1/chat/sessions", {"model_config_id": model})["id"]
    victim = stack.replica_pid(0)

    with Load(stack) as load:
        load.run_for(2)
        # A slow answer (60 pieces, 250 ms apart) streaming from the replica that is stopped.
        stream = Stream(stack.replica_ports[0], stack.token, session, "slow answer please")
        stream.start()
        assert stream.started.wait(20), "the stream did not start"
        os.kill(victim, signal.SIGTERM)
        wait_for("the replica stopped by SIGTERM to exit", lambda: not orchestration.pid_alive(victim), timeout=40)
        load.run_for(2)
    stream.join(30)

    assert not load.failures, load.failures[:10]
    log = (stack.folders[0] / "app.out").read_text(errors="replace")
    assert "Fatal error" not in log and "Program crashed" not in log, log[-3000:]
    assert stream.status == 200, stream.error
    # Finished, or ended with an error event, never cut. (It was cut about one run in three
    # while NIO could crash the stopping replica: see UnservedConnections.)
    assert stream.events and stream.events[-1] in ("done", "error"), f"the stream ended after {stream.events[-3:]}: {stream.error}"
    failed = load.not_2xx()
    # A connection the replica accepted before SIGTERM gets its request answered
    # (QuiesceGraceHandler). What remains: a connection still in the kernel's accept queue
    # when the replica closes its listening socket is reset, and nginx does not resend a
    # write it has sent, since it might have run (nginx logs "Connection reset by peer while
    # reading response header"). Taking the replica out of the proxy first avoids it (as
    # Kubernetes' preStop does). Anything else fails the test.
    resets = (stack.dir / "nginx/logs/error.log").read_text().count("(104: Connection reset by peer) while reading response header")
    known = {key: n for key, n in failed.items() if key[0] in ("write", "rename") and key[1:] == (503, "service_unavailable")}
    assert failed == known and sum(known.values()) <= resets, f"failed answers: {failed} (connection resets logged by nginx: {resets})"
    if known:
        pytest.xfail(f"{sum(known.values())} write(s) lost to a connection the stopping replica reset unread (issue 17)")


@pytest.mark.timeout(120)
def test_kill_9_of_a_replica_running_a_test_run(healthy_stack, target):
    stack = healthy_stack
    admin = stack.admin()
    target.delay = 0.5
    project, environment, cases = run_cases(admin, target.base_url, "kill9", 8)
    run = admin.call("POST", "/api/v1/runs", {"project_id": project, "environment_id": environment, "case_ids": cases,
                                              "concurrency": 1})["id"]
    # The first request tells which replica runs it; that one dies in the middle of the run.
    wait_for("the run's first request at the target", lambda: len(target.paths()) >= 2, timeout=30)
    owners = target.owners("/kill9/")
    assert len(owners) == 1 and None not in owners, owners
    runner = owners.pop()
    pids = [stack.replica_pid(0), stack.replica_pid(1)]
    os.kill(runner, signal.SIGKILL)
    survivor = 1 - pids.index(runner)

    client = stack.admin(stack.replica_ports[survivor])
    summary = wait_for("the run finished on the other replica",
                       lambda: (s := client.call("GET", f"/api/v1/runs/{run}"))["run"].get("finished_at") and s, timeout=60, interval=0.5)
    assert summary["run"]["status"] == "passed", summary
    results = run_results(client, run)
    recorded = [result["case_id"] for result in results]
    assert sorted(recorded) == sorted(cases), f"each case's result once: {recorded}"
    assert target.owners("/kill9/") == set(pids), "the other replica did not take the run over"


# Last, so that a replica slow to stop after the outage (see below) cannot hold up the tests
# that stop one.
@pytest.mark.after_others
@pytest.mark.timeout(90)
def test_postgres_stopped_under_load(healthy_stack):
    stack = healthy_stack
    pids = [stack.replica_pid(0), stack.replica_pid(1)]
    with Load(stack) as load:
        load.run_for(2)
        stack.stop_postgres()
        stopped = time.monotonic()
        for port in stack.replica_ports:
            status, body = stack.health(port)
            assert status == 503 and body["checks"]["database"]["status"] == "down", body
            assert Client(port).request("GET", "/health/live")[0] == 200
        load.stop.wait(max(0.0, 5 - (time.monotonic() - stopped)))
        stack.start_postgres()
        for port in stack.replica_ports:
            wait_for(f"the replica on {port} healthy again", lambda: stack.health(port)[0] == 200, timeout=30)
        load.run_for(2)

    # Recovered by themselves: the same processes.
    assert [stack.replica_pid(0), stack.replica_pid(1)] == pids
    assert all(orchestration.pid_alive(pid) for pid in pids)
    # Known gap (issue 17 stays open on it): about one run in three, a write begun while
    # PostgreSQL was down never answers, its transaction lost between the connection pool and
    # PostgresNIO (PostgreSQL shows no such query afterwards), and that replica's SIGTERM
    # then waits for it until SHUTDOWN_TIMEOUT. Reported as an expected failure below, after
    # every other check; any other failed request fails the test.
    hung = [failure for failure in load.failures if failure in ("write: TimeoutError: timed out", "rename: TimeoutError: timed out")]
    assert load.failures == hung, load.failures[:10]
    assert load.acknowledged, "no write was acknowledged"
    # Every write acknowledged with 2xx is in the database.
    ids = ",".join(f"'{project_id.lower()}'" for project_id in set(load.acknowledged))
    stored = int(stack.psql(f"SELECT count(*) FROM projects WHERE lower(id::text) IN ({ids})"))
    assert stored == len(set(load.acknowledged))
    unexpected = {key: n for key, n in load.not_2xx().items() if (key[1], key[2]) != (503, "database_unavailable")}
    assert not unexpected, f"answers other than 2xx and 503 database_unavailable (kind, status, code): {unexpected}"
    if hung:
        pytest.xfail(f"{len(hung)} write(s) begun during the outage never answered (issue 17)")
