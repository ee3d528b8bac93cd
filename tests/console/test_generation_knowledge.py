"""The AI generation and knowledge base pages in headless chromium, as a tester (not an admin):
a generation verified against a local Pets API, two of its cases accepted into a suite and run;
a Markdown and a Chinese document dropped on a knowledge base, indexed, and found in the
playground; a grounded chat answer whose citation opens; a viewer who cannot edit; every new
page without errors, without serious axe violations, in both languages."""

import http.server
import json
import re
import threading

import pytest
from playwright.sync_api import expect

from conftest import API, fake_openai, orchestration
from test_console import serious_violations

wait_for = orchestration.wait_for
TESTER, TESTER_PASSWORD = "gen-tester", "gen-tester-pass-1"
VIEWER, VIEWER_PASSWORD = "gen-viewer", "gen-viewer-pass-1"

PETS_OPENAPI = {
    "openapi": "3.0.3", "info": {"title": "Pets", "version": "1"},
    "paths": {"/pets": {"post": {
        "summary": "Create a pet",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1}, "age": {"type": "integer", "minimum": 0}}}}}},
        "responses": {"201": {"description": "created", "content": {"application/json": {"schema": {
            "type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}}}},
            "422": {"description": "invalid"}}}}},
}

GUIDE_MD = """# Shipping guide

## Parcels

Parcels leave the warehouse every weekday before noon.

## Returns

A return label is printed from the order page.
"""

CHINESE_TXT = """售后服务说明

退款申请需要在收货后七天内提交，客服会在两个工作日内处理。

发票可以在订单页面下载，电子发票与纸质发票具有同等效力。
"""


class PetsTarget(http.server.ThreadingHTTPServer):
    """The API the generated cases run against: POST /pets answers 201 for a named pet, else 422."""

    daemon_threads = True

    def __init__(self):
        counter = {"id": 0}

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                if self.path != "/pets" or not isinstance(body.get("name"), str) or not body["name"] or body.get("age", 0) < 0:
                    return fake_openai.send_json(self, 422, {"error": "invalid pet"})
                counter["id"] += 1
                fake_openai.send_json(self, 201, {"id": counter["id"], "name": body["name"]})

            def log_message(self, *_):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def world(app, api, fake):
    """A tester and a viewer; a model on the fake provider; the tester's project with the Pets
    API imported, an environment on the local target, the viewer a member."""
    target = PetsTarget()
    thread = threading.Thread(target=target.serve_forever, daemon=True)
    thread.start()
    api.create_user(TESTER, TESTER_PASSWORD, "tester")
    viewer = api.create_user(VIEWER, VIEWER_PASSWORD, "viewer")
    model = api.call("POST", "/api/v1/models", {"name": "gen-model", "provider": "openai", "model": "gpt-fake", "base_url": fake.base_url,
                                                "api_key": "sk-test-0123456789abcdef"})
    tester = API(app.base_url, TESTER, TESTER_PASSWORD)
    project = tester.call("POST", "/api/v1/projects", {"name": "Pets shop", "member_ids": [viewer["id"]]})
    tester.call("POST", f"/api/v1/projects/{project['id']}/imports", {"content": json.dumps(PETS_OPENAPI)})
    environment = tester.call("POST", f"/api/v1/projects/{project['id']}/environments", {
        "name": "local", "base_urls": {"default": target.base_url}, "variables": [{"name": "api_key", "value": "pets-secret-1", "secret": True}]})
    endpoint = tester.call("GET", f"/api/v1/projects/{project['id']}/endpoints")["items"][0]
    yield {"tester": tester, "project": project, "environment": environment, "model": model, "endpoint": endpoint}
    target.shutdown()
    target.server_close()


@pytest.fixture(scope="module")
def indexed_base(world):
    """A base the tester filled through the API, both documents indexed."""
    tester = world["tester"]
    base = tester.call("POST", "/api/v1/knowledge-bases", {"name": "Support answers", "embedding_model_id": world["model"]["id"], "chunking": "markdown"})
    for name, text in (("guide.md", GUIDE_MD), ("售后.txt", CHINESE_TXT)):
        response = tester.session.post(f"{tester.base_url}/api/v1/knowledge-bases/{base['id']}/documents", files={"file": (name, text.encode())}, timeout=30)
        assert response.status_code == 201, response.text
    wait_for("both documents indexed", lambda: all(d["status"] == "ready" for d in tester.call("GET", f"/api/v1/knowledge-bases/{base['id']}/documents")["items"]))
    return base


