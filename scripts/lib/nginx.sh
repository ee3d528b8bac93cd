# nginx/ of the repo, run without Docker: the configuration is copied into a folder of
# its own and its container paths and addresses rewritten for 127.0.0.1. Source it.
#
#   nginx_render SRC_DIR OUT_DIR HTTP_PORT APP_PORTS [HTTPS_PORT]
#                           (APP_PORTS: one port, or the replicas' ports separated by commas)
#   nginx_start OUT_DIR     (nginx -t first; daemonizes, PID in OUT_DIR/nginx.pid)
#   nginx_stop OUT_DIR

source "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

nginx_render() {
  local src=$1 out=$2 http_port=$3 app_ports=$4 https_port=${5:-}
  mkdir -p "$out/conf" "$out/logs" "$out/tmp"
  out=$(realpath "$out")
  cp "$src/nginx.conf" "$src/locations.conf" "$out/conf/"
  rm -rf "$out/conf/conf.d"
  mkdir -p "$out/conf/conf.d"
  local file
  for file in "$src"/conf.d/*.conf; do
    [[ -f $file && $(basename "$file") != tls.conf ]] && cp "$file" "$out/conf/conf.d/"
  done
  # HTTPS only when asked for, from the repo's tls.conf or else its example.
  if [[ -n $https_port ]]; then
    if [[ -f $src/conf.d/tls.conf ]]; then
      cp "$src/conf.d/tls.conf" "$out/conf/conf.d/"
    else
      cp "$src/conf.d/tls.conf.example" "$out/conf/conf.d/tls.conf"
    fi
  fi
  [[ -d $src/certs ]] && cp -r "$src/certs" "$out/conf/"
  cp /etc/nginx/mime.types "$out/conf/" || return 1

  for file in "$out/conf/nginx.conf" "$out/conf/locations.conf" "$out"/conf/conf.d/*.conf; do
    [[ -f $file ]] || continue
    sed -i \
      -e "s#/etc/nginx/#$out/conf/#g" \
      -e "s#/var/log/nginx/#$out/logs/#g" \
      -e "s#^pid .*;#pid $out/nginx.pid;#" \
      -e "s#listen 80;#listen 127.0.0.1:$http_port;#" \
      -e "s#listen 443 #listen 127.0.0.1:$https_port #" \
      "$file"
  done
  # One upstream server per replica, each with the options of the compose file's line.
  local port servers=""
  for port in ${app_ports//,/ }; do
    servers+="\\1server 127.0.0.1:$port\\2;\n"
  done
  sed -i -E "s#^( *)server app:8000( [^;]*)?;#${servers%\\n}#" "$out/conf/nginx.conf"
  # Temporary files under OUT_DIR too, so nothing needs /var/lib/nginx.
  sed -i "s#^http {#http {\n    client_body_temp_path $out/tmp/body;\n    proxy_temp_path $out/tmp/proxy;\n    fastcgi_temp_path $out/tmp/fastcgi;\n    uwsgi_temp_path $out/tmp/uwsgi;\n    scgi_temp_path $out/tmp/scgi;#" \
    "$out/conf/nginx.conf"

  # A rewrite that missed a path would make nginx touch the system's files: refuse it.
  if grep -rqE '/etc/nginx|/var/(log|run)|app:8000|listen (80|443)[ ;]' "$out/conf" --include='*.conf' ||
    ! grep -q "server 127.0.0.1:${app_ports%%,*}" "$out/conf/nginx.conf"; then
    echo "nginx_render: container paths left in $out/conf:" >&2
    grep -rnE '/etc/nginx|/var/(log|run)|app:8000|listen (80|443)[ ;]' "$out/conf" --include='*.conf' >&2
    return 1
  fi
}

nginx_test() {
  nginx -t -q -p "$1" -c "$1/conf/nginx.conf"
}

nginx_start() {
  local out
  out=$(realpath "$1")
  if pid_alive "$(cat "$out/nginx.pid" 2>/dev/null)"; then
    echo "nginx_start: nginx already runs from $out" >&2
    return 1
  fi
  nginx_test "$out" || return 1
  nginx -p "$out" -c "$out/conf/nginx.conf" || return 1
  wait_until 10 "nginx's PID file in $out" nginx_running "$out"
}

nginx_running() {
  pid_alive "$(cat "$1/nginx.pid" 2>/dev/null)"
}

nginx_stop() {
  local pid
  pid=$(cat "$1/nginx.pid" 2>/dev/null) || return 0
  # SIGQUIT lets the workers finish their requests.
  stop_pid "$pid" 30 QUIT
}
