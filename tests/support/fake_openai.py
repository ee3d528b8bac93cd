"""A stand-in for OpenAI's chat completions API on 127.0.0.1, speaking its real wire format:
JSON for `stream: false`, `data: {chunk}` server-sent events ending with `data: [DONE]` for
`stream: true` (role chunk, content chunks, a usage chunk). What it answers depends on the
last user message:

- "gated ..."   : the first piece, then waits for `release` before the rest;
- "slow ..."    : many pieces, 250 ms apart (to press Stop in the middle);
- "xss ..."     : markup and script payloads inside Markdown;
- "broken ..."  : two pieces, then the connection closes without a finish (a failed stream);
- anything else: "Answer N" in pieces, N counting the answers given.

`fail_next` makes the next call answer 503 with Retry-After: 0, which the backend retries
after logging a WARNING."""

import http.server
import json
import threading
import time

XSS = (
    "Here is **bold** text.\n\n"
    "<script>window.pwned = true</script>\n\n"
    '<img src=x onerror="window.pwned = true">\n\n'
    "[click me](javascript:window.pwned=true)\n\n"
    "| a | b |\n| --- | --- |\n| 1 | <b onmouseover=alert(1)>2</b> |\n\n"
    "```html\n<script>window.pwned = true</script>\n```"
)


class FakeOpenAI(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        self.release = threading.Event()
        self.fail_next = threading.Event()
        self.answers = 0
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                if server.fail_next.is_set():
                    server.fail_next.clear()
                    return self.send_json(503, {"error": {"message": "overloaded", "type": "server_error", "param": None, "code": None}}, {"Retry-After": "0"})
                prompt = next((m.get("content") or "" for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")
                pieces = server.pieces(prompt if isinstance(prompt, str) else "")
                if not body.get("stream"):
                    return self.send_json(200, {
                        "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000, "model": body.get("model", "gpt-fake"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(pieces)}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    self.event({"role": "assistant", "content": ""})
                    for index, piece in enumerate(pieces):
                        if prompt.startswith("gated") and index == 1:
                            server.release.wait(30)
                        if prompt.startswith("slow"):
                            time.sleep(0.25)
                        self.event({"content": piece})
                    if prompt.startswith("broken"):
                        return
                    self.event({}, finish="stop")
                    self.write({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "gpt-fake",
                                "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": len(pieces), "total_tokens": 12 + len(pieces)}})
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the backend stopped the stream (Stop in the console)

            def event(self, delta, finish=None):
                self.write({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "gpt-fake",
                            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

            def write(self, payload):
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

            def send_json(self, status, payload, headers=None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}/v1"

    def pieces(self, prompt: str) -> list[str]:
        if prompt.startswith("xss"):
            return [XSS[i:i + 20] for i in range(0, len(XSS), 20)]
        if prompt.startswith("slow"):
            return [f"word{i} " for i in range(60)]
        if prompt.startswith("gated"):
            return ["First part, ", "then the rest."]
        if prompt.startswith("broken"):
            return ["Half an ", "answer"]
        with self.lock:
            self.answers += 1
            number = self.answers
        return ["Answer ", f"number {number}", "."]