def sign_in_as(console, username, password):
    console.sign_in(username, password)
    expect(console.page.locator("nav.sidebar")).to_be_visible()
    # The dashboard's requests end before the test moves on (leaving would abort them).
    console.page.wait_for_load_state("networkidle")


def visit(page, path):
    """Routes inside the console, as its links do."""
    page.evaluate("(path) => { history.pushState(null, '', path); dispatchEvent(new PopStateEvent('popstate')); }", path)


def test_a_tester_generates_with_verification_then_accepts_two_cases_into_a_suite_and_runs_them(console, world, fake):
    page = console.page
    project = world["project"]
    sign_in_as(console, TESTER, TESTER_PASSWORD)
    page.locator("nav.sidebar").get_by_role("link", name="AI test generation").click()
    page.get_by_role("link", name="Pets shop").click()
    page.get_by_role("button", name="New generation").click()
    # Without a target the API's 422 shows in the form.
    console.expected_refusals = 1
    page.get_by_role("button", name="Generate").click()
    expect(page.locator(".generation-form [role=alert]")).not_to_be_empty()
    page.get_by_role("checkbox", name="POST /pets Create a pet").check()
    page.fill("#generation-requirement", "Pets are created with a **name**.")
    expect(page.locator(".preview strong")).to_have_text("name")
    page.fill("#generation-count", "3")
    # The three sliders always total 100.
    page.locator("#priority-high").evaluate("(slider) => { slider.value = 60; slider.dispatchEvent(new Event('input')); }")
    values = [int(page.locator(f'output[for="priority-{name}"]').inner_text().rstrip("%")) for name in ("high", "medium", "low")]
    assert values[0] == 60 and sum(values) == 100, values
    page.select_option("#generation-environment", label="local")
    # The model holds its first answer: the page shows the analysis running, live.
    fake.stage_gate.clear()
    try:
        page.get_by_role("button", name="Generate").click()
        expect(page).to_have_url(re.compile(r"/generations/[0-9a-fA-F-]{36}/[0-9a-fA-F-]{36}$"))
        expect(page.locator('[data-stage="analyse"]')).to_have_attribute("data-stage-status", "running")
        expect(page.locator('[data-stage="design"]')).to_have_attribute("data-stage-status", "pending")
    finally:
        fake.stage_gate.set()
    generation_id = page.url.rsplit("/", 1)[1]
    # Each stage ends up done, as the events report it.
    for stage in ("analyse", "design", "review", "verify"):
        expect(page.locator(f'[data-stage="{stage}"]')).to_have_attribute("data-stage-status", "finished", timeout=60_000)
    expect(page.locator(".status[data-status=succeeded]").first).to_be_visible()
    stored = world["tester"].call("GET", f"/api/v1/projects/{project['id']}/generations/{generation_id}")
    assert stored["request"]["priority_split"]["high"] == 60 and sum(stored["request"]["priority_split"].values()) == 100
    assert stored["request"]["environment_id"] == world["environment"]["id"]
    expect(page.locator("#traceability")).to_contain_text("POST /pets")
    expect(page.locator("#holes")).to_contain_text("ages above 30")
    for ref in ("C1", "C2", "C3"):
        expect(page.locator(f'#drafts tr[data-ref="{ref}"] .status')).to_have_text("Passed")

    # A draft opens read-only, with its steps and its verification evidence.
    page.locator('#drafts tr[data-ref="C2"]').get_by_role("button", name="View").click()
    view = page.get_by_role("dialog")
    expect(view).to_contain_text("POST {{base_url}}/pets")
    expect(view.locator(".evidence").first).to_contain_text("→ 422")
    expect(view.locator(".evidence .status").first).to_have_text("Passed")
    view.get_by_role("button", name="Close").click()

    page.get_by_role("checkbox", name="Select C1").check()
    page.get_by_role("checkbox", name="Select C3").check()
    page.select_option("#accept-suite", "new")
    page.fill("#accept-suite-name", "Generated pets")
    page.get_by_role("button", name="Accept selected").click()
    expect(page.get_by_text("2 cases accepted")).to_be_visible()
    suites = world["tester"].call("GET", f"/api/v1/projects/{project['id']}/suites")["items"]
    suite = next(item for item in suites if item["name"] == "Generated pets")
    assert len(suite["case_ids"]) == 2
    expect(page.locator('#drafts tr[data-ref="C2"] input[type=checkbox]')).to_have_count(1)
    expect(page.locator('#drafts tr[data-ref="C1"]')).to_contain_text("Accepted")

    page.get_by_role("button", name="Run them").click()
    expect(page.locator("#run-result")).to_contain_text("Run passed", timeout=30_000)
    expect(page.locator("#run-result li")).to_have_count(2)
    assert not serious_violations(page)

    # Read-only until edited: editing a draft accepts it and opens the case it became in the case editor.
    page.locator('#drafts tr[data-ref="C2"]').get_by_role("button", name="View").click()
    page.get_by_role("dialog").get_by_role("button", name="Edit in the case editor").click()
    expect(page.locator("#case-name")).to_be_visible()
    drafts = world["tester"].call("GET", f"/api/v1/projects/{project['id']}/generations/{generation_id}/cases")["items"]
    c2 = next(draft for draft in drafts if draft["ref"] == "C2")
    assert c2["accepted_case_id"] and page.url.endswith(f"/cases/{c2['accepted_case_id']}")
    expect(page.locator("#case-name")).to_have_value(c2["name"])


