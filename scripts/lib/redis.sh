# redis-server on 127.0.0.1 in a folder of its own, configured like the compose file
# (append-only file, password), for scripts/stack and the tests. Source it.
#
#   redis_start DIR PORT [PASSWORD]  write DIR/redis.conf, start daemonized, wait for PONG
#   redis_stop DIR                   by the PID in DIR/redis.pid

source "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

redis_start() {
  local dir=$1 port=$2 password=${3:-}
  if ! command -v redis-server >/dev/null; then
    echo "redis_start: redis-server is not installed" >&2
    return 1
  fi
  mkdir -p "$dir"
  dir=$(realpath "$dir")
  if pid_alive "$(cat "$dir/redis.pid" 2>/dev/null)"; then
    echo "redis_start: a server already runs from $dir" >&2
    return 1
  fi
  # The password goes in a 0600 file rather than on the command line, where `ps` shows it.
  (
    umask 077
    cat >"$dir/redis.conf" <<EOF
bind 127.0.0.1
port $port
protected-mode yes
daemonize yes
pidfile $dir/redis.pid
logfile $dir/redis.log
dir $dir
appendonly yes
EOF
    [[ -n $password ]] && printf 'requirepass "%s"\n' "$password" >>"$dir/redis.conf"
  )
  redis-server "$dir/redis.conf" || {
    echo "redis_start: redis-server failed; see $dir/redis.log" >&2
    return 1
  }
  wait_until 30 "PONG from redis-server on port $port (see $dir/redis.log)" redis_ready "$port" "$password"
}

redis_stop() {
  local pid
  pid=$(cat "$1/redis.pid" 2>/dev/null) || return 0
  stop_pid "$pid" 30 TERM
}

# redis_ready PORT [PASSWORD]
redis_ready() {
  local auth=()
  [[ -n ${2:-} ]] && auth=(env "REDISCLI_AUTH=$2")
  [[ $("${auth[@]}" redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}
