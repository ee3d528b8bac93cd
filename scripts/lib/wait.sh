# Waiting helpers shared by scripts/stack, scripts/test and the orchestration tests.
# Source it; every function returns non-zero on timeout and prints nothing on success.

# wait_http URL TIMEOUT_SECONDS: until URL answers 2xx.
wait_http() {
  local url=$1 timeout=${2:-30}
  local deadline=$((SECONDS + timeout))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "timed out after ${timeout}s waiting for $url" >&2
      return 1
    fi
    sleep 0.1
  done
}

# wait_port HOST PORT TIMEOUT_SECONDS: until a TCP connection is accepted.
wait_port() {
  local host=$1 port=$2 timeout=${3:-30}
  local deadline=$((SECONDS + timeout))
  until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "timed out after ${timeout}s waiting for $host:$port" >&2
      return 1
    fi
    sleep 0.1
  done
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
  local pid=$1
  [[ -n $pid && -r /proc/$pid/stat ]] || return 1
  local state
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
  [[ -n $state && $state != Z ]]
}

# stop_pid PID [TIMEOUT_SECONDS] [SIGNAL]: sends SIGNAL (default TERM), then KILL after the
# timeout; returns once the process is gone.
stop_pid() {
  local pid=$1 timeout=${2:-30} signal=${3:-TERM}
  pid_alive "$pid" || return 0
  kill "-$signal" "$pid" 2>/dev/null
  local deadline=$((SECONDS + timeout))
  while pid_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      echo "pid $pid ignored SIG$signal for ${timeout}s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null
      sleep 0.2
      pid_alive "$pid" && return 1
      return 0
    fi
    sleep 0.1
  done
}
