#!/usr/bin/env bash
# feedd build's output served by nginx with deploy/nginx-static.conf, in
# pages of 2 items (feed.limit: 2) so that feeds have pages after the first:
#
#  1. / is the index page (200, text/html);
#  2. every feed the OPML list names, in each of the three formats, comes
#     with its format's content type and charset=utf-8 and parses without
#     a complaint (RSS and Atom with Python's feedparser, JSON Feed with
#     json), and so does every page its next links lead to, each with
#     items; ?page=1 is the first page, other query parameters are ignored;
#  3. limit= is a 400 in plain text, a page past the last is a 404;
#  4. with Accept-Encoding: gzip a feed comes back gzip-encoded, and
#     decompresses to the very bytes of the uncompressed file.
#
# Needs nginx, curl and Python's feedparser (installed from Debian when
# missing). Run by .ci/run.
name=test-static need=()
/usr/bin/python3 -c 'import feedparser' 2>/dev/null || need+=(python3-feedparser)
source "$(dirname "$0")/testlib.sh"
port=$(free_ports 1)
base="http://127.0.0.1:$port"

go build -o "$work/feedd" ./cmd/feedd
printf 'feed:\n  limit: 2\n' >"$work/feedd.yaml"
"$work/feedd" build -out "$work/out" -posts posts -config "$work/feedd.yaml" -base-url "$base" 2>"$work/build.log" ||
  fail "feedd build: $(cat "$work/build.log")"
[ -f "$work/out/rss.xml?page=2" ] || fail "feedd build wrote no rss.xml?page=2 with pages of 2"

# nginx's workers may run as another user (nobody, when started as root).
chmod 755 "$work"
# deploy/nginx-static.conf itself, on a loopback port and serving the build.
sed -e "s|listen 80;|listen 127.0.0.1:$port;|" \
    -e "s|root /srv/feedd/static;|root $work/out;|" \
    deploy/nginx-static.conf >"$work/feedd-static.conf"
for want in "listen 127.0.0.1:$port;" "root $work/out;"; do
  grep -qF "$want" "$work/feedd-static.conf" || fail "deploy/nginx-static.conf no longer has what the test rewrites ($want)"
done
# As a real nginx.conf has it: the types by file extension, which the
# locations of deploy/nginx-static.conf must not fall back to.
mime=""
[ -f /etc/nginx/mime.types ] && mime="include /etc/nginx/mime.types;"
start_nginx "$mime include $work/feedd-static.conf;"
for _ in $(seq 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/")" = 200 ] && break
  sleep 0.05
done

# header NAME FILE: a header's value in a file of response headers.
header() { awk -v h="$(tr 'A-Z' 'a-z' <<<"$1")" -F': ' 'tolower($1)==h {print $2}' "$2" | tr -d '\r'; }

# 1. The index page at /.
code=$(curl -s -D "$work/h" -o "$work/body" -w '%{http_code}' "$base/")
[ "$code" = 200 ] || fail "/: $code, want 200 ($(cat "$work/nginx-error.log"))"
[ "$(header Content-Type "$work/h")" = "text/html; charset=utf-8" ] || fail "/: Content-Type $(header Content-Type "$work/h")"
cmp -s "$work/body" "$work/out/index.html" || fail "/ is not index.html"

