#!/usr/bin/env bash
# Load test: the real feedd binary on a generated corpus, next to two
# baselines serving the same bytes (a minimal net/http program and nginx
# with etag and gzip_static), each server pinned to core 0 with one
# thread, wrk pinned to core 1.
#
#   bash bench/load.sh            # 10,000 and 100,000 posts
#   bash bench/load.sh 2000       # other sizes
#   DURATION=5s ROUNDS=5 bash bench/load.sh
#
# For each size it prints: time from start to /readyz 200 and peak RSS
# (feedd on both cores), the time from a post's rename into place to its
# item in /rss.xml (p50, p99 of 20 edits), the background rendering of
# bodies after start-up, then (feedd restarted on one core) requests per
# second and p99 latency for /rss.xml cached (identity and gzip) and for a
# 304, for feedd, the baseline and nginx, and feedd's peak RSS at the end. Installs wrk and nginx from Debian when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-10000 100000}")
read -r -a sizes <<<"${sizes[*]}"
duration=${DURATION:-10s}
rounds=${ROUNDS:-3}
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

# Built as the Dockerfile builds feedd: what ships is what is measured, and
# -trimpath keeps the binary, and so its figures, the same from any checkout.
build() { CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$1" "$2"; }
build "$work/feedd" ./cmd/feedd
build "$work/baseline" ./bench/baseline

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

# load URL HEADER: "requests/s p99-in-ms" from one wrk run.
load() {
  local out
  out=$(taskset -c 1 wrk -t1 -c32 -d"$duration" --latency -H "$2" "$1")
  echo "$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out") $(awk '$1 == "99%" {
    v = $2; u = v; sub(/^[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
    printf "%.2f", (u == "us" ? v / 1000 : (u == "s" ? v * 1000 : v)) }' <<<"$out")"
}

# median: the middle of the numbers on stdin.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for n in "${sizes[@]}"; do
  corpus="$work/corpus-$n"
  if [ ! -d "$corpus" ]; then
    go run ./bench/gen -n "$n" -seed 1 -out "$corpus"
  fi
  rm -rf "$corpus/new" && mkdir -p "$corpus/new" # the edits of an earlier run out
  echo
  echo "## $n posts ($(du -sh "$corpus" | cut -f1) on disk)"

  # Start-up on both cores, as feedd runs in production.
  launched=$(date +%s.%N)
  "$work/feedd" -posts "$corpus" -addr 127.0.0.1:18100 2>"$work/feedd-$n.log" &
  fpid=$!
  pids+=("$fpid")
  ready=$(wait_ready http://127.0.0.1:18100/readyz "$launched")
  rss=$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$fpid/status")
  echo
  echo "ready after ${ready} s (both cores), peak RSS ${rss} at ready"

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

  # The bodies left to render in the background after the start-up scan.
  for _ in $(seq 600); do
    grep -q '"post bodies rendered"' "$work/feedd-$n.log" && break
    sleep 0.1
  done
  filled=$(grep '"post bodies rendered"' "$work/feedd-$n.log" | sed 's/.*"bodies":\([0-9]*\),"took":"\([^"]*\)".*/\1 bodies in \2/')
  rss=$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$fpid/status")
  echo "background rendering: ${filled:-not done in 60 s}; peak RSS ${rss} after it and the edits"
  kill "$fpid"
  wait "$fpid" 2>/dev/null || true

  # For the load: one core and one thread for each server, wrk on the other.
  launched=$(date +%s.%N)
  GOMAXPROCS=1 taskset -c 0 "$work/feedd" -posts "$corpus" -addr 127.0.0.1:18100 2>"$work/feedd-$n-pinned.log" &
  fpid=$!
  pids+=("$fpid")
  ready=$(wait_ready http://127.0.0.1:18100/readyz "$launched")
  for _ in $(seq 1200); do # the steady state: bodies rendered
    grep -q '"post bodies rendered"' "$work/feedd-$n-pinned.log" && break
    sleep 0.1
  done
  echo "pinned to one core (GOMAXPROCS=1): ready after ${ready} s"

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

  # Rounds of feedd, baseline, nginx in turn: other tenants of a shared
  # machine make single runs vary by tens of per cent, so each figure is
  # the median of its rounds, and each ratio the median of the rounds'
  # ratios.
  echo
  echo "requests/s (p99 latency), medians of $rounds rounds of $duration:"
  echo
  echo "| request          | feedd            | baseline         | nginx            | feedd ÷ baseline | feedd ÷ nginx |"
  echo "|------------------|-----------------:|-----------------:|-----------------:|-----------------:|--------------:|"
  for kind in "cached, identity" "cached, gzip" "304"; do
    : >"$work/rps.txt"
    for _ in $(seq "$rounds"); do
      line=""
      for srv in feedd:18100 baseline:18101 nginx:18102; do
        name=${srv%%:*} port=${srv##*:}
        case "$kind" in
          "cached, identity") hdr="Accept-Encoding: identity" ;;
          "cached, gzip") hdr="Accept-Encoding: gzip" ;;
          *) if [ "$name" = nginx ]; then hdr="If-None-Match: $ngtag"; else hdr="If-None-Match: $etag"; fi ;;
        esac
        line="$line $(load "http://127.0.0.1:$port/rss.xml" "$hdr")"
      done
      echo "$line" >>"$work/rps.txt" # feedd rps p99 baseline rps p99 nginx rps p99
    done
    f=$(awk '{print $1}' "$work/rps.txt" | median) fp=$(awk '{print $2}' "$work/rps.txt" | median)ms
    b=$(awk '{print $3}' "$work/rps.txt" | median) bp=$(awk '{print $4}' "$work/rps.txt" | median)ms
    g=$(awk '{print $5}' "$work/rps.txt" | median) gp=$(awk '{print $6}' "$work/rps.txt" | median)ms
    rb=$(awk '{printf "%.2f\n", $1/$3}' "$work/rps.txt" | median)
    rn=$(awk '{printf "%.2f\n", $1/$5}' "$work/rps.txt" | median)
    printf '| %-16s | %7s (%6s) | %7s (%6s) | %7s (%6s) | %16s | %13s |\n' "$kind" "$f" "$fp" "$b" "$bp" "$g" "$gp" "$rb" "$rn"
  done
  rss=$(awk '/VmHWM/ {printf "%.0f MB", $2/1024}' "/proc/$fpid/status")
  echo
  echo "feedd pinned: peak RSS ${rss} at the end of the load"
  cleanup
  pids=()
  sleep 0.5
done
