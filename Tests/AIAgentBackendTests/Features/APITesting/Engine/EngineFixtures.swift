/// Case definitions shared by the engine's tests.
enum EngineFixtures {
    /// The README's example.
    static let readmeExample = #"""
        {"variables": {"user": "alice"},
         "data": {"columns": ["user", "password"], "rows": [["alice", "pw1"], ["bob", "pw2"]]},
         "steps": [
          {"name": "login", "request": {"method": "POST", "url": "{{base_url}}/auth/login",
             "headers": {"X-Trace": "{{$uuid}}"}, "query": {},
             "body": {"type": "json", "json": {"username": "{{user}}", "password": "{{password}}"}}},
           "extract": [{"var": "token", "from": "json", "path": "$.access_token"},
                       {"var": "sid", "from": "header", "name": "Set-Cookie", "regex": "sid=([^;]+)"}],
           "assert": [{"type": "status", "in": [200, 201]},
                      {"type": "json", "path": "$.token_type", "op": "eq", "value": "bearer"},
                      {"type": "response_time", "lt_ms": 5000}]},
          {"name": "me", "request": {"method": "GET", "url": "{{base_url}}/auth/me",
             "auth": {"type": "bearer", "token": "{{token}}"}},
           "assert": [{"type": "json", "path": "$.username", "op": "eq", "value": "{{user}}"},
                      {"type": "schema"}]}]}
        """#
}
