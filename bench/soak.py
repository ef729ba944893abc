#!/usr/bin/env python3
"""Soak: replay hostile disks and hostile clients against the real feedd binary.

    python3 bench/soak.py           # 10,000 posts, a 15 s compressed flood
    python3 bench/soak.py --short   # 2,000 posts, 5 s (what .ci/run runs)

Each attack prints one line: ok or FAIL, then what it saw. The exit code is 1
if any failed. Run as root (it runs one feedd as the user nobody, so that
permissions apply). Needs Go, wrk, curl and setpriv (util-linux).
"""
import argparse, http.client, json, os, re, shutil, signal, socket
import subprocess, sys, threading, time, urllib.error, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.environ.get("WORK", "/tmp/feedd-soak")
failed = False


def report(ok, name, what):
    global failed
    failed |= not ok
    print("%-4s %-22s %s" % ("ok" if ok else "FAIL", name, what), flush=True)


def post(code, title, date, extra="", body="Body.\n"):
    head = "---\ncode: %s\ntitle: \"%s\"\ndate: %s\n%s---\n" % (code, title, date, extra)
    return head + body


def now_iso(minutes_ago=0):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60 * minutes_ago))


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = os.path.join(os.path.dirname(path), ".soak.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.chown(tmp, 65534, 65534)
    os.rename(tmp, path)


class Feedd:
    """One feedd serve process."""

    def __init__(self, name, posts, port, config="", nobody=False):
        self.name, self.posts, self.port = name, posts, port
        self.log = os.path.join(WORK, name + ".log")
        cfg = os.path.join(WORK, name + ".yaml")
        with open(cfg, "w") as f:
            f.write(config)
        os.chmod(cfg, 0o644)
        cmd = [os.path.join(WORK, "feedd"), "-posts", posts, "-addr", "127.0.0.1:%d" % port, "-config", cfg]
        if nobody:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
        self.proc = subprocess.Popen(cmd, stderr=open(self.log, "w"))  # setpriv execs feedd in place
        self.wait_ready()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def get(self, path, headers=None, timeout=30):
        req = urllib.request.Request(self.url(path), headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def wait_ready(self, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:  # not ours that would answer (the port in use)
                with open(self.log) as f:
                    sys.exit("%s: feedd exited with %d at start: %s" % (self.name, self.proc.returncode, f.read().strip()))
            try:
                if self.get("/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        sys.exit("%s: not ready after %d s; see %s" % (self.name, timeout, self.log))

    def rss_kb(self, field):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def ids(self):
        status, body, _ = self.get("/feed.json?limit=500")
        return [item["id"] for item in json.loads(body)["items"]] if status == 200 else []

    def wait_for(self, cond, timeout=5.0):
        start = time.time()
        while time.time() - start < timeout:
            if cond():
                return time.time() - start
            time.sleep(0.02)
        return None

    def logs(self):
        with open(self.log) as f:
            return [json.loads(l) for l in f if l.startswith("{")]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None


def small_dir(name, n=20):
    d = os.path.join(WORK, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for i in range(n):
        write(os.path.join(d, "p%02d.md" % i), post("P%02d" % i, "post %d" % i, now_iso(100 + i), "category: News\n"))
    for root, dirs, files in os.walk(d):
        os.chown(root, 65534, 65534)
    return d


def attack_fifo_watcher(f):
    path = os.path.join(f.posts, "flip.md")
    deadline = time.time() + 2
    flips = 0
    while time.time() < deadline:
        write(path, post("FLIP", "flip", now_iso(50)))
        tmp = os.path.join(f.posts, ".fifo.tmp")
        os.mkfifo(tmp)
        os.rename(tmp, path)
        flips += 1
    code = "AFTERFIFO%d" % int(time.time())
    write(os.path.join(f.posts, "after.md"), post(code, "after the FIFOs", now_iso(1)))
    took = f.wait_for(lambda: code in f.ids())
    os.remove(path)
    report(took is not None, "fifo over a post", "%d renames of a FIFO over a post; a new post %s" %
           (flips, "appears after %.0f ms" % (took * 1000) if took is not None else "never appears"))


def attack_symlinks(f):
    before = sorted(f.ids())
    os.symlink(".", os.path.join(f.posts, "selfdir"))
    os.makedirs(os.path.join(f.posts, "sub"))
    write(os.path.join(f.posts, "sub", "nocode.md"), "---\ntitle: no code\ndate: %s\n---\nx\n" % now_iso(60))
    os.symlink("sub", os.path.join(f.posts, "latest"))
    code = "LINKS%d" % int(time.time())
    write(os.path.join(f.posts, "new.md"), post(code, "after the links", now_iso(1)))
    f.wait_for(lambda: code in f.ids())
    live = sorted(f.ids())
    fresh = Feedd("symlinks-fresh", f.posts, f.port + 10, nobody=True)
    again = sorted(fresh.ids())
    fresh.stop()
    os.remove(os.path.join(f.posts, "selfdir"))
    os.remove(os.path.join(f.posts, "latest"))
    ok = live == again and len(live) == len(before) + 2 and "selfdir/" + code not in live
    report(ok, "symlinks inside tree", "%d items live after ln -s . selfdir and ln -s sub latest, %d on a fresh start" %
           (len(live), len(again)))


def attack_categories(f):
    names = ", ".join("c%d" % i for i in range(20000))
    write(os.path.join(f.posts, "many.md"), post("MANY", "many", now_iso(2), "categories: [%s]\n" % names))
    took = f.wait_for(lambda: any("20000 categories" in l.get("err", "") for l in f.logs()), 10)
    feeds = f.get("/opml.xml")[1].count(b"<outline ")
    report(took is not None and feeds < 100, "20,000 categories",
           "refused in %s; the OPML lists %d feeds" % ("%.0f ms" % (took * 1000) if took else "never", feeds))
    names = ", ".join("d%d" % i for i in range(100))
    write(os.path.join(f.posts, "hundred.md"), post("HUNDRED", "hundred", now_iso(3), "categories: [%s]\n" % names))
    f.wait_for(lambda: "HUNDRED" in f.ids())
    applied = [l for l in f.logs() if l.get("msg") == "posts updated"]
    report("HUNDRED" in f.ids(), "100 categories", "applied in %s" % (applied[-1]["took"] if applied else "?"))
    staging = os.path.join(WORK, "thousand")
    shutil.rmtree(staging, ignore_errors=True)
    for i in range(1000):
        cats = ", ".join("k%d" % ((i + j) % 50) for j in range(10))
        write(os.path.join(staging, "t%04d.md" % i), post("T%04d" % i, "t %d" % i, now_iso(200 + i), "categories: [%s]\n" % cats))
    os.chown(staging, 65534, 65534)
    os.rename(staging, os.path.join(f.posts, "thousand"))
    f.wait_for(lambda: any(l.get("msg") == "posts updated" and l.get("added", 0) >= 1000 for l in f.logs()), 20)
    applied = [l for l in f.logs() if l.get("msg") == "posts updated" and l.get("added", 0) >= 1000]
    report(bool(applied), "1,000 posts x 10 cats", "applied in %s" % (applied[-1]["took"] if applied else "never"))


def attack_chmod(f):
    path = os.path.join(f.posts, "p00.md")
    write(path, post("P00", "edited while unreadable", now_iso(100)), mode=0)
    f.wait_for(lambda: any("permission denied" in l.get("err", "") for l in f.logs()), 10)
    kept = "P00" in f.ids()
    os.chmod(path, 0o644)
    took = f.wait_for(lambda: b"edited while unreadable" in f.get("/feed.json?limit=500")[1], 10)
    report(kept and took is not None, "chmod 000, then 644", "post %s while unreadable; its edit %s after chmod 644" %
           ("kept" if kept else "DROPPED", "shows %.0f ms" % (took * 1000) if took is not None else "never shows"))


def attack_nul(f):
    write(os.path.join(f.posts, "nul.md"), post("NUL", "nul", now_iso(4), body="before\x00after\n"))
    f.wait_for(lambda: "NUL" in f.ids())
    _, body, _ = f.get("/feed.json?limit=500")
    item = [i for i in json.loads(body)["items"] if i["id"] == "NUL"]
    html = item[0]["content_html"] if item else ""
    report("beforeafter" in html and "\ufffd" not in html, "NUL in a body", "content_html %r" % html.strip())


def attack_fifo_requests(f):
    dates = []
    for root, _, files in os.walk(f.posts):
        for name in files:
            p = os.path.join(root, name)
            with open(p, errors="replace") as fh:
                m = re.search(r"^date: *(\S+)", fh.read(2000), re.M)
            if m:
                dates.append((m.group(1), p))
    dates.sort()
    for _, p in dates[:3]:
        tmp = p + ".fifo"
        os.mkfifo(tmp)
        os.rename(tmp, p)
    pages = (len(dates) + 499) // 500
    start = time.time()
    try:
        status = f.get("/rss.xml?limit=500&page=%d" % pages, timeout=10)[0]
    except OSError as e:
        status = str(e)
    report(status == 200, "fifo over old posts", "last page of /rss.xml?limit=500: %s in %.0f ms" % (status, (time.time() - start) * 1000))


FLOOD_LUA = """
-- Distinct pages of 400 to 500 items of the three main feeds, never cached
-- for long: each thread walks its own sequence.
local fmts = {"rss.xml", "atom.xml", "feed.json"}
local threads, n = 0, 0
function setup(thread) threads = threads + 1; thread:set("n", threads * 100003) end
function request()
  n = n + 1
  local path = "/" .. fmts[n % 3 + 1] .. "?limit=" .. (400 + n * 7 % 101) .. "&page=" .. (2 + n * 13 % 4)
  return wrk.format("GET", path, {["Accept-Encoding"] = "br, gzip"})
end
"""


def attack_flood(f, seconds, cache_mb, check_figures=True):
    """wrk floods distinct uncached pages with br and gzip accepted, while a
    cached /rss.xml is fetched once a second by curl beside it."""
    idle = f.rss_kb("VmRSS")
    lua = os.path.join(WORK, "flood.lua")
    with open(lua, "w") as fh:
        fh.write(FLOOD_LUA)
    probe = ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", "-H", "Accept-Encoding: br, gzip", f.url("/rss.xml")]
    subprocess.run(probe, check=True, capture_output=True)
    wrk = subprocess.Popen(["wrk", "-t2", "-c50", "-d%ds" % seconds, "--timeout", "30s", "-s", lua, f.url("/")],
                           stdout=subprocess.PIPE, text=True)
    lat = []
    peak = 0
    while wrk.poll() is None:
        start = time.time()
        out = subprocess.run(probe, capture_output=True, text=True).stdout
        lat.append(float(out or "nan") * 1000)
        peak = max(peak, f.rss_kb("VmRSS"))
        time.sleep(max(0, 1 - (time.time() - start)))
    summary = wrk.stdout.read()
    requests = re.search(r"(\d+) requests in", summary)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", summary)
    peak = max(peak, f.rss_kb("VmHWM")) / 1024
    bound = 3 * cache_mb + idle / 1024 + 64
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    # The short form (CI, on busy cores) shows the figures but holds only
    # to every request being answered: its small corpus leaves the memory
    # bound a few MB above what two 500-item pages in the making take with
    # Go's collector at its default, and a latency is a busy machine's.
    report(errors is None and ((peak <= bound and p99 < 50) or not check_figures), "compressed flood",
           "wrk -c50 %d s: %s requests, %s not 2xx/3xx; peak RSS %.0f MB (bound %.0f: idle %.0f + 3 x %d + 64%s); cached /rss.xml p99 %.1f ms over %d" %
           (seconds, requests.group(1) if requests else "?", errors.group(1) if errors else 0, peak, bound, idle / 1024, cache_mb,
            "" if check_figures else "; held to in the full form", p99, len(lat)))


def attack_ranges(f):
    status, body, _ = f.get("/rss.xml", {"Range": "bytes=" + ",".join(["0-0"] * 10000)})
    full = len(f.get("/rss.xml")[1])
    report(status == 200 and len(body) == full, "10,000 ranges", "%d with %d bytes (the document is %d)" % (status, len(body), full))


def attack_smuggling(f):
    s = socket.create_connection(("127.0.0.1", f.port), timeout=10)
    s.sendall(b"GET /rss.xml HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
              b"GET /atom.xml HTTP/1.1\r\nHost: x\r\n\r\n")
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        out += b" (still open)"
    s.close()
    first = out.split(b"\r\n", 1)[0].decode(errors="replace")
    report(first.startswith("HTTP/1.1 400") and out.count(b"HTTP/1.1 ") == 1 and not out.endswith(b"(still open)"),
           "CL + TE", "%s, %d responses, connection %s" % (first, out.count(b"HTTP/1.1 "), "open" if out.endswith(b"(still open)") else "closed"))


def attack_queries(f):
    got = [f.get(q)[0] for q in ("/rss.xml?limit=%zz", "/rss.xml?limit=5%", "/rss.xml?limit=5;x")]
    report(got == [400, 400, 400], "malformed queries", " ".join(map(str, got)))


def attack_check():
    d = os.path.join(WORK, "check")
    shutil.rmtree(d, ignore_errors=True)
    write(os.path.join(d, "a.md"), post("SAME", "a", "2024-01-01"))
    write(os.path.join(d, "b.md"), post("SAME", "b", "2024-01-02"))
    write(os.path.join(d, "c.md"), post("C", "c", "2024-01-03", "language: english\n"))
    r = subprocess.run([os.path.join(WORK, "feedd"), "check", "-posts", d], capture_output=True, text=True)
    out = r.stdout + r.stderr
    ok = r.returncode == 1 and "b.md" in out and "a.md" in out and "english" in out
    report(ok, "check", "exit %d; %s" % (r.returncode, "; ".join(l.strip() for l in out.splitlines() if "warning" not in l)))


def attack_shutdown(f):
    stop = threading.Event()
    results = {"ok": 0, "refused": 0, "reset or empty": 0}
    lock = threading.Lock()

    def client():
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", f.port, timeout=15)
                c.request("GET", "/rss.xml", headers={"Connection": "close"})
                r = c.getresponse()
                r.read()
                kind = "ok" if r.status == 200 else "status %d" % r.status
            except ConnectionRefusedError:
                kind = "refused"
            except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
                kind = "reset or empty"
            except OSError as e:  # a timeout, or anything else: counted, so the line shows it
                kind = type(e).__name__
            with lock:
                results[kind] = results.get(kind, 0) + 1
            if kind == "refused":
                return

    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(1)
    start = time.time()
    code = f.stop()
    for t in threads:
        t.join()
    # A reset can still reach a connection the kernel queued in the instant
    # between the last accept and the listener's close: feedd never
    # accepted it. Those are counted, not failed on; a connection feedd
    # accepted is always answered (TestRunShutdownAnswersAccepted).
    report(code == 0 and results["ok"] > 0 and results["reset or empty"] <= 2 and len(results) == 3, "shutdown under load",
           "16 clients with Connection: close, SIGTERM: exit %s after %.1f s; %s" %
           (code, time.time() - start, ", ".join("%s %d" % kv for kv in results.items())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--short", action="store_true")
    args = ap.parse_args()
    n, seconds, cache_mb = (2000, 5, 16) if args.short else (10000, 15, 16)
    os.makedirs(WORK, exist_ok=True)
    os.chmod(WORK, 0o755)
    subprocess.run(["go", "build", "-o", os.path.join(WORK, "feedd"), "./cmd/feedd"], cwd=ROOT, check=True)
    corpus = os.path.join(WORK, "corpus-%d" % n)
    shutil.rmtree(corpus, ignore_errors=True)
    subprocess.run(["go", "run", "./bench/gen", "-n", str(n), "-seed", "1", "-out", corpus], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    print("soak: %d posts, feed.cache_mb %d, %s" % (n, cache_mb, "short" if args.short else "full"), flush=True)

    small = Feedd("small", small_dir("small"), 18300, nobody=True)
    for attack in (attack_fifo_watcher, attack_symlinks, attack_categories, attack_chmod, attack_nul):
        attack(small)
    small.stop()
    attack_check()

    big = Feedd("big", corpus, 18301, config="feed:\n  cache_mb: %d\n" % cache_mb)
    attack_flood(big, seconds, cache_mb, check_figures=not args.short)
    for attack in (attack_ranges, attack_smuggling, attack_queries, attack_fifo_requests):
        attack(big)
    attack_shutdown(big)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
