"""The API-testing pages in headless chromium, as a tester (not an admin) against a local
target API on 127.0.0.1: a project and an environment with a secret, an OpenAPI import, a
case edited with the JSONPath tester, one step sent, a suite run followed live, a failed
step's evidence and curl, the JUnit report; a viewer who cannot edit; axe on every page."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from playwright.sync_api import expect

from test_console import serious_violations

SECRET = "target-secret-5d2c9a"
TESTER = ("tess", "tester-pass-123")
VIEWER = ("vince", "viewer-pass-123")
PETS = [{"id": 1, "name": "Rex", "tag": "dog"}, {"id": 2, "name": "Tom", "tag": "cat"}]


class Target(ThreadingHTTPServer):
    """The API under test: pets, a slow endpoint (so a run can be watched), the keys it received."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), TargetHandler)
        self.keys: list[str] = []
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"


class TargetHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        self.server.keys.append(self.headers.get("X-Api-Key", ""))
        if url.path == "/pets":
            return self.answer(200, PETS)
        if url.path.startswith("/pets/"):
            pet = next((p for p in PETS if str(p["id"]) == url.path.rsplit("/", 1)[1]), None)
            return self.answer(200 if pet else 404, pet or {"error": "not found"})
        if url.path == "/slow":
            time.sleep(int(parse_qs(url.query).get("ms", ["300"])[0]) / 1000)
            return self.answer(200, {"slept": True})
        self.answer(404, {"error": "not found"})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def target():
    server = Target()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def openapi_document(base_url: str) -> str:
    pet = {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "tag": {"type": "string"}}}
    ok = lambda schema: {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}  # noqa: E731
    return json.dumps({
        "openapi": "3.0.3", "info": {"title": "Pet Store", "version": "1"}, "servers": [{"url": base_url}],
        "paths": {
            "/pets": {"get": {"operationId": "listPets", "summary": "List pets", "tags": ["pets"], "responses": ok({"type": "array", "items": pet})}},
            "/pets/{petId}": {"get": {"operationId": "getPet", "summary": "Get a pet", "tags": ["pets"],
                                      "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}], "responses": ok(pet)}},
            "/slow": {"get": {"operationId": "slow", "summary": "Answer slowly", "tags": ["timing"], "responses": ok({"type": "object"})}},
        },
    })


class Client:
    """JSON calls as one user."""

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url = base_url
        self.session = requests.Session()
        token = self.call("POST", "/api/v1/auth/login", {"username": username, "password": password})["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method, path, body=None, expect=(200, 201, 202, 204)):
        response = self.session.request(method, self.base_url + path, json=body, timeout=60)
        assert response.status_code in expect, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else None


@pytest.fixture(scope="module")
def users(api, app):
    tester = api.create_user(*TESTER, "tester")
    viewer = api.create_user(*VIEWER, "viewer")
    return {"tester": Client(app.base_url, *TESTER), "tester_id": tester["id"], "viewer_id": viewer["id"]}


@pytest.fixture(scope="module")
def seeded(users, target):
    """A project made through the API, with an environment, imported endpoints, slow cases, a
    failing case and a suite of them; the viewer is a member."""
    client = users["tester"]
    project = client.call("POST", "/api/v1/projects", {"name": "Seeded pets", "member_ids": [users["viewer_id"]]})
    pid = project["id"]
    environment = client.call("POST", f"/api/v1/projects/{pid}/environments", {
        "name": "target", "base_urls": {"default": target.base_url}, "variables": [{"name": "api_key", "value": SECRET, "secret": True}],
        "headers": {"X-Api-Key": "{{api_key}}"}})
    client.call("POST", f"/api/v1/projects/{pid}/imports", {"content": openapi_document(target.base_url), "create_cases": True})
    slow = [client.call("POST", f"/api/v1/projects/{pid}/cases", {"name": f"slow {n}", "tags": ["slow"], "steps": [
        {"name": "wait", "request": {"method": "GET", "url": "{{base_url}}/slow?ms=400"}, "assert": [{"type": "status", "equals": 200}]}]})["id"] for n in range(6)]
    failing = client.call("POST", f"/api/v1/projects/{pid}/cases", {"name": "pets are created", "tags": ["pets"], "steps": [
        {"name": "list pets", "request": {"method": "GET", "url": "{{base_url}}/pets"}, "extract": [{"var": "first", "from": "json", "path": "$[0].name"}],
         "assert": [{"type": "status", "equals": 201}]}]})["id"]
    suite = client.call("POST", f"/api/v1/projects/{pid}/suites", {"name": "Nightly", "mode": "sequential", "case_ids": [*slow, failing]})
    return {"project": project, "environment": environment, "suite": suite, "failing": failing}


def sign_in(console, user):
    console.sign_in(*user)
    expect(console.page.locator("nav.sidebar")).to_be_visible()
    console.page.wait_for_load_state("networkidle")


def visit(console, path, ready):
    """Opens `path` and waits until `ready` shows and the page's requests are done (so the
    next navigation aborts none)."""
    console.open(path)
    expect(console.page.locator(ready).first).to_be_visible()
    console.page.wait_for_load_state("networkidle")


def test_a_tester_creates_a_project_with_a_secret_environment_imports_and_edits_a_case(console, users, target, tmp_path):
    page = console.page
    client = users["tester"]
    sign_in(console, TESTER)
    page.get_by_role("link", name="Projects").click()
    page.get_by_role("button", name="New project").click()
    page.fill("#field-name", "Pets in the browser")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Pets in the browser", exact=True)).to_be_visible()
    project = next(p for p in client.call("GET", "/api/v1/projects?search=browser")["items"] if p["name"] == "Pets in the browser")
    pid = project["id"]

    # 1. An environment with a secret: stored sealed, shown masked, never again in the page.
    page.locator("nav.tabs").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="New environment").click()
    page.fill("#env-name", "local target")
    base = page.locator("fieldset", has_text="Base URLs per service")
    expect(base.get_by_label("Service")).to_have_value("default")
    base.get_by_label("URL").fill(target.base_url)
    variables = page.locator("fieldset", has_text="Variables")
    variables.get_by_role("button", name="Add").click()
    variables.get_by_label("Name").fill("api_key")
    variables.get_by_label("Secret").check()
    variables.get_by_label("Value").fill(SECRET)
    headers = page.locator("fieldset", has_text="Default headers")
    headers.get_by_role("button", name="Add").click()
    headers.get_by_label("Name").fill("X-Api-Key")
    headers.get_by_label("Value").fill("{{api_key}}")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("fieldset", has_text="Variables").get_by_label("Value")).to_have_attribute("placeholder", "stored — type to replace")
    stored = client.call("GET", f"/api/v1/projects/{pid}/environments")["items"]
    environment = next(e for e in stored if e["name"] == "local target")
    assert environment["variables"] == [{"name": "api_key", "value": "***", "secret": True}]
    assert SECRET not in page.content()

    # 2. An OpenAPI import: a preview (nothing written), then the import and its report.
    page.locator("nav.tabs").get_by_role("link", name="Endpoints").click()
    page.get_by_role("link", name="Import").click()
    document = tmp_path / "pets.json"
    document.write_text(openapi_document(target.base_url))
    page.set_input_files("#import-file", str(document))
    expect(page.get_by_text("Chosen: pets.json")).to_be_visible()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator('[data-section="created"] h3')).to_have_text("To create (3)")
    expect(page.locator("[data-format]")).to_have_text("openapi")
    assert client.call("GET", f"/api/v1/projects/{pid}/endpoints")["total"] == 0, "the preview writes nothing"
    page.get_by_role("button", name="Import").last.click()
    expect(page.get_by_role("heading", name="3. Import report")).to_be_visible()
    assert client.call("GET", f"/api/v1/projects/{pid}/endpoints")["total"] == 3
    page.get_by_role("button", name="Open the catalogue").click()
    expect(page.get_by_role("heading", name="pets", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="timing", exact=True)).to_be_visible()

    # 3 and 4. The starter case of GET /pets: send its step, pick a value in the JSONPath
    # tester for an extraction and an assertion, send again, save.
    starter = next(c for c in client.call("GET", f"/api/v1/projects/{pid}/cases?page_size=100")["items"] if c["steps"][0]["request"]["url"].endswith("/pets"))
    page.locator("nav.tabs").get_by_role("link", name="Cases").click()
    page.get_by_role("link", name=starter["name"], exact=True).click()
    page.select_option("#case-environment", label="local target")
    step = page.locator(".case-step").first
    step.get_by_role("button", name="Send this step").click()
    expect(step.locator(".response-status")).to_have_text("HTTP 200")
    assert target.keys[-1] == SECRET, "the environment's secret header was sent"
    assert SECRET not in page.content(), "evidence masks the secret"
    step.locator('button.json-value[data-path="$[0].name"]').click()
    expect(step.locator(".jsonpath-input")).to_have_value("$[0].name")
    expect(step.locator(".jsonpath-value")).to_have_text('"Rex"')
    step.get_by_role("button", name="Extract to a variable").click()
    step.get_by_role("button", name="Assert this value").click()
    expect(step.locator("tr.extraction .extract-path")).to_have_value("$[0].name")
    expect(page.locator("#case-status")).to_have_text("Unsaved changes")
    step.get_by_role("button", name="Send this step").click()
    expect(step.locator(".assertion-results li.ok")).to_have_count(2)
    expect(step.get_by_text('Extracted: {"name":"Rex"}')).to_be_visible()
    page.locator("#case-save").click()
    expect(page.locator("#case-status")).to_have_text("Saved")
    saved = client.call("GET", f"/api/v1/projects/{pid}/cases/{starter['id']}")["steps"][0]
    assert saved["extract"] == [{"var": "name", "from": "json", "path": "$[0].name"}]
    assert any(a["type"] == "json" and a["path"] == "$[0].name" and a["op"] == "eq" and a["value"] == "Rex" for a in saved["assert"])


