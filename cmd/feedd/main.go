// Command feedd serves a directory of Markdown posts as RSS 2.0, Atom 1.0
// and JSON Feed 1.1, for every category and language.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
	_ "time/tzdata" // time zones in a static binary on an image without them

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/metrics"
	"github.com/feedd/feedd/watcher"
	"github.com/feedd/feedd/websub"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `usage:
  feedd [serve] [-posts DIR] [-addr HOST:PORT] [-base-url URL] [-config FILE]
  feedd check [-posts DIR] [-config FILE]
  feedd build -out DIR [-posts DIR] [-base-url URL] [-config FILE]
  feedd healthcheck [-addr HOST:PORT]
  feedd version`

// run is feedd's whole command line; it returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "feedd", buildVersion())
		return 0
	case "serve", "check", "build":
	case "help":
		fmt.Fprintln(stdout, usage)
		return 0
	case "healthcheck":
		return healthcheck(args, getenv, stderr)
	default:
		fmt.Fprintf(stderr, "feedd: unknown command %q\n%s\n", cmd, usage)
		return 2
	}
	fs := flag.NewFlagSet("feedd "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var s settings
	fs.StringVar(&s.posts, "posts", "", "posts directory (default ./posts; env FEEDD_POSTS)")
	fs.StringVar(&s.config, "config", "", "config file (env FEEDD_CONFIG)")
	if cmd == "serve" {
		fs.StringVar(&s.addr, "addr", "", "listen address (default :8080; env FEEDD_ADDR)")
		fs.StringVar(&s.logFormat, "log-format", "", "text or json (default: text on a terminal, json otherwise; env FEEDD_LOG_FORMAT)")
		fs.StringVar(&s.logLevel, "log-level", "", "debug, info, warn or error (default info; debug logs every request; env FEEDD_LOG_LEVEL)")
		fs.StringVar(&s.pprof, "pprof", "", "serve Go's profiles (net/http/pprof) at this address, apart from the feeds; off by default (env FEEDD_PPROF)")
	}
	if cmd == "serve" || cmd == "build" {
		fs.StringVar(&s.baseURL, "base-url", "", "public URL of this service (default http://localhost:PORT; env FEEDD_BASE_URL)")
	}
	var out string
	if cmd == "build" {
		fs.StringVar(&out, "out", "", "directory to write the static files into (created)")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintf(stderr, "feedd %s: %v\n%s\n", cmd, err, usage)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "feedd %s: unexpected argument %q\n%s\n", cmd, fs.Arg(0), usage)
		return 2
	}
	if cmd == "build" && out == "" {
		fmt.Fprintf(stderr, "feedd build: -out DIR is required\n%s\n", usage)
		return 2
	}
	s.fromEnv(getenv)
	cfg, err := loadConfig(s)
	if err != nil {
		fmt.Fprintf(stderr, "feedd: %v\n", err)
		return 2
	}
	switch cmd {
	case "check":
		return check(cfg, stdout)
	case "build":
		return build(cfg, out, stderr)
	}
	log, err := newLogger(stderr, s.logFormat, s.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "feedd: %v\n", err)
		return 2
	}
	if s.pprof != "" {
		ln, err := net.Listen("tcp", s.pprof)
		if err != nil {
			fmt.Fprintf(stderr, "feedd: pprof: %v\n", err)
			return 2
		}
		defer ln.Close()
		go servePprof(ln)
		log.Info("serving profiles", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	}
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("feedd stopped", "err", err)
		return 1
	}
	return 0
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// newLogger logs to w in format ("text", "json", or "" for text on a
// terminal and JSON otherwise) from level ("debug", "info", "warn",
// "error"; "" for info).
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if level != "" {
		if err := lv.UnmarshalText([]byte(level)); err != nil {
			return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
		}
	}
	opt := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opt)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opt)), nil
	case "":
		if isTerminal(w) {
			return slog.New(slog.NewTextHandler(w, opt)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opt)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// serve scans the posts, serves them until ctx ends or SIGINT/SIGTERM
// arrives, then finishes the requests in flight (up to 10 s).
func serve(ctx context.Context, cfg *Config, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	bodies := openBodyStore(cfg, log)
	cfg.Parse.Bodies, cfg.Parse.DeferBodies = bodies, true
	set := feed.NewSet(feed.SetOptions{Logger: log})
	if gcTuned(os.Getenv) {
		ready := make(chan struct{})
		go func() {
			for {
				snap, changed := set.Changed()
				if snap != nil {
					close(ready)
					return
				}
				select {
				case <-changed:
				case <-ctx.Done():
					return
				}
			}
		}()
		go tuneGC(ctx, ready)
	}
	handler := feed.NewHandler(&cfg.Site, set, log)
	src := &metrics.Sources{Set: set, Cache: handler.Cache(), Bodies: bodies}
	var m *metrics.Metrics
	w := watcher.New(set, watcher.Options{
		Dir: cfg.Posts, Parse: cfg.Parse, Debounce: cfg.Debounce, Rescan: cfg.Rescan,
		Poll: cfg.Poll, PollInterval: cfg.PollInterval, Logger: log,
		OnBatch: func(took time.Duration) { m.ObserveReload(took) },
	})
	src.Watcher = w
	var pub *websub.Publisher
	if len(cfg.Site.Hubs) > 0 {
		pub = websub.New(set, &cfg.Site, websub.Options{Hubs: cfg.Site.Hubs, Logger: log})
		src.Publisher = pub
	}
	m = metrics.New(src)
	handler.Mount("/metrics", "metrics", m.Handler())
	handler.Observe(m.ObserveRequest)

	// Timeouts: a request's header within 5 s, 120 s idle between
	// requests, 30 s for a request from its header to its response's end;
	// enforced by guard rather than by net/http (see connGuard).
	guard := newConnGuard(5*time.Second, 120*time.Second, 30*time.Second)
	srv := &http.Server{
		Addr:           cfg.Addr,
		Handler:        handler,
		ConnState:      guard.connState,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	ln = guard.listener(ln)
	guardCtx, stopGuard := context.WithCancel(context.Background())
	defer stopGuard() // after the shutdown below: it finishes requests in flight
	go guard.run(guardCtx)
	log.Info("feedd listening", "addr", ln.Addr().String(), "base_url", cfg.Site.BaseURL, "posts", cfg.Posts, "version", buildVersion())

	if pub != nil {
		pubDone := make(chan struct{})
		go func() { pub.Run(ctx); close(pubDone) }()
		defer func() { stop(); <-pubDone }()
	}
	watchDone := make(chan error, 1)
	go func() { watchDone <- w.Run(ctx) }()
	defer func() { stop(); <-watchDone }()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// healthcheck asks a feedd on this machine for /healthz, for container
// health checks in images without a shell or curl: exit 0 on 200, 1
// otherwise, 2 for a bad flag.
func healthcheck(args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("feedd healthcheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "", "the address feedd serve listens on (default :8080; env FEEDD_ADDR)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "feedd healthcheck: bad arguments %q\n%s\n", args, usage)
		return 2
	}
	if *addr == "" {
		*addr = getenv("FEEDD_ADDR")
	}
	if *addr == "" {
		*addr = defaultAddr
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "feedd healthcheck: address %q: %v\n", *addr, err)
		return 2
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		fmt.Fprintf(stderr, "feedd healthcheck: %v\n", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "feedd healthcheck: /healthz answered %d\n", resp.StatusCode)
		return 1
	}
	return 0
}

// openBodyStore opens the store that keeps rendered bodies out of memory,
// or returns nil (bodies in memory) when feed.body_dir is "memory" or no
// file can be made there, which is logged: feedd still serves.
func openBodyStore(cfg *Config, log *slog.Logger) *feed.BodyStore {
	if cfg.BodyDir == "memory" {
		return nil
	}
	bodies, err := feed.NewBodyStore(feed.BodyStoreOptions{Dir: cfg.BodyDir, ReadPost: watcher.FileReader(cfg.Posts), Logger: log})
	if err != nil {
		log.Warn("post bodies are kept in memory", "err", err)
		return nil
	}
	return bodies
}

// check parses every post and prints each problem: exit 1 if any post is bad.
func check(cfg *Config, stdout io.Writer) int {
	// A body's Markdown cannot be bad, so posts with a description are
	// read as the start-up scan reads them: front matter only. Without a
	// place for the store's file, every body is rendered instead.
	opt := cfg.Parse
	if store, err := feed.NewBodyStore(feed.BodyStoreOptions{}); err == nil {
		opt.Bodies, opt.DeferBodies = store, true
	}
	res, err := watcher.Scan(cfg.Posts, opt)
	if err != nil {
		fmt.Fprintf(stdout, "%s: %v\n", cfg.Posts, err)
		return 1
	}
	for _, err := range res.Problems {
		fmt.Fprintln(stdout, err)
	}
	warnings := 0
	for _, p := range res.Posts {
		for _, w := range p.Warnings {
			fmt.Fprintf(stdout, "%s: warning: %s\n", p.Path, w)
			warnings++
		}
	}
	fmt.Fprintf(stdout, "%d posts, %d bad, %d warnings\n", res.Files, len(res.Problems), warnings)
	if len(res.Problems) > 0 {
		return 1
	}
	return 0
}