# 2. Every feed of the OPML list, in every format, and every page of it.
feeds=$(/usr/bin/python3 - "$base" "$work/out" <<'PY'
import json, sys, urllib.error, urllib.request, xml.etree.ElementTree as ET
import feedparser

base, out = sys.argv[1], sys.argv[2]
types = {"rss.xml": "application/rss+xml; charset=utf-8",
         "atom.xml": "application/atom+xml; charset=utf-8",
         "feed.json": "application/feed+json; charset=utf-8"}
problems = []

def get(url):
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept-Encoding": "identity"})) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()

status, ctype, body = get(base + "/opml.xml")
if status != 200 or ctype != "text/x-opml; charset=utf-8":
    problems.append(f"/opml.xml: {status} {ctype!r}")
with open(out + "/opml.xml", "rb") as f:
    if f.read() != body:
        problems.append("/opml.xml is not the built file")
urls = [o.get("xmlUrl") for o in ET.fromstring(body).iter("outline") if o.get("xmlUrl")]
if len(urls) < 10:
    problems.append(f"only {len(urls)} feeds in the OPML list")

feeds = pages = paged = 0
for rss in urls:
    if not rss.startswith(base + "/") or not rss.endswith("/rss.xml"):
        problems.append(f"OPML names {rss}, not an RSS feed under {base}")
        continue
    for fmt, want in types.items():
        url, n, seen = rss[: -len("rss.xml")] + fmt, 0, set()
        first = url
        feeds += 1
        while url:
            if url in seen:
                problems.append(f"{first}: the next links go round to {url}")
                break
            seen.add(url)
            n += 1
            try:
                status, ctype, body = get(url)
            except urllib.error.HTTPError as e:
                problems.append(f"{url}: {e.code}")
                break
            if ctype != want:
                problems.append(f"{url}: Content-Type {ctype!r}, want {want!r}")
            if "charset=utf-8" not in ctype:
                problems.append(f"{url}: no charset=utf-8 in {ctype!r}")
            if fmt == "feed.json":
                # Debian's feedparser (6.0) reads XML only: JSON Feed's
                # own rules, then.
                try:
                    doc = json.loads(body.decode("utf-8"))
                except ValueError as e:
                    problems.append(f"{url}: {e}")
                    break
                if doc.get("version") != "https://jsonfeed.org/version/1.1" or not doc.get("title"):
                    problems.append(f"{url}: not a JSON Feed 1.1 with a title")
                items = doc.get("items") or []
                if not items or not all(i.get("id") and ("content_html" in i or "content_text" in i) for i in items):
                    problems.append(f"{url}: no items, or an item without an id or content")
                url = doc.get("next_url")
            else:
                d = feedparser.parse(body, response_headers={"content-type": ctype, "content-location": url})
                if d.bozo:
                    problems.append(f"{url}: feedparser: {d.bozo_exception!r}")
                if not d.entries:
                    problems.append(f"{url}: no items")
                url = next((l.href for l in d.feed.get("links", []) if l.get("rel") == "next"), None)
            if url and not url.startswith(first + "?page="):
                problems.append(f"{first}: a next link to {url}")
                break
        pages += n
        paged += n > 1
    # ?page=1 is the first page, and parameters nginx does not know are ignored.
    for q in ("?page=1", "?utm_source=test"):
        if get(rss + q)[2] != get(rss)[2]:
            problems.append(f"{rss}{q} is not the first page")

if paged < 3:
    problems.append(f"only {paged} feeds have more than one page")
for p in problems:
    print("test-static:", p, file=sys.stderr)
if problems:
    sys.exit(1)
print(f"{feeds} feeds ({len(urls)} in the OPML list, in 3 formats) and {pages} pages "
      f"with their content types, RSS and Atom read by feedparser {feedparser.__version__}")
PY
) || fail "the feeds through nginx (above)"

# 3. limit= is refused; a page past the last, or not a number, is not found.
for q in "limit=2" "page=2&limit=1" "limit="; do
  code=$(curl -s -D "$work/h" -o "$work/body" -w '%{http_code}' "$base/rss.xml?$q")
  [ "$code" = 400 ] || fail "/rss.xml?$q: $code, want 400"
  [ "$(header Content-Type "$work/h")" = "text/plain; charset=utf-8" ] || fail "/rss.xml?$q: Content-Type $(header Content-Type "$work/h")"
  [ "$(wc -l <"$work/body")" = 1 ] || fail "/rss.xml?$q: not one line: $(cat "$work/body")"
  [ "$(header Access-Control-Allow-Origin "$work/h")" = "*" ] || fail "/rss.xml?$q: no Access-Control-Allow-Origin: * on an error"
done
for path in "/rss.xml?page=1000" "/atom.xml?page=x" "/category/national/feed.json?page=99" "/rss.xml.gz" "/index.html" "/nothing/rss.xml"; do
  code=$(curl -s -D "$work/h" -o "$work/body" -w '%{http_code}' "$base$path")
  [ "$code" = 404 ] || fail "$path: $code, want 404"
  [ "$(header Content-Type "$work/h")" = "text/plain; charset=utf-8" ] || fail "$path: Content-Type $(header Content-Type "$work/h")"
  [ "$(header Access-Control-Allow-Origin "$work/h")" = "*" ] || fail "$path: no Access-Control-Allow-Origin: * on an error"
done

# 4. gzip for clients that accept it, the same bytes once decompressed.
for path in "/rss.xml" "/category/national/atom.xml" "/feed.json?page=2"; do
  file="$work/out/${path#/}"
  code=$(curl -s -D "$work/h" -o "$work/body.gz" -w '%{http_code}' -H 'Accept-Encoding: gzip' "$base$path")
  [ "$code" = 200 ] || fail "$path (gzip): $code"
  [ "$(header Content-Encoding "$work/h")" = gzip ] || fail "$path: no Content-Encoding: gzip for Accept-Encoding: gzip"
  [ "$(header Vary "$work/h")" = Accept-Encoding ] || fail "$path: Vary $(header Vary "$work/h"), want Accept-Encoding"
  gzip -dc "$work/body.gz" | cmp -s - "$file" || fail "$path: the gzip body does not decompress to $file"
  curl -s -o "$work/body" "$base$path"
  cmp -s "$work/body" "$file" || fail "$path: the identity body is not $file"
done
[ "$(header Access-Control-Allow-Origin "$work/h")" = "*" ] || fail "no Access-Control-Allow-Origin: * on a feed"
[ "$(header Cache-Control "$work/h")" = "public, max-age=300" ] || fail "Cache-Control $(header Cache-Control "$work/h")"
echo "test-static: ok: / is the index; $feeds; limit= is a 400, a page past the last a 404; gzip decompresses to the identity file"