def test_a_tester_runs_a_suite_live_opens_a_failed_step_copies_its_curl_and_downloads_junit(console, users, seeded):
    page = console.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console.base_url)
    pid = seeded["project"]["id"]
    sign_in(console, TESTER)
    visit(console, f"/testing/projects/{pid}/suites", "table.data")
    row = page.get_by_role("row", name="Nightly")
    row.get_by_role("button", name="Run").click()
    page.select_option("#run-environment", label="target")
    page.get_by_role("dialog").get_by_role("button", name="Run").click()

    # 5. Progress changes live: rows and counts arrive while the run is still running.
    expect(page.locator(".result-row").first).to_be_visible(timeout=15_000)
    assert page.locator(".run-status").inner_text() in ("Running", "Queued"), "a result showed before the run ended"
    first_count = page.locator(".result-row").count()
    expect(page.locator(".run-status")).to_have_text("Failed", timeout=30_000)
    assert page.locator(".result-row").count() == 7 > first_count
    expect(page.locator(".run-counts")).to_contain_text("7 of 7 done")
    expect(page.locator(".run-progress")).to_have_attribute("value", "7")
    expect(page.locator(".result-row.passed")).to_have_count(6)

    # 6. Failed only, then the failed step's evidence and its curl.
    page.get_by_label("Failed only").check()
    expect(page.locator(".result-row")).to_have_count(1)
    page.locator(".result-row button", has_text="pets are created").click()
    evidence = page.locator(".evidence").first
    expect(evidence.locator(".assertion-table tr.failed")).to_contain_text("201")
    expect(evidence.locator(".assertion-table tr.failed")).to_contain_text("200")
    evidence.get_by_role("button", name="Copy as cURL").click()
    expect(page.get_by_text("Copied")).to_be_visible()
    curl = page.evaluate("navigator.clipboard.readText()")
    assert curl.startswith("curl") and "/pets" in curl and SECRET not in curl

    # 7. The JUnit report.
    with page.expect_download() as download:
        page.get_by_role("button", name="JUnit").click()
    junit = open(download.value.path()).read()
    assert "<testsuite" in junit and "pets are created" in junit and "failures=\"1\"" in junit


