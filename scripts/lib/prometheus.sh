# monitoring/prometheus.yml run without Docker (Debian's `prometheus` package): the
# configuration is copied with its targets and scrape interval rewritten. Source it.
#
#   prometheus_render MONITORING_DIR OUT_DIR PROM_PORT APP_PORTS [SCRAPE_INTERVAL]
#                     (APP_PORTS: one port, or the replicas' ports separated by commas)
#   prometheus_start OUT_DIR PROM_PORT   (promtool check first; PID in OUT_DIR/prometheus.pid)
#   prometheus_stop OUT_DIR

source "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

prometheus_render() {
  local src=$1 out=$2 prom_port=$3 app_ports=$4 interval=${5:-15s}
  local app_port=${app_ports%%,*} targets
  targets=$(sed -E 's#([0-9]+)#"127.0.0.1:\1"#g; s#,#, #g' <<<"$app_ports")
  mkdir -p "$out"
  cp "$src/alerts.yml" "$out/alerts.yml"
  sed -e "s#\"app:8000\"#$targets#" \
    -e "s#\"localhost:9090\"#\"127.0.0.1:$prom_port\"#" \
    -e "s#^\(  scrape_interval:\).*#\1 $interval#" \
    -e "s#^\(  evaluation_interval:\).*#\1 $interval#" \
    "$src/prometheus.yml" >"$out/prometheus.yml"
  if ! grep -q "\"127.0.0.1:$app_port\"" "$out/prometheus.yml" || ! grep -q "\"127.0.0.1:$prom_port\"" "$out/prometheus.yml" ||
    ! grep -q "^  scrape_interval: $interval\$" "$out/prometheus.yml"; then
    echo "prometheus_render: monitoring/prometheus.yml no longer has the targets or interval this rewrite expects" >&2
    return 1
  fi
}

prometheus_start() {
  local out port=$2
  out=$(realpath "$1")
  if pid_alive "$(cat "$out/prometheus.pid" 2>/dev/null)"; then
    echo "prometheus_start: Prometheus already runs from $out" >&2
    return 1
  fi
  promtool check config "$out/prometheus.yml" >"$out/promtool.log" 2>&1 || {
    cat "$out/promtool.log" >&2
    return 1
  }
  # setsid: a Ctrl-C in the terminal that started the stack does not reach the server.
  setsid prometheus --config.file="$out/prometheus.yml" --storage.tsdb.path="$out/data" \
    --web.listen-address="127.0.0.1:$port" </dev/null >>"$out/prometheus.log" 2>&1 &
  echo $! >"$out/prometheus.pid"
}

prometheus_stop() {
  local pid
  pid=$(cat "$1/prometheus.pid" 2>/dev/null) || return 0
  stop_pid "$pid" 30 TERM
}
