"""The console's world: the app (APP_BIN) on SQLite serving Console/, a fake OpenAI provider,
and headless Debian chromium through Playwright. Each test gets a fresh browser context that
fails the test on a console error or a failed request, and keeps a screenshot and the page's
HTML when the test fails."""

import importlib.util
import os
import re
import threading
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("orchestration_conftest", HERE.parent / "orchestration" / "conftest.py")
orchestration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(orchestration)
_fake_spec = importlib.util.spec_from_file_location("fake_openai", HERE.parent / "support" / "fake_openai.py")
fake_openai = importlib.util.module_from_spec(_fake_spec)
_fake_spec.loader.exec_module(fake_openai)

app_bin = orchestration.app_bin
ADMIN_PASSWORD = "console-tests-admin-password"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("CONSOLE_TEST_ARTIFACTS", "/tmp/ai-agent-console-tests"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def fake():
    server = fake_openai.FakeOpenAI()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def app(app_bin, tmp_path_factory):
    running = orchestration.start_app(app_bin, tmp_path_factory.mktemp("console-app"), {
        "ENVIRONMENT": "development",
        "DATABASE_URL": "sqlite:///./app.db",
        "REDIS_ENABLED": "false",
        "LOG_LEVEL": "INFO",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "BCRYPT_COST": "4",
        # Heartbeats every second: a cancelled generation stops within about one.
        "JOB_LEASE_SECONDS": "3",
        "CONSOLE_DIR": str(orchestration.REPO / "Console"),
    })
    try:
        yield running
    finally:
        running.stop()


class API:
    """JSON calls as the admin (or another user), to set up what the pages show and to compare with them."""

    def __init__(self, base_url: str, username: str = "admin", password: str = ADMIN_PASSWORD):
        self.base_url = base_url
        self.session = requests.Session()
        self.token = self.call("POST", "/api/v1/auth/login", {"username": username, "password": password})["access_token"]
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def call(self, method: str, path: str, body=None, expect=(200, 201, 204)):
        response = self.session.request(method, self.base_url + path, json=body, timeout=60)
        assert response.status_code in expect, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else None

    def role_ids(self, *codes):
        return [role["id"] for role in self.call("GET", "/api/v1/roles?page_size=100")["items"] if role["code"] in codes]

    def create_user(self, username: str, password: str, *roles: str):
        return self.call("POST", "/api/v1/users", {"username": username, "password": password, "role_ids": self.role_ids(*roles)})


@pytest.fixture(scope="session")
def api(app):
    return API(app.base_url)


@pytest.fixture(scope="session")
def browser():
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield browser
        browser.close()


class Console:
    """One browser context on the console: its page, and what went wrong in it."""

    def __init__(self, page, base_url: str):
        self.page, self.base_url = page, base_url
        self.errors: list[str] = []
        # Requests the test itself cancels (Stop, leaving a live tail) are not failures, nor
        # the refusals (4xx) of input the test types wrong on purpose (the browser logs each).
        self.expected_aborts = 0
        self.expected_refusals = 0
        page.on("console", self.console_message)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("requestfailed", self.request_failed)
        page.on("response", lambda response: response.status >= 500 and self.errors.append(f"{response.status} {response.url}"))

    def console_message(self, message):
        if message.type != "error":
            return
        if self.expected_refusals and re.search(r"status of 4\d\d", message.text):
            self.expected_refusals -= 1
            return
        self.errors.append(f"console: {message.text}")

    def request_failed(self, request):
        # The browser drops its own favicon fetch when a navigation starts meanwhile: not the page's error.
        if "/favicon." in request.url and "ERR_ABORTED" in (request.failure or ""):
            return
        if self.expected_aborts and "ERR_ABORTED" in (request.failure or ""):
            self.expected_aborts -= 1
            return
        self.errors.append(f"request failed: {request.method} {request.url} {request.failure}")

    def open(self, path: str = "/"):
        self.page.goto(self.base_url + path)

    def sign_in(self, username="admin", password=ADMIN_PASSWORD):
        self.open("/login")
        self.page.fill("#login-username", username)
        self.page.fill("#login-password", password)
        self.page.click("form.login-card button[type=submit]")

    def keep_evidence(self, name: str) -> Path:
        folder = ARTIFACTS / name
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(folder / "screenshot.png"), full_page=True)
        (folder / "page.html").write_text(self.page.content())
        (folder / "errors.txt").write_text("\n".join(self.errors))
        return folder


@pytest.fixture
def console(browser, app, request):
    # English unless a test switches: the assertions read English labels.
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    wrapped = Console(page, app.base_url)
    yield wrapped
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    try:
        if failed or wrapped.errors:
            print(f"screenshot and page kept in {wrapped.keep_evidence(request.node.name)}")
        assert not wrapped.errors, "the page had errors:\n" + "\n".join(wrapped.errors)
    finally:
        context.close()