def test_an_email_channel_is_set_up_with_its_smtp_fields_and_its_password_kept(console, users, seeded):
    page = console.page
    pid = seeded["project"]["id"]
    sign_in(console, TESTER)
    visit(console, f"/testing/projects/{pid}/schedules", "table.data, p.empty")
    page.get_by_role("button", name="New channel").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name", exact=True).fill("Mail the team")
    expect(dialog.get_by_label("URL", exact=True)).to_be_visible()
    dialog.get_by_label("Channel", exact=True).select_option("email")
    # Only the fields e-mail reads are shown (the API refuses any other).
    expect(dialog.get_by_label("URL", exact=True)).to_be_hidden()
    dialog.get_by_label("SMTP server").fill("smtp.example.com")
    dialog.get_by_label("SMTP port").fill("2525")
    dialog.get_by_label("SMTP user name").fill("mailer")
    dialog.get_by_label("SMTP password").fill("smtp-secret-value")
    dialog.get_by_label("Sender address").fill("tests@example.com")
    dialog.get_by_label("Email recipients (comma-separated)").fill("a@example.com, b@example.com")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row", name="Mail the team")).to_be_visible()
    channels = users["tester"].call("GET", f"/api/v1/projects/{pid}/notifications")["items"]
    channel = next(item for item in channels if item["name"] == "Mail the team")
    assert channel["type"] == "email"
    config = channel["config"]
    assert (config["host"], config["port"], config["username"], config["from"]) == ("smtp.example.com", 2525, "mailer", "tests@example.com")
    assert config["to"] == ["a@example.com", "b@example.com"] and config["password"] != "smtp-secret-value"
    # Edited without typing the password again: the stored one is kept (still set, still masked).
    page.get_by_role("row", name="Mail the team").get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("SMTP server")).to_have_value("smtp.example.com")
    dialog.get_by_label("SMTP port").fill("587")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    channel = users["tester"].call("GET", f"/api/v1/projects/{pid}/notifications/{channel['id']}")
    assert channel["config"]["port"] == 587 and channel["config"]["password"] not in (None, "", "smtp-secret-value")