def drop_files(page, selector, files):
    transfer = page.evaluate_handle("""(files) => {
        const transfer = new DataTransfer();
        for (const [name, text] of files) transfer.items.add(new File([text], name, { type: "text/plain" }));
        return transfer;
    }""", files)
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_a_tester_drops_two_documents_waits_for_their_indexing_and_finds_a_chinese_phrase(console, world):
    page = console.page
    sign_in_as(console, TESTER, TESTER_PASSWORD)
    page.locator("nav.sidebar").get_by_role("link", name="Knowledge base").click()
    page.get_by_role("button", name="New knowledge base").click()
    page.fill("#field-name", "Handbook")
    page.select_option("#field-embedding_model_id", label="gen-model (gpt-fake)")
    page.select_option("#field-chunking", "markdown")
    page.fill("#field-chunk_size", "128")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Handbook").click()
    expect(page.get_by_role("heading", name="Handbook")).to_be_visible()

    drop_files(page, "#knowledge-dropzone", [["guide.md", GUIDE_MD], ["售后说明.txt", CHINESE_TXT]])
    for name in ("guide.md", "售后说明.txt"):
        upload = page.locator(f'li[data-upload="{name}"]')
        expect(upload).to_contain_text("Uploaded")
        assert upload.locator("progress").evaluate("(bar) => bar.value") == 1
        expect(page.locator(f'tr[data-document="{name}"] .status')).to_have_attribute("data-status", "ready", timeout=60_000)

    # A file the parser refuses fails with its reason; Retry sends it again as a new document.
    drop_files(page, "#knowledge-dropzone", [["broken.docx", "this is not a zip archive"]])
    failed = page.locator('tr[data-document="broken.docx"]')
    expect(failed.locator(".status")).to_have_attribute("data-status", "failed", timeout=60_000)
    expect(failed.locator(".form-error")).not_to_be_empty()
    tester = world["tester"]
    base = next(item for item in tester.call("GET", "/api/v1/knowledge-bases?page_size=100")["items"] if item["name"] == "Handbook")

    def broken():
        return [item for item in tester.call("GET", f"/api/v1/knowledge-bases/{base['id']}/documents")["items"] if item["name"] == "broken.docx"]
    first = broken()[0]
    failed.get_by_role("button", name="Retry").click()
    wait_for("the retried document failing again", lambda: [item for item in broken() if item["id"] != first["id"] and item["status"] == "failed"] and len(broken()) == 1)
    expect(page.locator('tr[data-document="broken.docx"] .status')).to_have_attribute("data-status", "failed")

    page.fill("#search-query", "退款申请")
    page.select_option("#search-mode", "keyword")
    page.fill("#search-top-k", "3")
    page.get_by_role("button", name="Search").click()
    hit = page.locator(".hit").first
    expect(hit).to_contain_text("售后说明.txt")
    expect(hit.locator("mark").first).to_have_text(re.compile("退款"))
    page.select_option("#search-mode", "hybrid")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".hit").first).to_contain_text("fused")
    # Heading paths of the Markdown document show on its hits.
    page.fill("#search-query", "return label")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".hit").filter(has_text="guide.md").first).to_contain_text("Shipping guide › Returns")
    assert not serious_violations(page)


