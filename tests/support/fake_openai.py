"""A stand-in for OpenAI's chat completions API on 127.0.0.1, speaking its real wire format:
JSON for `stream: false`, `data: {chunk}` server-sent events ending with `data: [DONE]` for
`stream: true` (role chunk, content chunks, a usage chunk). What it answers depends on the
last user message:

- "gated ..."   : the first piece, then waits for `release` before the rest;
- "slow ..."    : many pieces, 250 ms apart (to press Stop in the middle);
- "xss ..."     : markup and script payloads inside Markdown;
- "broken ..."  : two pieces, then the connection closes without a finish (a failed stream);
- a question with numbered knowledge passages ([1] ...) in a system message: an answer citing [1];
- anything else: "Answer N" in pieces, N counting the answers given.

A request with a JSON-schema `response_format` gets the structured answer of that test
generation stage (`test_points`, `test_cases`, `review`) for the Pets target of
test_generation_knowledge.py: one test point on `POST /pets`, then three cases (a pet created,
one without a name refused with 422, one aged 0), then a review keeping every case designed.
While `stage_gate` is cleared, those answers wait for it (a generation held in a stage).
`POST /v1/embeddings` answers vectors of hashed character bigrams, so that texts sharing
words (or Chinese characters) are near each other.

`fail_next` makes the next call answer 503 with Retry-After: 0, which the backend retries
after logging a WARNING."""

import hashlib
import http.server
import json
import math
import re
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
        self.stage_gate = threading.Event()
        self.stage_gate.set()
        self.fail_next = threading.Event()
        self.answers = 0
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are separate writes: with Nagle's algorithm the body would wait
            # for the client's delayed ACK (40 ms), which a real provider does not add.
            disable_nagle_algorithm = True

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                if self.path.endswith("/embeddings"):
                    inputs = body.get("input") or []
                    return self.send_json(200, {"object": "list", "model": body.get("model"),
                                                "data": [{"object": "embedding", "index": i, "embedding": embed(text)} for i, text in enumerate(inputs)],
                                                "usage": {"prompt_tokens": sum(len(text) for text in inputs) // 4 + 1, "total_tokens": 0}})
                if server.fail_next.is_set():
                    server.fail_next.clear()
                    return self.send_json(503, {"error": {"message": "overloaded", "type": "server_error", "param": None, "code": None}}, {"Retry-After": "0"})
                prompt = next((m.get("content") or "" for m in reversed(body.get("messages", [])) if m.get("role") == "user"), "")
                schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("name")
                if schema:
                    server.stage_gate.wait(30)
                    return self.send_json(200, {
                        "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000, "model": body.get("model", "gpt-fake"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": json.dumps(structured(schema, prompt))}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 40, "completion_tokens": 60, "total_tokens": 100}})
                grounded = any(m.get("role") == "system" and "\n[1] " in ("\n" + str(m.get("content") or "")) for m in body.get("messages", []))
                pieces = ["The passage says so ", "[1]."] if grounded else server.pieces(prompt if isinstance(prompt, str) else "")
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
                try:
                    send_json(self, status, payload, headers)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the backend dropped the call (a cancelled generation)

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


def send_json(handler: http.server.BaseHTTPRequestHandler, status: int, payload, headers=None):
    """A JSON answer (the fake's, and the local target servers' of the console tests)."""
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


def embed(text: str, dimension: int = 64) -> list[float]:
    vector = [0.0] * dimension
    lowered = text.lower()
    for index in range(max(1, len(lowered) - 1)):
        digest = hashlib.sha1(lowered[index:index + 2].encode()).digest()
        vector[digest[0] % dimension] += 1.0
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]


def pet_case(name: str, kind: str, priority: str, body: dict, status: int) -> dict:
    assertions = [{"type": "status", "equals": status}]
    if status == 201:
        assertions.append({"type": "json", "path": "$.name", "op": "eq", "value": body["name"]})
    return {"name": name, "kind": kind, "priority": priority, "operation": "POST /pets", "test_points": ["TP1"],
            "violation": "name is missing" if kind == "negative" else None,
            "definition": {"steps": [{"name": "create", "request": {"method": "POST", "url": "{{base_url}}/pets", "body": {"type": "json", "json": body}},
                                      "assert": assertions}]}}


def structured(schema: str, prompt: str) -> dict:
    if schema == "test_points":
        return {"test_points": [{"id": "TP1", "title": "Create pets by name", "behaviour": "A pet is created from a name", "inputs": ["name"],
                                 "rules": ["name is required"], "risks": ["empty names"],
                                 "source": {"kind": "operation", "operation": "POST /pets", "fields": ["name"]}}]}
    if schema == "test_cases":
        return {"cases": [pet_case("create a pet", "positive", "high", {"name": "Rex", "age": 3}, 201),
                          pet_case("a pet without a name is refused", "negative", "medium", {"age": 2}, 422),
                          pet_case("a newborn pet", "boundary", "low", {"name": "Tiny", "age": 0}, 201)]}
    if schema == "review":
        refs = sorted(set(re.findall(r"\bC\d+\b", prompt)), key=lambda ref: int(ref[1:]))
        priorities = ["high", "medium", "low"]
        return {"scores": {"coverage": 8, "clarity": 9}, "holes": ["ages above 30"],
                "cases": [{"ref": ref, "priority": priorities[index % 3], "test_points": ["TP1"], "duplicate_of": None} for index, ref in enumerate(refs)]}
    return {"definition": {"steps": []}, "note": f"no answer scripted for {schema}"}
