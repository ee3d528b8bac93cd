"""nginx/ run natively (scripts/lib/nginx.sh rewrites the container paths): the
configuration passes `nginx -t`, requests reach the app with their X-Request-ID, event
streams are not buffered, and the TLS server works once certificates are in place."""

import http.server
import subprocess
import threading
import time

import pytest
import requests
import urllib3

from conftest import REPO, free_port, require_tool, run_lib


class Nginx:
    def __init__(self, directory, http_port, https_port=None):
        self.directory = directory
        self.http_url = f"http://127.0.0.1:{http_port}"
        self.https_url = f"https://127.0.0.1:{https_port}" if https_port else None


def render(tmp_path, upstream_port, https_port=None) -> Nginx:
    require_tool("nginx")
    http_port = free_port()
    out = tmp_path / "nginx"
    result = run_lib(f"nginx_render {REPO}/nginx {out} {http_port} {upstream_port} {https_port or ''}")
    assert result.returncode == 0, result.stderr
    return Nginx(out, http_port, https_port)


def start(server: Nginx):
    result = run_lib(f"nginx_start {server.directory}")
    assert result.returncode == 0, result.stderr


def stop(server: Nginx):
    result = run_lib(f"nginx_stop {server.directory}")
    assert result.returncode == 0, result.stderr


@pytest.fixture
def proxy(tmp_path, sqlite_app):
    server = render(tmp_path, sqlite_app.base_url.rsplit(":", 1)[1])
    start(server)
    yield server
    stop(server)


def test_configuration_passes_nginx_t(tmp_path):
    server = render(tmp_path, free_port())
    result = run_lib(f"nginx -t -p {server.directory} -c {server.directory}/conf/nginx.conf")
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


def test_replicas_get_one_upstream_server_each(tmp_path):
    ports = [free_port(), free_port()]
    server = render(tmp_path, ",".join(map(str, ports)))
    config = (server.directory / "conf/nginx.conf").read_text()
    upstream = config.split("upstream ai_agent_backend {")[1].split("}")[0]
    assert "least_conn;" in upstream
    assert [line.split()[1] for line in upstream.splitlines() if line.strip().startswith("server ")] == [f"127.0.0.1:{p}" for p in ports]
    result = run_lib(f"nginx -t -p {server.directory} -c {server.directory}/conf/nginx.conf")
    assert result.returncode == 0, result.stderr


def test_requests_reach_the_app_with_their_request_id(proxy):
    response = requests.get(proxy.http_url + "/health", headers={"X-Request-ID": "trace-4711"}, timeout=10)
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["status"] == "up"
    assert response.headers["X-Request-ID"] == "trace-4711"
    # Without one, nginx's own id goes to the app, which echoes it.
    generated = requests.get(proxy.http_url + "/health/live", timeout=10).headers["X-Request-ID"]
    assert len(generated) == 32
    # nginx logs a request after answering it.
    wanted = ("request_id=trace-4711", f"request_id={generated}")
    deadline = time.monotonic() + 5
    while not all(w in (access_log := (proxy.directory / "logs/access.log").read_text()) for w in wanted):
        assert time.monotonic() < deadline, f"the access log lacks {wanted}:\n{access_log}"
        time.sleep(0.05)


def test_metrics_are_not_published(proxy):
    assert requests.get(proxy.http_url + "/metrics", timeout=10).status_code == 404


def test_app_down_gives_the_api_error_shape(tmp_path):
    server = render(tmp_path, free_port())
    start(server)
    try:
        response = requests.get(server.http_url + "/api/v1/system/settings", timeout=10)
    finally:
        stop(server)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


class EventStream(http.server.BaseHTTPRequestHandler):
    """An upstream that sends one server-sent event every 0.4 s, like a streamed answer."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for index in range(5):
            self.wfile.write(f"data: token {index}\n\n".encode())
            self.wfile.flush()
            time.sleep(0.4)
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_event_streams_are_passed_on_as_they_come(tmp_path):
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EventStream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    server = render(tmp_path, upstream.server_address[1])
    start(server)
    try:
        started = time.monotonic()
        with requests.get(server.http_url + "/api/v1/chat/stream", stream=True, timeout=10,
                          headers={"Accept-Encoding": "gzip"}) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            assert "Content-Encoding" not in response.headers
            # Chunks as they arrive from the socket (nginx answers with chunked encoding).
            chunks = response.iter_content(chunk_size=None)
            body = next(chunks)
            first_after = time.monotonic() - started
            body += b"".join(chunks)
        total = time.monotonic() - started
    finally:
        stop(server)
        upstream.shutdown()
    assert body.startswith(b"data: token 0\n\n")
    assert body.count(b"data: token") == 5
    assert total >= 1.6
    assert first_after < 1.0, f"the first event took {first_after:.2f} s: nginx held the stream back"


def test_tls_server_works_with_certificates(tmp_path, sqlite_app):
    require_tool("openssl")
    server = render(tmp_path, sqlite_app.base_url.rsplit(":", 1)[1], https_port=free_port())
    certs = server.directory / "conf/certs"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
                   check=True, capture_output=True, timeout=60)
    start(server)
    try:
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        response = requests.get(server.https_url + "/health", headers={"X-Request-ID": "tls-1"}, verify=False, timeout=10)
        plain = requests.get(server.http_url + "/health", timeout=10)
    finally:
        stop(server)
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "tls-1"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(response.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000, "a year at least"
    # HSTS only over TLS (RFC 6797 §7.2); the app's own security headers pass through nginx.
    assert "Strict-Transport-Security" not in plain.headers
    for answer in (response, plain):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
