"""The report tests' world: the app (APP_BIN) on SQLite, a small local API to test, and an
admin client. The app is started as tests/orchestration starts it (its helpers are reused)."""

import http.server
import importlib.util
import json
import threading
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("orchestration_conftest", HERE.parent / "orchestration" / "conftest.py")
orchestration = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(orchestration)

app_bin = orchestration.app_bin
ADMIN_PASSWORD = "report-tests-admin-password"
# Answered by the target's /hostile route: it must stay text in every report.
HOSTILE = '</script><script>window.pwned = true; document.title = "pwned"</script><img src=x onerror="window.pwned = true">'


class Target(http.server.ThreadingHTTPServer):
    """The API the cases call: `/ok` (JSON), `/status/N` (answers N), `/hostile` (markup)."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.startswith("/status/"):
                    self.answer(int(self.path.rsplit("/", 1)[1]), "application/json", json.dumps({"path": self.path}))
                elif self.path == "/hostile":
                    self.answer(200, "text/html", HOSTILE)
                else:
                    self.answer(200, "application/json", json.dumps({"ok": True, "path": self.path}))

            def answer(self, status, content_type, body):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="session")
def target():
    server = Target()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class API:
    """JSON calls as the admin."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()
        token = self.call("POST", "/api/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body=None, expect=(200, 201, 202)):
        response = self.session.request(method, self.base_url + path, json=body, timeout=60)
        assert response.status_code in expect, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else None

    def download(self, path: str) -> requests.Response:
        response = self.session.get(self.base_url + path, timeout=60)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:500]}"
        return response


@pytest.fixture(scope="session")
def api(app_bin, tmp_path_factory):
    app = orchestration.start_app(app_bin, tmp_path_factory.mktemp("report-app"), {
        "ENVIRONMENT": "development",
        "DATABASE_URL": "sqlite:///./app.db",
        "REDIS_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
    })
    try:
        yield API(app.base_url)
    finally:
        app.stop()
