"""A run's reports from outside: the JUnit XML against the schema Jenkins and GitLab use and
read by junitparser; the HTML page opened in Debian's chromium through Playwright."""

import os
import re
import socket
import time
from pathlib import Path

import junitparser
import pytest
import xmlschema
from playwright.sync_api import sync_playwright

from conftest import HERE, HOSTILE

CHROMIUM = "/usr/bin/chromium"
# Where a failed browser check leaves its screenshot and page.
ARTIFACTS = Path(os.environ.get("REPORT_TEST_ARTIFACTS", "/tmp/ai-agent-report-tests"))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def case(name, url, status=200, tags=()):
    return {"name": name, "tags": list(tags),
            "steps": [{"name": f"GET {url.rsplit('/', 1)[-1]}", "request": {"method": "GET", "url": url},
                       "assert": [{"type": "status", "in": [status]}]}]}


@pytest.fixture(scope="module")
def run(api, target):
    """A finished run of 6 cases, 7 iterations: 4 pass (one answer is markup), 2 fail (one of
    them a data row) and 1 errs (connection refused): (summary, results by iteration)."""
    project = api.call("POST", "/api/v1/projects", {"name": "Reports"})["id"]
    environment = api.call("POST", f"/api/v1/projects/{project}/environments",
                           {"name": "local", "base_urls": {"default": target.base_url}})["id"]
    cases = [
        case("ok", "{{base_url}}/ok", tags=["smoke"]),
        case("created", "{{base_url}}/status/201", status=201, tags=["smoke", "write"]),
        case("hostile", "{{base_url}}/hostile"),
        case("not found", "{{base_url}}/status/404", tags=["write"]),
        case("refused", f"http://127.0.0.1:{closed_port()}/", tags=["network"]),
        {**case("rows", "{{base_url}}/status/{{code}}"), "data": {"columns": ["code"], "rows": [["200"], ["500"]]}},
    ]
    ids = [api.call("POST", f"/api/v1/projects/{project}/cases", body)["id"] for body in cases]
    suite = api.call("POST", f"/api/v1/projects/{project}/suites", {"name": "Smoke & <more>", "case_ids": ids})["id"]
    run_id = api.call("POST", "/api/v1/runs", {"project_id": project, "environment_id": environment, "suite_id": suite})["id"]
    deadline = time.monotonic() + 120
    while True:
        summary = api.call("GET", f"/api/v1/runs/{run_id}")
        if summary["run"]["status"] not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, f"run {run_id} did not finish: {summary}"
        time.sleep(0.2)
    results = api.call("GET", f"/api/v1/runs/{run_id}/results?page_size=100")["items"]
    return summary, {r["iteration"]: r for r in results}


def test_junit_validates_against_the_jenkins_schema_and_reads_in_junitparser(api, run, tmp_path):
    summary, results = run
    response = api.download(f"/api/v1/runs/{summary['run']['id']}/report?format=junit")
    assert response.headers["Content-Type"].startswith("application/xml")
    assert response.headers["Content-Disposition"].endswith('.xml"')
    path = tmp_path / "report.xml"
    path.write_bytes(response.content)

    schema = xmlschema.XMLSchema(str(HERE / "junit.xsd"))
    schema.validate(str(path))
    # The schema has teeth: a case without its name, or a suite without its count, is refused.
    text = response.content.decode()
    assert not schema.is_valid(re.sub(r'(<testcase [^>]*?) name="[^"]*"', r"\1", text, count=1))
    assert not schema.is_valid(re.sub(r'(<testsuite [^>]*?) tests="[^"]*"', r"\1", text, count=1))

    totals = summary["totals"]
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert len(suites) == 1
    suite = suites[0]
    assert suite.name == "Smoke & <more>"
    assert (suite.tests, suite.failures, suite.errors) == (totals["iterations"], totals["failed"], totals["errors"]) == (7, 2, 1)
    cases = {c.name: c for c in suite}
    assert set(cases) == {"ok", "created", "hostile", "not found", "refused", "rows [200]", "rows [500]"}
    kinds = {name: [type(r).__name__ for r in c.result] for name, c in cases.items()}
    assert kinds == {"ok": [], "created": [], "hostile": [], "not found": ["Failure"], "refused": ["Error"],
                     "rows [200]": [], "rows [500]": ["Failure"]}
    failure = cases["not found"].result[0]
    assert failure.type == "status" and "expected" in failure.message and "actual 404" in failure.message
    assert cases["refused"].result[0].type == "connection_refused"
    assert all(c.time >= 0 for c in suite)
    assert HOSTILE in cases["hostile"].system_out
    assert "< 404" in cases["not found"].system_out


