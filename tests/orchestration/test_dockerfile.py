"""Dockerfile, Dockerfile.dev and .dockerignore, read instruction by instruction (no
Docker engine here to build them)."""

import fnmatch
import re
import shlex

from conftest import REPO


def instructions(name: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in (REPO / name).read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, rest = current.partition(" ")
        logical.append((keyword.upper(), rest.strip()))
        current = ""
    return logical


def stages(name: str) -> list[list[tuple[str, str]]]:
    result = []
    for keyword, rest in instructions(name):
        if keyword == "FROM":
            result.append([])
        result[-1].append((keyword, rest))
    return result


def arguments(stage, keyword):
    return [rest for k, rest in stage if k == keyword]


def test_production_image_is_multi_stage():
    build, runtime = stages("Dockerfile")
    assert re.fullmatch(r"swift:6\.\d+-jammy AS build", arguments(build, "FROM")[0], re.IGNORECASE)
    assert any("swift build -c release --static-swift-stdlib" in run for run in arguments(build, "RUN"))
    assert arguments(runtime, "FROM") == ["ubuntu:jammy"]
    assert any(rest.startswith("--from=build ") for rest in arguments(runtime, "COPY"))


def test_runtime_stage():
    runtime = stages("Dockerfile")[-1]
    installs = " ".join(arguments(runtime, "RUN"))
    for package in ("ca-certificates", "tzdata", "curl"):
        assert package in installs
    assert "useradd" in installs and " app" in installs
    for folder in ("/app/logs", "/app/uploads"):
        assert folder in installs
    assert arguments(runtime, "USER") == ["app"], "the service must not run as root"
    assert arguments(runtime, "EXPOSE") == ["8000"]
    assert arguments(runtime, "ENTRYPOINT") == ['["ai-agent-backend"]']
    assert arguments(runtime, "CMD") == ['["serve"]']

    healthcheck = arguments(runtime, "HEALTHCHECK")[0]
    options = dict(re.findall(r"--([a-z-]+)=(\S+)", healthcheck))
    assert options == {"interval": "30s", "timeout": "10s", "start-period": "40s", "retries": "3"}
    assert "/health" in healthcheck.split(" CMD ", 1)[1]


def test_development_image():
    (stage,) = stages("Dockerfile.dev")
    assert re.fullmatch(r"swift:6\.\d+-jammy", arguments(stage, "FROM")[0])
    assert "inotify-tools" in " ".join(arguments(stage, "RUN"))
    assert arguments(stage, "WORKDIR") == ["/app"]
    assert arguments(stage, "CMD") == ['["scripts/dev-watch"]']
    watcher = REPO / "scripts/dev-watch"
    assert watcher.is_file() and watcher.stat().st_mode & 0o111


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern decides; `!` re-includes. A pattern matches
    a path or any of its parent folders."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if pattern.startswith("**/"):
            hit = any(fnmatch.fnmatch(c.rsplit("/", 1)[-1], pattern[3:]) for c in candidates)
        else:
            hit = any(fnmatch.fnmatch(c, pattern) for c in candidates)
        if hit:
            result = not negate
    return result


def test_dockerignore_keeps_secrets_and_build_products_out():
    patterns = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for path in (".build/debug/x", ".build-linux/x", ".env", ".env.production", "logs/app.log",
                 "uploads/a.pdf", "ai_agent.db", "ai_agent.db-wal", ".git/HEAD", ".stack/stack.env"):
        assert ignored(path, patterns), f"{path} would be sent to the Docker build"
    # What `swift build` reads stays in the context.
    for path in ("Package.swift", "Package.resolved", "Sources/AIAgentBackend/Settings/Settings.swift",
                 "Tests/AIAgentBackendTests/Support/AppTesting.swift"):
        assert not ignored(path, patterns), f"{path} is needed by the build but ignored"


def test_dockerfile_copies_only_what_exists():
    build = stages("Dockerfile")[0]
    for rest in arguments(build, "COPY"):
        sources = shlex.split(rest)[:-1]
        for source in sources:
            if source == ".":
                continue
            assert list(REPO.glob(source)), f"COPY {source}: nothing in the repo matches"


def test_runtime_image_serves_the_console():
    runtime = stages("Dockerfile")[-1]
    assert "Console/ /opt/ai-agent-backend/Console/" in arguments(runtime, "COPY")
    assert "CONSOLE_DIR=/opt/ai-agent-backend/Console" in " ".join(arguments(runtime, "ENV"))
    assert (REPO / "Console" / "index.html").is_file()
