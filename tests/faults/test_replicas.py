"""Two replicas share their state through PostgreSQL and Redis (issue 17): a logout or a role
change on one holds on the other within 100 ms, a run queued on one may run on the other,
exactly once, and the login throttle counts the attempts made on both. Each replica is
addressed directly by its port."""

import time

import pytest

from conftest import Client, run_cases, run_results, wait_for

# How soon a change on one replica must hold on the other (issue 17).
PROPAGATION_SECONDS = 0.1


def new_user(stack, *role_codes: str) -> tuple[dict, str]:
    admin = stack.admin()
    roles = [r["id"] for r in admin.call("GET", "/api/v1/roles?page_size=100")["items"] if r["code"] in role_codes]
    assert len(roles) == len(role_codes), f"roles {role_codes} not found"
    password = "replica-test-password-1"
    user = admin.call("POST", "/api/v1/users", {"username": f"replica-{time.time_ns()}", "password": password, "role_ids": roles})
    return user, password


def test_a_logout_on_one_replica_is_refused_on_the_other(stack):
    a, b = stack.replica_ports
    token = stack.login(a)
    on_a, on_b = Client(a, token), Client(b, token)
    # B has seen the session, so that any cache of it is warm.
    on_b.call("GET", "/api/v1/auth/me")
    on_a.call("POST", "/api/v1/auth/logout")
    time.sleep(PROPAGATION_SECONDS)
    status, body = on_b.request("GET", "/api/v1/auth/me")
    assert status == 401, body


def test_a_role_change_on_one_replica_holds_on_the_other(stack):
    a, b = stack.replica_ports
    user, password = new_user(stack, "admin")
    on_b = Client(b, stack.login(b, user["username"], password))
    on_b.call("GET", "/api/v1/users?page_size=1")
    stack.admin(a).call("PUT", f"/api/v1/users/{user['id']}/roles", {"role_ids": []})
    time.sleep(PROPAGATION_SECONDS)
    status, body = on_b.request("GET", "/api/v1/users?page_size=1")
    assert status == 403, body


@pytest.mark.timeout(90)
def test_a_run_queued_on_one_replica_may_run_on_the_other_exactly_once(stack, target):
    a, _ = stack.replica_ports
    on_a = stack.admin(a)
    project, environment, cases = run_cases(on_a, target.base_url, "queued", 3)
    # Each replica works on WORKER_CONCURRENCY=2 jobs at once: with three held at the target,
    # the other replica must have claimed at least one.
    target.gate.clear()
    runs = [on_a.call("POST", "/api/v1/runs", {"project_id": project, "environment_id": environment, "case_ids": [case]})["id"]
            for case in cases]
    wait_for("the three runs' requests at the target", lambda: len(target.paths()) >= 3, timeout=30)
    executed_by = target.owners("/queued/")
    target.gate.set()
    for run in runs:
        summary = wait_for(f"run {run} finished", lambda: (s := on_a.call("GET", f"/api/v1/runs/{run}"))["run"].get("finished_at") and s,
                           timeout=30, interval=0.2)
        assert summary["run"]["status"] == "passed", summary
        assert len(run_results(on_a, run)) == 1
    assert executed_by == {stack.replica_pid(0), stack.replica_pid(1)}, "every run was executed by the replica that queued it"
    # Exactly once: each case's request reached the target once.
    assert sorted(target.paths().values()) == [1, 1, 1], target.paths()


def test_the_login_throttle_counts_attempts_across_replicas(stack):
    a, b = stack.replica_ports
    user, password = new_user(stack)
    limit = int(stack.env["STACK_APP_LOGIN_MAX_ATTEMPTS"])
    for attempt in range(limit):
        port = (a, b)[attempt % 2]
        status, body = Client(port).request("POST", "/api/v1/auth/login", {"username": user["username"], "password": "wrong-password"})
        assert status == 401, f"attempt {attempt + 1} on {port}: {status} {body!r}"
    # The limit is reached across both: the right password is refused on either.
    for port in (a, b):
        status, body = Client(port).request("POST", "/api/v1/auth/login", {"username": user["username"], "password": password})
        assert status == 429, f"on {port}: {status} {body!r}"