class Page:
    """The HTML report opened in headless chromium; on a failed check its screenshot and page
    are kept under ARTIFACTS/<test>."""

    def __init__(self, page, html: str, name: str):
        self.page, self.html, self.name = page, html, name

    def keep_evidence(self) -> Path:
        folder = ARTIFACTS / self.name
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(folder / "screenshot.png"), full_page=True)
        (folder / "report.html").write_text(self.html)
        (folder / "rendered.html").write_text(self.page.content())
        return folder

    def visible_cases(self) -> list[str]:
        return self.page.eval_on_selector_all("details.case:not([hidden]) .name", "nodes => nodes.map(n => n.textContent)")

    def stat(self, key: str) -> str:
        return self.page.get_attribute(f'[data-stat="{key}"]', "data-value")


@pytest.fixture
def report_page(api, run, tmp_path, request):
    summary, _ = run
    response = api.download(f"/api/v1/runs/{summary['run']['id']}/report?format=html")
    assert response.headers["Content-Type"].startswith("text/html")
    path = tmp_path / "report.html"
    path.write_bytes(response.content)
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        page = browser.new_page()
        # Offline means offline: any request but the file itself fails the test.
        requests_made = []
        page.on("request", lambda r: requests_made.append(r.url))
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-rendered]", timeout=10_000)
        wrapped = Page(page, response.text, request.node.name)
        try:
            yield wrapped
            assert requests_made == [path.as_uri()], f"the page fetched {requests_made}"
        except BaseException:
            print(f"screenshot and page kept in {wrapped.keep_evidence()}")
            raise
        finally:
            browser.close()


def test_html_summary_equals_the_run_and_filters_show_the_right_cases(report_page, run):
    summary, results = run
    page = report_page
    totals = summary["totals"]
    for key in ("cases", "iterations", "passed", "failed", "errors"):
        assert page.stat(key) == str(totals[key]), key
    assert float(page.stat("pass_rate")) == pytest.approx(summary["pass_rate"])
    assert float(page.stat("duration_ms")) == pytest.approx(summary["run"]["duration_ms"], abs=0.001)
    assert page.page.text_content('[data-stat="pass_rate"]') == f"{summary['pass_rate'] * 100:.1f}%"
    assert len(page.visible_cases()) == 7

    page.page.check("#failed-only")
    failed = sorted(("rows [500]" if r["case_name"] == "rows" else r["case_name"])
                    for r in results.values() if r["status"] in ("failed", "error"))
    assert sorted(page.visible_cases()) == failed == ["not found", "refused", "rows [500]"]
    assert page.page.text_content("#shown") == "3 of 7 shown"
    page.page.uncheck("#failed-only")

    page.page.select_option("#tag", "smoke")
    assert sorted(page.visible_cases()) == ["created", "ok"]
    page.page.select_option("#tag", "")

    page.page.fill("#search", "/status/404")
    page.page.wait_for_function("document.getElementById('shown').textContent.startsWith('1 of')")
    assert page.visible_cases() == ["not found"]


def test_html_shows_the_evidence_of_a_case_and_keeps_answers_as_text(report_page):
    page = report_page.page
    hostile = page.locator("details.case", has=page.locator(".name", has_text="hostile"))
    hostile.locator("summary").click()
    assert hostile.locator("pre.response").text_content().endswith(HOSTILE)
    assert page.evaluate("window.pwned") is None and page.title() != "pwned"
    assert page.locator("img").count() == 0

    failing = page.locator("details.case", has=page.locator(".name", has_text="not found"))
    assert "actual 404" in failing.locator(".why").text_content()
    failing.locator("summary").click()
    assert failing.locator("td", has_text="404").count() >= 1
    assert "curl" in failing.locator("pre.curl").text_content()
