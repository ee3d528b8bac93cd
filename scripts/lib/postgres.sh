# PostgreSQL 15 on 127.0.0.1 in a folder of its own, for scripts/stack and scripts/test.
# Source it. PostgreSQL refuses to run as root, so under root the server and its tools
# run as the `postgres` user, and the folder belongs to that user.
#
#   pg_start DIR PORT [SERVER_OPTIONS]  initdb DIR/data when needed, start, wait, create the database
#   pg_stop DIR                         fast shutdown by the PID in DIR/data/postmaster.pid
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_DATABASE (default
# ai_agent_db), PG_PASSWORD (when set at the first start, TCP logins need it; otherwise trust).

source "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

_pg_as_owner() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# The postgres user must be able to walk down to DIR: grant search (not read) on any
# ancestor it cannot enter, e.g. a 0700 temporary folder.
_pg_make_reachable() {
  local dir
  dir=$(dirname "$(realpath -m "$1")")
  while [[ $dir != / ]]; do
    runuser -u postgres -- test -x "$dir" || chmod o+x "$dir"
    dir=$(dirname "$dir")
  done
}

pg_start() {
  local dir=$1 port=$2 options=${3:-}
  local data="$dir/data" database=${PG_DATABASE:-ai_agent_db}
  if [[ ! -x $PG_BIN/postgres ]]; then
    echo "pg_start: no PostgreSQL server at $PG_BIN (install postgresql-15)" >&2
    return 1
  fi
  mkdir -p "$dir"
  dir=$(realpath "$dir")
  data="$dir/data"
  if [[ $(id -u) == 0 ]]; then
    _pg_make_reachable "$dir"
    chown postgres: "$dir"
  fi
  chmod 700 "$dir"

  if [[ ! -s $data/PG_VERSION ]]; then
    local auth=(--auth=trust)
    if [[ -n ${PG_PASSWORD:-} ]]; then
      # The password file is read by initdb as the postgres user, then removed.
      (umask 077 && printf '%s\n' "$PG_PASSWORD" >"$dir/pwfile")
      [[ $(id -u) == 0 ]] && chown postgres: "$dir/pwfile"
      auth=(--auth-local=trust --auth-host=scram-sha-256 "--pwfile=$dir/pwfile")
    fi
    if ! _pg_as_owner "$PG_BIN/initdb" -D "$data" -U postgres --encoding=UTF8 --locale=C.UTF-8 --no-sync \
      "${auth[@]}" >"$dir/initdb.log" 2>&1; then
      rm -f "$dir/pwfile"
      echo "pg_start: initdb failed; see $dir/initdb.log" >&2
      return 1
    fi
    rm -f "$dir/pwfile"
  fi

  if pid_alive "$(head -n1 "$data/postmaster.pid" 2>/dev/null)"; then
    echo "pg_start: a server already runs on $data" >&2
    return 1
  fi
  # Unix socket in DIR, so nothing is written to /var/run/postgresql.
  if ! _pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' $options" start >/dev/null; then
    echo "pg_start: the server did not start; see $dir/postgres.log" >&2
    return 1
  fi

  # Local socket logins are trusted, so the database is created without the password.
  local psql=("$PG_BIN/psql" -h "$dir" -p "$port" -U postgres -d postgres -XtAq)
  if [[ $(_pg_as_owner "${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$database'") != 1 ]]; then
    _pg_as_owner "${psql[@]}" -c "CREATE DATABASE \"$database\"" || {
      echo "pg_start: could not create database $database" >&2
      return 1
    }
  fi
}

pg_stop() {
  local data="$1/data"
  local pid
  pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null) || return 0
  # SIGINT is PostgreSQL's fast shutdown: it ends sessions instead of waiting for them.
  stop_pid "$pid" 30 INT
}

# pg_ready DIR PORT: the server accepts connections.
pg_ready() {
  _pg_as_owner "$PG_BIN/pg_isready" -q -h "$1" -p "$2" -U postgres
}
