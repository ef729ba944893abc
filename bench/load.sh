#!/usr/bin/env bash
# Load test: the real feedd binary on a generated corpus, next to two
# baselines serving the same bytes (a minimal net/http program and nginx
# with etag and gzip_static), each server pinned to core 0 with one
# thread, wrk pinned to core 1.
#
#   bash bench/load.sh            # 10,000 and 100,000 posts
#   bash bench/load.sh 2000       # other sizes
#   DURATION=5s bash bench/load.sh
#
# For each size it prints: time from start to /readyz 200, peak RSS, the
# time from a post's rename into place to its item in /rss.xml (p50, p99
# of 20 edits), then requests per second and p99 latency for /rss.xml
# cached (identity and gzip) and for a 304, for feedd, the baseline and
# nginx. Installs wrk and nginx from Debian when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-10000 100000}")
read -r -a sizes <<<"${sizes[*]}"
duration=${DURATION:-10s}
work=${WORK:-/tmp/feedd-load}
mkdir -p "$work"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
nginx=$(command -v nginx || echo /usr/sbin/nginx)

go build -o "$work/feedd" ./cmd/feedd
go build -o "$work/baseline" ./bench/baseline

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# wait_ready URL [START]: seconds from START (a Unix time; default now)
# until URL answers 200.
wait_ready() {
  python3 - "$1" "${2:-}" <<'PY'
import sys, time, urllib.request
start = float(sys.argv[2]) if sys.argv[2] else time.time()
while time.time() - start < 300:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
            if r.status == 200:
                print("%.2f" % (time.time() - start)); sys.exit(0)
    except Exception:
        pass
    time.sleep(0.02)
print("timeout"); sys.exit(1)
PY
}

# load NAME URL [HEADER]: requests/s and p99 from wrk.
load() {
  local out
  out=$(taskset -c 1 wrk -t1 -c32 -d"$duration" --latency ${3:+-H "$3"} "$2")
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '| %-8s | %-22s | %10s | %8s |\n' "$1" "$4" "$rps" "$p99"
}

for n in "${sizes[@]}"; do
  corpus="$work/corpus-$n"
  if [ ! -d "$corpus" ]; then
    go run ./bench/gen -n "$n" -seed 1 -out "$corpus"
  fi
  rm -rf "$corpus/new" && mkdir -p "$corpus/new" # the edits of an earlier run out
  echo
  echo "## $n posts ($(du -sh "$corpus" | cut -f1) on disk)"

  launched=$(date +%s.%N)
  GOMAXPROCS=1 taskset -c 0 "$work/feedd" -posts "$corpus" -addr 127.0.0.1:18100 2>"$work/feedd-$n.log" &
  fpid=$!
  pids+=("$fpid")
  ready=$(wait_ready http://127.0.0.1:18100/readyz "$launched")
  rss=$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$fpid/status")
  echo
  echo "ready after ${ready} s, peak RSS ${rss}"

  # Edit to visible: rename a post into place, poll /rss.xml until it shows.
  python3 - "$corpus/new" <<'PY'
import os, sys, time, urllib.request, statistics
d = sys.argv[1]
lat = []
for i in range(20):
    code = "LOAD%04d%d" % (i, int(time.time()))
    tmp = os.path.join(d, ".incoming.tmp")
    with open(tmp, "w") as f:
        f.write("---\ncode: %s\ntitle: Fresh\ndate: 2025-01-01T00:%02d:00Z\n---\nJust in.\n" % (code, i))
    start = time.time()
    os.rename(tmp, os.path.join(d, code + ".md"))
    while True:
        with urllib.request.urlopen("http://127.0.0.1:18100/rss.xml?limit=1") as r:
            if code.encode() in r.read():
                break
        if time.time() - start > 30:
            sys.exit("edit %s did not reach /rss.xml in 30 s" % code)
        time.sleep(0.002)
    lat.append((time.time() - start) * 1000)
lat.sort()
print("edit to visible over 20 edits: p50 %.0f ms, p99 %.0f ms" % (statistics.median(lat), lat[-1]))
PY

  # The same bytes for the baselines.
  www="$work/www-$n"
  mkdir -p "$www"
  curl -s -H 'Accept-Encoding: identity' http://127.0.0.1:18100/rss.xml >"$www/rss.xml"
  gzip -9 -k -f "$www/rss.xml"
  etag=$(curl -s -o /dev/null -D - http://127.0.0.1:18100/rss.xml | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')
  GOMAXPROCS=1 taskset -c 0 "$work/baseline" -file "$www/rss.xml" -addr 127.0.0.1:18101 &
  pids+=("$!")
  cat >"$work/nginx-$n.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx-$n.pid;
error_log $work/nginx-$n.error.log;
events { worker_connections 1024; }
http {
  access_log off;
  types { application/rss+xml xml; }
  server {
    listen 127.0.0.1:18102;
    root $www;
    etag on;
    gzip_static on;
  }
}
CONF
  taskset -c 0 "$nginx" -c "$work/nginx-$n.conf" &
  pids+=("$!")
  wait_ready http://127.0.0.1:18101/rss.xml >/dev/null
  wait_ready http://127.0.0.1:18102/rss.xml >/dev/null
  ngtag=$(curl -s -o /dev/null -D - http://127.0.0.1:18102/rss.xml | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')

  echo
  echo "| server   | request                | requests/s | p99      |"
  echo "|----------|------------------------|-----------:|---------:|"
  for srv in feedd:18100 baseline:18101 nginx:18102; do
    name=${srv%%:*} port=${srv##*:}
    tag=$etag
    [ "$name" = nginx ] && tag=$ngtag
    load "$name" "http://127.0.0.1:$port/rss.xml" "Accept-Encoding: identity" "cached, identity"
    load "$name" "http://127.0.0.1:$port/rss.xml" "Accept-Encoding: gzip" "cached, gzip"
    load "$name" "http://127.0.0.1:$port/rss.xml" "If-None-Match: $tag" "304"
  done
  cleanup
  pids=()
  sleep 0.5
done