def test_a_grounded_chat_answer_cites_a_passage_that_opens(console, world, indexed_base):
    page = console.page
    sign_in_as(console, TESTER, TESTER_PASSWORD)
    page.locator("nav.sidebar").get_by_role("link", name="Chat").click()
    page.get_by_role("button", name="New chat").click()
    page.select_option("#field-target", label="Model: gen-model")
    page.get_by_role("checkbox", name="Support answers").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#chat-knowledge-note")).to_be_visible()
    page.fill("#chat-input", "退款申请要多久提交？")
    page.click("#chat-send")
    citation = page.locator(".message.assistant").get_by_role("button", name="Citation [1]")
    expect(citation).to_be_visible()
    citation.click()
    passage = page.get_by_role("dialog", name="Citation [1]")
    expect(passage.locator(".cited-text")).to_contain_text("退款申请")
    expect(passage).to_contain_text("售后.txt")
    passage.get_by_role("button", name="Close").click()
    # The stored answer keeps its citations.
    page.reload()
    page.locator(".session-list button").first.click()
    expect(page.locator(".message.assistant").get_by_role("button", name="Citation [1]")).to_be_visible()


def test_a_running_generation_is_cancelled_from_its_page(console, world, fake):
    page = console.page
    project = world["project"]
    fake.stage_gate.clear()
    try:
        generation = world["tester"].call("POST", f"/api/v1/projects/{project['id']}/generations", {
            "model_id": world["model"]["id"], "endpoint_ids": [world["endpoint"]["id"]], "count": 1}, expect=(202,))
        sign_in_as(console, TESTER, TESTER_PASSWORD)
        visit(page, f"/testing/generations/{project['id']}/{generation['id']}")
        expect(page.locator('[data-stage="analyse"]')).to_have_attribute("data-stage-status", "running")
        page.get_by_role("button", name="Cancel generation").click()
        expect(page.locator(".page-head .status")).to_have_text("Cancelled")
        expect(page.locator("#generation-cancel")).to_be_hidden()
        wait_for("the generation cancelled", lambda: world["tester"].call(
            "GET", f"/api/v1/projects/{project['id']}/generations/{generation['id']}")["status"] == "cancelled")
    finally:
        fake.stage_gate.set()


def test_a_viewer_sees_the_pages_but_cannot_edit(console, world, indexed_base):
    page = console.page
    project = world["project"]
    generation = world["tester"].call("POST", f"/api/v1/projects/{project['id']}/generations", {
        "model_id": world["model"]["id"], "endpoint_ids": [], "requirement": "Pets are created with a name.", "count": 1}, expect=(202,))
    sign_in_as(console, VIEWER, VIEWER_PASSWORD)
    page.locator("nav.sidebar").get_by_role("link", name="Knowledge base").click()
    expect(page.get_by_role("link", name="Support answers")).to_be_visible()
    for name in ("New knowledge base", "Edit", "Delete"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    page.get_by_role("link", name="Support answers").click()
    expect(page.locator('tr[data-document="guide.md"]')).to_be_visible()
    expect(page.locator("#knowledge-dropzone")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    visit(page, f"/testing/generations/{project['id']}")
    expect(page.get_by_role("heading", name="AI test generation · Pets shop")).to_be_visible()
    expect(page.get_by_role("button", name="New generation")).to_have_count(0)
    visit(page, f"/testing/generations/{project['id']}/{generation['id']}")
    expect(page.locator('[data-stage="analyse"]')).to_be_visible()
    expect(page.locator("#generation-cancel")).to_be_hidden()
    expect(page.locator("#accept-selected")).to_have_count(0)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_new_page_opens_without_errors_or_serious_violations_in_both_languages(console, world, indexed_base, theme):
    page = console.page
    project = world["project"]
    # Finished generations only: a live one's event stream would still be open when the page changes.
    finished = ("succeeded", "failed", "cancelled")

    def when_all_finished():
        items = world["tester"].call("GET", f"/api/v1/projects/{project['id']}/generations")["items"]
        return {"items": items} if all(item["status"] in finished for item in items) else None
    generations = wait_for("every generation finished", when_all_finished)["items"]
    paths = ["/ai/knowledge", f"/ai/knowledge/{indexed_base['id']}", "/testing/generations", f"/testing/generations/{project['id']}"]
    paths += [f"/testing/generations/{project['id']}/{item['id']}" for item in generations[:1]]
    sign_in_as(console, TESTER, TESTER_PASSWORD)
    if theme == "dark":
        page.get_by_role("button", name="Light/dark theme").click()
    problems = {}
    for language in ("en", "zh-CN"):
        page.locator("header select.language").select_option(language)
        for path in paths:
            visit(page, path)
            expect(page.locator("#content h1")).to_be_visible()
            page.wait_for_load_state("networkidle")
            # No message key shows raw: both catalogues are complete for these pages.
            raw = re.findall(r"\b(?:generation|knowledge)\.[a-zA-Z]+", page.locator("#content").inner_text())
            found = serious_violations(page) + [f"raw message key {key}" for key in raw]
            if found:
                problems[f"{language} {path}"] = found
    assert not problems, problems
