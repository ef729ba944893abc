# Shared by the deploy/test-*.sh scripts (sourced, not run): installs what
# they need from Debian, makes a work directory that is removed on exit
# with the processes they start (KEEP=1 keeps both), and gives free
# loopback ports. The script sets `name` first; `need` lists its Debian
# packages beyond nginx and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
nginx=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
fail() { echo "$name: FAIL: $*" >&2; exit 1; }

# free_ports N prints N free loopback ports.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# start_nginx HTTP runs nginx in the foreground with HTTP inside its
# http {} block, its files under $work, after checking the configuration.
start_nginx() {
  mkdir -p "$work/tmp"
  cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  $1
}
CONF
  "$nginx" -t -q -c "$work/nginx.conf" -e "$work/nginx-error.log" 2>"$work/nginx-t.log" ||
    fail "nginx -t: $(cat "$work/nginx-t.log" "$work/nginx-error.log" 2>/dev/null)"
  "$nginx" -c "$work/nginx.conf" -e "$work/nginx-error.log" &
  pids+=("$!")
}