def test_a_viewer_sees_but_cannot_edit(console, users, seeded, app):
    page = console.page
    pid = seeded["project"]["id"]
    sign_in(console, VIEWER)
    visit(console, f"/testing/projects/{pid}/cases", "table.data tbody tr a")
    expect(page.get_by_role("link", name="pets are created")).to_be_visible()
    assert page.get_by_role("button", name="New case").count() == 0
    page.get_by_role("link", name="pets are created").click()
    expect(page.locator(".case-step")).to_have_count(1)
    assert page.locator("#case-save").count() == 0 and page.get_by_role("button", name="Send this step").count() == 0
    assert page.locator(".case-step input").first.is_disabled()
    visit(console, f"/testing/projects/{pid}/suites", "table.data")
    expect(page.get_by_role("row", name="Nightly")).to_be_visible()
    assert page.get_by_role("button", name="Run").count() == 0 and page.get_by_role("button", name="New suite").count() == 0
    visit(console, f"/testing/projects/{pid}/endpoints", ".catalogue section")
    expect(page.get_by_role("heading", name="pets", exact=True)).to_be_visible()
    assert page.get_by_role("link", name="Import").count() == 0
    # The API refuses as well.
    viewer = Client(app.base_url, *VIEWER)
    viewer.call("PUT", f"/api/v1/projects/{pid}/cases/{seeded['failing']}", {"name": "renamed"}, expect=(403,))
    viewer.call("POST", "/api/v1/runs", {"project_id": pid, "environment_id": seeded["environment"]["id"], "suite_id": seeded["suite"]["id"]}, expect=(403,))
    viewer.call("POST", f"/api/v1/projects/{pid}/steps/try", {"environment_id": seeded["environment"]["id"], "step": {"name": "x", "set": {"a": "b"}}}, expect=(403,))


def test_every_testing_page_is_accessible_and_both_languages_are_complete(console, users, seeded):
    page = console.page
    client = users["tester"]
    pid = seeded["project"]["id"]
    run = client.call("POST", "/api/v1/runs", {"project_id": pid, "environment_id": seeded["environment"]["id"], "suite_id": seeded["suite"]["id"]})
    for _ in range(150):
        if client.call("GET", f"/api/v1/runs/{run['id']}")["run"]["status"] in ("passed", "failed", "error", "cancelled"):
            break
        time.sleep(0.2)
    endpoint = client.call("GET", f"/api/v1/projects/{pid}/endpoints")["items"][0]
    sign_in(console, TESTER)
    pages = {
        "/testing/projects": "table.data", f"/testing/projects/{pid}": ".catalogue section", f"/testing/projects/{pid}/endpoints/{endpoint['id']}": "h2",
        f"/testing/projects/{pid}/cases": "table.data tbody tr", f"/testing/projects/{pid}/cases/{seeded['failing']}": ".case-step",
        f"/testing/projects/{pid}/suites": "table.data", f"/testing/projects/{pid}/runs": "table.data",
        f"/testing/projects/{pid}/schedules": ".panel", f"/testing/projects/{pid}/settings": "form.panel",
        f"/testing/projects/{pid}/environments/{seeded['environment']['id']}": "form.environment", f"/testing/projects/{pid}/import": ".dropzone",
        f"/testing/projects/{pid}/trends": "svg.chart", f"/testing/runs/{run['id']}": ".result-row", "/testing/runs": "table.data",
        "/testing/reports": "h1", "/testing/tokens": "table.data",
    }
    for path, ready in pages.items():
        visit(console, path, ready)
        assert not serious_violations(page), path
    visit(console, f"/testing/projects/{pid}/cases/{seeded['failing']}", ".case-step")
    for language in ("zh-CN", "en"):
        page.select_option("select.language", language)
        expect(page.locator(".case-step")).to_be_visible()
        page.wait_for_load_state("networkidle")
        text = page.locator("main").inner_text()
        assert "testing." not in text, f"a message key shows untranslated in {language}"
    en = json.load(open(console_file("messages-en.json")))
    zh = json.load(open(console_file("messages-zh-CN.json")))
    testing_keys = {key for key in en if key.startswith("testing.")}
    assert testing_keys == {key for key in zh if key.startswith("testing.")}
    assert all(zh[key].strip() for key in testing_keys)


def console_file(name):
    from conftest import orchestration
    return orchestration.REPO / "Console" / name
