# Installs what the tests, the native stack and the benchmarks need, from Debian's
# packages and PyPI, only when missing. Source it and call ensure_deps.
# (openssl makes the TLS test's certificate; inotify-tools runs scripts/dev-watch.)

ensure_deps() {
  local packages=()
  command -v curl >/dev/null || packages+=(curl)
  command -v strip >/dev/null || packages+=(binutils)
  command -v openssl >/dev/null || packages+=(openssl)
  command -v inotifywait >/dev/null || packages+=(inotify-tools)
  command -v redis-server >/dev/null || packages+=(redis-server)
  command -v redis-cli >/dev/null || packages+=(redis-tools)
  [[ -x /usr/lib/postgresql/15/bin/postgres ]] || packages+=(postgresql-15)
  command -v nginx >/dev/null || packages+=(nginx-light)
  command -v prometheus >/dev/null && command -v promtool >/dev/null || packages+=(prometheus)
  command -v docker-compose >/dev/null || packages+=(docker-compose)
  command -v wrk >/dev/null || packages+=(wrk)
  command -v hyperfine >/dev/null || packages+=(hyperfine)
  # pdftotext reads the knowledge bases' PDF documents.
  command -v pdftotext >/dev/null || packages+=(poppler-utils)
  if ((${#packages[@]})); then
    echo "installing: ${packages[*]}" >&2
    _deps_apt_update || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null || return 1
  fi

  if ! python3 -c 'import schemathesis, openapi_spec_validator' 2>/dev/null; then
    echo "installing: schemathesis openapi-spec-validator" >&2
    python3 -m pip install -q "schemathesis>=4,<5" openapi-spec-validator 2>/dev/null || return 1
  fi
  # fpdf2: writes the PDF the knowledge base tests upload.
  if ! python3 -c 'import fpdf' 2>/dev/null; then
    echo "installing: fpdf2" >&2
    python3 -m pip install -q fpdf2 2>/dev/null ||
      { _deps_apt_update && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-fpdf >/dev/null; } || return 1
  fi
  # aiosmtpd: the SMTP server the notification tests send e-mail to.
  if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    echo "installing: aiosmtpd" >&2
    python3 -m pip install -q aiosmtpd 2>/dev/null ||
      { _deps_apt_update && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-aiosmtpd >/dev/null; } || return 1
  fi
  # kubernetes-validate: the Kubernetes schemas deploy/kubernetes is checked against, offline
  # (tests/orchestration/test_kubernetes.py); pinned, so the schemas it ships do not move.
  if [[ $(python3 -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null) != 1.37.0 ]]; then
    echo "installing: kubernetes-validate 1.37.0" >&2
    python3 -m pip install -q "kubernetes-validate==1.37.0" 2>/dev/null || return 1
  fi
  python3 -c 'import pytest, requests, yaml' 2>/dev/null && return 0
  echo "installing: pytest requests pyyaml" >&2
  # A Debian system Python refuses pip (PEP 668); its packaged modules serve as well.
  python3 -m pip install -q pytest requests pyyaml 2>/dev/null && return 0
  _deps_apt_update && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pytest python3-requests python3-yaml >/dev/null
}

# The peers of scripts/bench-api-testing, each in a virtualenv of its own under $1, as they
# cannot share one (httprunner 4.3.5 pins jmespath<0.10, tavern 3.7.1 needs jmespath>=1).
# hrun formats the pytest files it makes with black; tavern 3.7.1 fails to load on pytest 9.2.
# Apart from ensure_deps, so that scripts/test does not install them.
ensure_bench_peers() {
  _deps_venv "$1/httprunner" httprunner==4.3.5 pytest-xdist black || return 1
  _deps_venv "$1/tavern" tavern==3.7.1 "pytest<9" pytest-xdist
}

# Makes the virtualenv $1 holding the packages named after it, unless it already does.
_deps_venv() {
  local venv="$1"
  shift
  [[ -f $venv/.packages && $(<"$venv/.packages") == "$*" ]] && return 0
  echo "installing into $venv: $*" >&2
  # A Debian system Python makes virtualenvs only with python3-venv.
  python3 -c 'import ensurepip' 2>/dev/null ||
    { _deps_apt_update && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; } || return 1
  python3 -m venv "$venv" && "$venv/bin/python" -m pip install -q "$@" && echo "$*" >"$venv/.packages"
}

_deps_apt_updated=
_deps_apt_update() {
  [[ -n $_deps_apt_updated ]] && return 0
  apt-get update -qq >/dev/null && _deps_apt_updated=1
}

# What tests/reports needs: Debian's chromium, and the virtualenv $1 with Playwright (which
# drives that chromium: no browser of its own is downloaded), junitparser, xmlschema, pytest
# and requests. Apart from ensure_deps, as only scripts/test's report tests use them.
ensure_browser_deps() {
  if [[ ! -x /usr/bin/chromium ]]; then
    echo "installing: chromium" >&2
    _deps_apt_update && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null || return 1
  fi
  # axe-playwright-python bundles axe-core (pytest-playwright-axe needs Python 3.12; Debian 12 has 3.11).
  _deps_venv "$1" playwright junitparser xmlschema pytest requests axe-playwright-python
}
