#!/usr/bin/env bash
# Two feedd replicas on one posts directory behind nginx with proxy_cache
# and round-robin upstreams, configured by deploy/nginx-cache.conf:
#
#  1. a conditional request gets 304 whichever replica answers it;
#  2. an edit reaches clients through the cache within max_age + 1 s;
#  3. stopping one replica (SIGTERM) loses no request.
#
# Needs nginx and curl (installed from Debian when missing). Run by .ci/run.
name=test-cache need=()
source "$(dirname "$0")/testlib.sh"
ports=($(free_ports 3))
front=${ports[0]} a=${ports[1]} b=${ports[2]}
max_age=2

go build -o "$work/feedd" ./cmd/feedd
cp -r posts "$work/posts"
cat >"$work/feedd.yaml" <<CONF
site:
  base_url: "http://127.0.0.1:$front"
feed:
  max_age: ${max_age}s
CONF
for port in "$a" "$b"; do
  "$work/feedd" serve -posts "$work/posts" -config "$work/feedd.yaml" -addr "127.0.0.1:$port" 2>"$work/feedd-$port.log" &
  pids+=("$!")
done
pid_a=${pids[0]}

# nginx's workers may run as another user (nobody, when started as root).
mkdir -p "$work/cache"
chmod 755 "$work"
chmod 777 "$work/cache"
# deploy/nginx-cache.conf itself, pointed at the two replicas, with two
# additions for the test: X-Bypass sends a request past the cache to a
# replica, and X-Upstream says which one answered.
sed -e "s|server 10.0.0.11:8080|server 127.0.0.1:$a|" \
    -e "s|server 10.0.0.12:8080|server 127.0.0.1:$b|" \
    -e "s|listen 80;|listen 127.0.0.1:$front;|" \
    -e "s|/var/cache/nginx/feedd|$work/cache|" \
    -e 's|proxy_cache feedd;|proxy_cache feedd;\n        proxy_cache_bypass $http_x_bypass;\n        proxy_no_cache $http_x_bypass;\n        add_header X-Upstream $upstream_addr always;|' \
    deploy/nginx-cache.conf >"$work/feedd-cache.conf"
for want in "127.0.0.1:$a" "127.0.0.1:$b" "listen 127.0.0.1:$front" "$work/cache" "proxy_cache_bypass"; do
  grep -q "$want" "$work/feedd-cache.conf" || fail "deploy/nginx-cache.conf no longer has what the test rewrites ($want)"
done
start_nginx "include $work/feedd-cache.conf;"

# Wait for both replicas and nginx.
for url in "http://127.0.0.1:$a/readyz" "http://127.0.0.1:$b/readyz" "http://127.0.0.1:$front/readyz"; do
  for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ] && break
    sleep 0.1
  done
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 200 ] || fail "$url not ready"
done

# 1. Conditional requests: 304 from the cache and from either replica.
etag=$(curl -s -o /dev/null -D - "http://127.0.0.1:$front/rss.xml" | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')
[ -n "$etag" ] || fail "no ETag through nginx"
upstreams=""
for i in $(seq 20); do
  out=$(curl -s -o /dev/null -D - -H "X-Bypass: 1" -H "If-None-Match: $etag" "http://127.0.0.1:$front/rss.xml")
  code=$(awk 'NR==1 {print $2}' <<<"$out")
  up=$(awk -F': ' 'tolower($1)=="x-upstream" {print $2}' <<<"$out" | tr -d '\r')
  [ "$code" = 304 ] || fail "conditional request $i through $up: $code, want 304"
  upstreams="$upstreams $up"
done
for port in "$a" "$b"; do
  grep -q "127.0.0.1:$port" <<<"$upstreams" || fail "replica :$port answered none of the conditional requests"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "http://127.0.0.1:$front/rss.xml")
[ "$code" = 304 ] || fail "conditional request answered by the cache: $code, want 304"
echo "test-cache: 304 for If-None-Match from the cache and from both replicas"

# 2. An edit reaches clients through the cache within max_age + 1 s.
code_id="CACHE-$(date +%s%N)"
start=$(date +%s%N)
printf -- '---\ncode: %s\ntitle: Through the cache\ndate: %s\n---\nJust in.\n' "$code_id" "$(date -u -d '-1 min' +%FT%TZ)" >"$work/posts/.new.tmp"
mv "$work/posts/.new.tmp" "$work/posts/cache-test.md"
seen=""
while [ -z "$seen" ]; do
  elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
  [ "$elapsed" -le $(( (max_age + 1) * 1000 )) ] || fail "the edit was not in /rss.xml through the cache after ${elapsed} ms (max_age ${max_age} s + 1 s)"
  curl -s "http://127.0.0.1:$front/rss.xml" | grep -q "$code_id" && seen=1 || sleep 0.05
done
echo "test-cache: the edit reached clients through the cache after ${elapsed} ms (bound $(( (max_age + 1) * 1000 )) ms)"

# 3. Stopping a replica loses no request: requests go to both replicas
# (past the cache) while one of them is stopped with SIGTERM half-way.
(sleep 0.5; kill -TERM "$pid_a") &
bad=0 total=0 t_end=$(( $(date +%s) + 3 ))
while [ "$(date +%s)" -lt "$t_end" ]; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Bypass: 1" "http://127.0.0.1:$front/rss.xml")
  total=$((total + 1))
  [ "$code" = 200 ] || { bad=$((bad + 1)); echo "test-cache: request $total: $code" >&2; }
done
wait "$pid_a" 2>/dev/null || true
kill -0 "$pid_a" 2>/dev/null && fail "replica :$a still runs after SIGTERM"
[ "$total" -ge 20 ] || fail "only $total requests made"
[ "$bad" = 0 ] || fail "$bad of $total requests failed while a replica stopped"
echo "test-cache: $total requests while a replica stopped, none lost"
echo "test-cache: ok"
