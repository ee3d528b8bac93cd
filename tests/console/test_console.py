"""The web console in headless chromium against the running service (SQLite, fake OpenAI)."""

import re

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from conftest import ADMIN_PASSWORD

PAGES = ["/dashboard", "/system/users", "/system/roles", "/system/menus", "/system/departments", "/system/settings", "/ai/models",
         "/ai/agents", "/ai/chat", "/system/audit", "/system/logs", "/profile"]


def serious_violations(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def create_model(api, fake, name="fake-gpt"):
    return api.call("POST", "/api/v1/models", {"name": name, "provider": "openai", "model": "gpt-fake", "base_url": fake.base_url, "api_key": "sk-test-0123456789abcdef"})


def test_sign_in_refuses_a_wrong_password_then_shows_the_dashboard_as_the_api_does(console, api):
    console.expected_refusals = 1
    console.sign_in(password="not-the-password")
    expect(console.page.get_by_role("alert")).to_have_text("Invalid username or password.")
    assert not serious_violations(console.page)
    console.page.fill("#login-password", ADMIN_PASSWORD)
    console.page.click("form.login-card button[type=submit]")
    expect(console.page.locator('[data-count="users"] .card-value')).to_be_visible()
    assert console.page.url.endswith("/dashboard")
    counts = api.call("GET", "/api/v1/dashboard")["counts"]
    for key, value in counts.items():
        expect(console.page.locator(f'[data-count="{key}"] .card-value')).to_have_text(f"{value:,}")
    assert console.page.locator("svg.chart rect.bar").count() == 30
    # A reload keeps the session: the HttpOnly refresh cookie signs in silently.
    console.page.reload()
    expect(console.page.locator('[data-count="users"] .card-value')).to_be_visible()
    assert console.page.evaluate("document.cookie") == "", "no token is readable by scripts"
    console.page.get_by_role("button", name="Sign out").click()
    expect(console.page.locator("#login-username")).to_be_visible()
    console.page.reload()
    expect(console.page.locator("#login-username")).to_be_visible()


def test_a_replayed_refresh_token_sends_the_user_back_to_sign_in_with_a_message(console, app):
    console.sign_in()
    expect(console.page.locator('[data-count="users"]')).to_be_visible()
    cookie = next(c for c in console.page.context.cookies() if c["name"] == "aab_refresh")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/api/v1/auth/refresh"
    # Someone else uses the token first; the browser's copy is now a replay.
    stolen = requests.post(app.base_url + "/api/v1/auth/refresh", json={"refresh_token": cookie["value"]}, timeout=10)
    assert stolen.status_code == 200
    console.expected_refusals = 1
    console.page.reload()
    expect(console.page.get_by_role("alert")).to_have_text("Your session was ended because its refresh token was used twice. Please sign in again.")
    # The thief's session ended too.
    assert requests.get(app.base_url + "/api/v1/auth/me", headers={"Authorization": f"Bearer {stolen.json()['access_token']}"}, timeout=10).status_code == 401


def test_a_reset_password_must_be_changed_before_anything_else(console, api):
    user = api.create_user("forced1", "first-password-1", "viewer")
    api.call("POST", f"/api/v1/users/{user['id']}/reset-password", {"password": "temporary-pass-2"})
    console.sign_in("forced1", "temporary-pass-2")
    expect(console.page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert console.page.locator("nav.sidebar").count() == 0
    console.page.fill("#old-password", "temporary-pass-2")
    console.page.fill("#new-password", "password")
    console.expected_refusals = 1
    console.page.get_by_role("button", name="Change password").click()
    expect(console.page.get_by_role("alert")).to_contain_text("new_password")
    console.page.fill("#new-password", "my-chosen-pass-3")
    console.page.get_by_role("button", name="Change password").click()
    expect(console.page.locator('[data-count="users"]')).to_be_visible()


def test_an_admin_creates_a_user_and_a_role(console, api):
    console.sign_in()
    console.page.get_by_role("link", name="Users").click()
    console.page.get_by_role("button", name="New user").click()
    console.page.fill("#field-username", "created-in-browser")
    console.page.fill("#field-password", "short")
    console.page.get_by_role("checkbox", name="Tester").check()
    console.expected_refusals = 1
    console.page.get_by_role("button", name="Save").click()
    # The API's 422 shows beside its field.
    expect(console.page.locator("#field-password-error")).not_to_be_empty()
    console.page.fill("#field-password", "browser-pass-123")
    console.page.get_by_role("button", name="Save").click()
    expect(console.page.get_by_role("cell", name="created-in-browser", exact=True)).to_be_visible()
    listed = api.call("GET", "/api/v1/users?username=created-in-browser")["items"][0]
    assert api.call("GET", f"/api/v1/users/{listed['id']}")["roles"] == ["tester"]

    console.page.get_by_role("link", name="Roles").click()
    console.page.get_by_role("button", name="New role").click()
    console.page.fill("#field-code", "auditor")
    console.page.fill("#field-name", "Auditor")
    console.page.get_by_role("checkbox", name="View audit log (audit:read)").check()
    console.page.get_by_role("button", name="Save").click()
    expect(console.page.get_by_role("cell", name="auditor", exact=True)).to_be_visible()
    role = next(r for r in api.call("GET", "/api/v1/roles?page_size=100")["items"] if r["code"] == "auditor")
    granted = api.call("GET", f"/api/v1/roles/{role['id']}")["menu_ids"]
    menus = api.call("GET", "/api/v1/menus")

    def find(nodes):
        for node in nodes:
            if node.get("permission") == "audit:read":
                return node["id"]
            found = find(node.get("children") or [])
            if found:
                return found
    assert find(menus) in granted


def test_an_admin_adds_renames_and_deletes_a_department(console, api):
    console.sign_in()
    console.page.get_by_role("link", name="Departments").click()
    headquarters = console.page.locator("ul.tree li").filter(has_text="Headquarters").first
    headquarters.get_by_role("button", name="Add below").click()
    console.page.fill("#field-name", "Quality")
    console.page.get_by_role("button", name="Save").click()
    expect(console.page.get_by_text("Quality", exact=True)).to_be_visible()
    tree = api.call("GET", "/api/v1/departments")
    child = next(node for node in tree[0]["children"] if node["name"] == "Quality")
    quality = console.page.locator("ul.tree li").filter(has_text="Quality").last
    quality.get_by_role("button", name="Edit").click()
    console.page.fill("#field-name", "Quality assurance")
    console.page.get_by_role("button", name="Save").click()
    expect(console.page.get_by_text("Quality assurance", exact=True)).to_be_visible()
    console.page.locator("ul.tree li").filter(has_text="Quality assurance").last.get_by_role("button", name="Delete").click()
    console.page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(console.page.get_by_text("Quality assurance", exact=True)).to_have_count(0)
    assert all(node["id"] != child["id"] for node in api.call("GET", "/api/v1/departments")[0]["children"])


def test_a_viewer_sees_neither_the_logs_nor_any_delete_or_create_button(console, api):
    api.create_user("viewer-browser", "viewer-pass-123", "viewer")
    console.sign_in("viewer-browser", "viewer-pass-123")
    nav = console.page.locator("nav.sidebar")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    expect(nav.get_by_role("link", name="Audit log")).to_have_count(0)
    expect(nav.get_by_role("link", name="System logs")).to_have_count(0)
    nav.get_by_role("link", name="Users").click()
    expect(console.page.get_by_role("cell", name="admin", exact=True)).to_be_visible()
    expect(console.page.get_by_role("button", name="Delete")).to_have_count(0)
    expect(console.page.get_by_role("button", name="New user")).to_have_count(0)
    expect(console.page.get_by_role("button", name="Edit")).to_have_count(0)


def test_a_model_against_the_fake_provider_tests_ok_and_a_retried_failure_reaches_the_system_log(console, api, fake):
    console.sign_in()
    console.page.get_by_role("link", name="Models").click()
    console.page.get_by_role("button", name="New model").click()
    console.page.fill("#field-name", "browser-model")
    console.page.fill("#field-model", "gpt-fake")
    console.page.fill("#field-base_url", fake.base_url)
    console.page.fill("#field-api_key", "sk-browser-0123456789abcdef")
    console.page.get_by_role("button", name="Save").click()
    row = console.page.get_by_role("row").filter(has_text="browser-model")
    expect(row).to_be_visible()
    expect(row).not_to_contain_text("sk-browser-0123456789abcdef")
    # The provider fails once (503); the backend retries, logging a WARNING.
    fake.fail_next.set()
    row.get_by_role("button", name="Test connection").click()
    expect(row.locator(".test-result")).to_have_text(re.compile(r"^OK in \d+ ms$"))
    assert not fake.fail_next.is_set()

    console.page.get_by_role("link", name="System logs").click()
    console.page.fill("input[name=text]", "retrying")
    console.page.get_by_role("button", name="Filter").click()
    expect(console.page.get_by_role("cell", name="LLM request failed, retrying")).to_be_visible()
    expect(console.page.get_by_role("row").filter(has_text="retrying").first).to_contain_text("WARNING")

    # The live tail shows the next one as it is written.
    console.page.get_by_role("button", name="Follow live").click()
    expect(console.page.get_by_role("button", name="Stop following")).to_be_visible()
    model = next(m for m in api.call("GET", "/api/v1/models?page_size=100")["items"] if m["name"] == "browser-model")
    fake.fail_next.set()
    assert api.call("POST", f"/api/v1/models/{model['id']}/test")["ok"]
    expect(console.page.locator("ol.tail li").first).to_contain_text("LLM request failed, retrying")


def open_new_chat(console):
    console.page.get_by_role("link", name="Chat").click()
    console.page.click("#chat-new")
    console.page.get_by_role("button", name="Save").click()
    expect(console.page.locator("#chat-input")).to_be_visible()


def send(console, text):
    console.page.fill("#chat-input", text)
    console.page.click("#chat-send")


def test_chat_streams_progressively_stops_and_regenerates(console, api, fake):
    create_model(api, fake, "chat-model")
    console.sign_in()
    open_new_chat(console)
    fake.release.clear()
    send(console, "gated question")
    answer = console.page.locator("article.message.assistant").last
    # The first piece is on screen while the provider still holds the rest.
    expect(answer.locator(".message-body")).to_have_text("First part,")
    expect(console.page.locator("#chat-stop")).to_be_visible()
    fake.release.set()
    expect(answer.locator(".message-body")).to_have_text("First part, then the rest.")
    expect(console.page.locator("#chat-stop")).to_be_hidden()

    send(console, "slow story")
    expect(console.page.locator("article.message.assistant").last).to_contain_text("word3")
    console.expected_aborts += 1
    console.page.click("#chat-stop")
    expect(console.page.locator("article.message.assistant").last.locator(".message-note")).to_have_text("Stopped before the end.")
    stopped = console.page.locator("article.message.assistant").last.inner_text()
    assert "word59" not in stopped

    send(console, "plain")
    expect(console.page.locator("article.message.assistant").last.locator(".message-body")).to_have_text(re.compile(r"^Answer number \d+\.$"))
    first = console.page.locator("article.message.assistant").last.locator(".message-body").inner_text()
    count = console.page.locator("article.message").count()
    console.page.click("#chat-regenerate")
    expect(console.page.locator("article.message.assistant").last.locator(".message-body")).not_to_have_text(first)
    expect(console.page.locator("article.message.assistant").last.locator(".message-body")).to_have_text(re.compile(r"^Answer number \d+\.$"))
    assert console.page.locator("article.message").count() == count, "the last answer was replaced, not added"

    # The provider breaks off: what came stays, marked as partial.
    send(console, "broken reply")
    last = console.page.locator("article.message.assistant").last
    expect(last.locator(".message-note")).to_contain_text("Partial answer")
    expect(last.locator(".message-body")).to_have_text("Half an answer")

    # The export is fetched with the access token and saved as a Markdown file.
    with console.page.expect_download() as download:
        console.page.get_by_role("button", name="Export").click()
    assert download.value.suggested_filename.endswith(".md")
    exported = open(download.value.path(), encoding="utf-8").read()
    assert "gated question" in exported and "First part, then the rest." in exported, exported[:500]


def test_model_output_never_runs_script(console, api, fake):
    create_model(api, fake, "xss-model")
    console.sign_in()
    open_new_chat(console)
    send(console, "xss please")
    answer = console.page.locator("article.message.assistant").last
    expect(answer.locator("pre.code")).to_contain_text("<script>window.pwned = true</script>")
    expect(answer.locator("strong")).to_have_text("bold")
    expect(answer.locator("table.md-table td").last).to_have_text("<b onmouseover=alert(1)>2</b>")
    assert answer.locator("script, img, b, [onerror], [onmouseover]").count() == 0
    assert answer.locator("a").count() == 0, "a javascript: link stays text"
    expect(answer).to_contain_text('<img src=x onerror="window.pwned = true">')
    assert console.page.evaluate("window.pwned") is None


def test_an_agent_is_created_with_a_registry_tool_run_and_its_steps_shown(console, api, fake):
    create_model(api, fake, "agent-model")
    console.sign_in()
    console.page.get_by_role("link", name="Agents").click()
    console.page.get_by_role("button", name="New agent").click()
    console.page.fill("#field-name", "browser-agent")
    console.page.select_option("#field-model_config_id", label="agent-model")
    console.page.get_by_role("checkbox", name="current_time").check()
    console.page.get_by_role("button", name="Save").click()
    row = console.page.get_by_role("row").filter(has_text="browser-agent")
    expect(row).to_contain_text("current_time")
    row.get_by_role("button", name="Run", exact=True).click()
    console.page.fill("#field-input", "plain run")
    console.page.get_by_role("button", name="Save").click()
    expect(console.page.locator("section.panel .message-body")).to_have_text(re.compile(r"^Answer number \d+\.$"))
    expect(console.page.locator("section.panel")).to_contain_text("Finished")
    row.get_by_role("button", name="Runs").click()
    dialog = console.page.get_by_role("dialog", name="Runs")
    expect(dialog.get_by_role("cell", name="succeeded")).to_be_visible()
    dialog.get_by_role("button", name="Details").click()
    details = console.page.get_by_role("dialog", name="Run details")
    expect(details).to_contain_text("Model call")
    expect(details).to_contain_text("plain run")


def test_switching_to_english_and_back_to_chinese(console):
    console.sign_in()
    nav = console.page.locator("nav.sidebar")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    console.page.get_by_role("combobox", name="Language").select_option("zh-CN")
    expect(nav.get_by_role("link", name="仪表盘")).to_be_visible()
    expect(console.page.locator('[data-count="users"] .card-label')).to_have_text("用户")
    console.page.reload()
    expect(nav.get_by_role("link", name="仪表盘")).to_be_visible()
    console.page.get_by_role("combobox", name="语言").select_option("en")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    # The profile offers the same choices.
    console.page.locator('header a[href="/profile"]').click()
    console.page.select_option("#profile-language", "zh-CN")
    expect(console.page.get_by_role("heading", name="个人资料")).to_be_visible()
    console.page.select_option("#profile-theme", "dark")
    assert console.page.evaluate("document.documentElement.dataset.theme") == "dark"


def test_keyboard_only_sign_in_and_navigation(console):
    console.open("/login")
    console.page.keyboard.type("admin")
    console.page.keyboard.press("Tab")
    console.page.keyboard.type(ADMIN_PASSWORD)
    console.page.keyboard.press("Enter")
    expect(console.page.locator('[data-count="users"]')).to_be_visible()
    link = console.page.locator("nav.sidebar").get_by_role("link", name="Users")
    link.focus()
    console.page.keyboard.press("Enter")
    expect(console.page.get_by_role("heading", name="Users")).to_be_visible()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_opens_without_errors_or_serious_accessibility_violations(console, theme):
    console.sign_in()
    expect(console.page.locator('[data-count="users"]')).to_be_visible()
    if theme == "dark":
        console.page.get_by_role("button", name="Light/dark theme").click()
    problems = {}
    for path in PAGES:
        console.page.locator("nav.sidebar, header.topbar").locator(f'a[href="{path}"]').first.click()
        expect(console.page.locator("#content h1")).to_be_visible()
        console.page.wait_for_load_state("networkidle")
        found = serious_violations(console.page)
        if found:
            problems[path] = found
    assert not problems, problems


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800), (1920, 1080)])
def test_the_dashboard_and_chat_fit_the_screen(console, width, height):
    console.page.set_viewport_size({"width": width, "height": height})
    console.sign_in()
    expect(console.page.locator('[data-count="users"]')).to_be_visible()
    for path in ("/dashboard", "/ai/chat"):
        console.page.locator(f'nav.sidebar a[href="{path}"]').click()
        expect(console.page.locator("#content h1")).to_be_visible()
        overflow = console.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is {overflow} px wider than a {width} px screen"
