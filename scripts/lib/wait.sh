# Waiting helpers shared by the scripts in scripts/lib and scripts/stack.
# Source it; a wait returns non-zero on timeout and prints nothing on success.

# wait_until TIMEOUT_SECONDS WHAT COMMAND...: until COMMAND succeeds; on timeout, says
# what it waited for.
wait_until() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      echo "timed out after ${timeout}s waiting for $what" >&2
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
