package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/feedd/feedd/bodies"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/metrics"
	"github.com/feedd/feedd/server"
	"github.com/feedd/feedd/watcher"
	"github.com/feedd/feedd/webhooks"
	"github.com/feedd/feedd/websub"
)

// serve scans the posts, serves them until ctx ends or SIGINT/SIGTERM
// arrives, then finishes the requests in flight (up to 10 s).
func serve(ctx context.Context, cfg *Config, log *slog.Logger) error {
	lns, err := openListeners(cfg)
	if err != nil {
		return err
	}
	ln, metricsLn := lns.feeds, lns.metrics
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, closeStore := openBodyStore(cfg, log)
	defer closeStore()
	set := feed.NewSet(feed.SetOptions{Logger: log, Bodies: store})
	// Bodies are rendered when first read, or by renderBodies below: a
	// start-up reads only what feeds list.
	parse := cfg.Parse
	parse.DeferBodies = true
	var m *metrics.Metrics
	w := watcher.New(set, watcher.Options{
		Dir: cfg.Posts, Parse: parse, Debounce: cfg.Debounce, Rescan: cfg.Rescan,
		Poll: cfg.Poll, PollInterval: cfg.PollInterval, Logger: log,
		OnBatch: func(took time.Duration) { m.ObserveReload(took) },
	})
	var pub *websub.Publisher
	if len(cfg.Site.Hubs) > 0 {
		pub = websub.New(set, &cfg.Site, websub.Options{Hubs: cfg.Site.Hubs, Logger: log})
	}
	hooks, err := openWebhooks(cfg, set, log)
	if err != nil {
		lns.close()
		return err
	}
	if hooks != nil {
		defer hooks.Close() // after wg.Wait, deferred below: Run has returned
	}
	var srv *server.Server
	m = metrics.New(sources(set, w, func() *server.Server { return srv }, store, pub, hooks))
	opt := server.Options{
		Site: &cfg.Site, Set: set, Logger: log, MaxLimit: cfg.MaxLimit, MaxAge: cfg.MaxAge,
		CacheBytes: cfg.CacheBytes, CORS: cfg.CORS, Metrics: m.Handler(), Observe: m.ObserveRequest,
	}
	if metricsLn != nil {
		opt.Metrics = nil // on its own address, not on the feeds'
	}
	srv = server.New(opt)
	if w := cfg.localhostWarning(); w != "" {
		log.Warn(w)
	}
	log.Info("feedd listening", "addr", ln.Addr().String(), "base_url", cfg.Site.BaseURL, "posts", cfg.Posts, "version", buildVersion())

	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop() // before waiting: every goroutine below ends with ctx
	wg.Go(func() {
		if err := w.Run(ctx); err != nil {
			log.Error("watching the posts", "err", err)
		}
	})
	wg.Go(func() { renderBodies(ctx, set, log) })
	if pub != nil {
		wg.Go(func() { pub.Run(ctx) })
	}
	if hooks != nil {
		wg.Go(func() { hooks.Run(ctx) })
	}
	if metricsLn != nil {
		log.Info("serving metrics", "url", "http://"+metricsLn.Addr().String()+"/metrics")
		wg.Go(func() { _ = server.Run(ctx, metricsLn, server.MetricsOnly(m.Handler()), server.DefaultTimeouts, log) })
	}
	if lns.pprof != nil {
		servePprof(ctx, &wg, lns.pprof, log)
	}
	context.AfterFunc(ctx, srv.Stopping) // /readyz answers 503 from the signal on
	t := server.DefaultTimeouts
	t.Delay = cfg.ShutdownDelay
	if err := server.Run(ctx, ln, srv, t, log); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// startError is a failure before anything is served (an address that
// cannot be listened on): feedd exits 2 with it on one line.
type startError struct{ error }

// listeners are the addresses serve listens on: the feeds', and metrics'
// and profiles' when they have their own. They are opened before
// anything else, so that one that cannot be is a start-up error.
type listeners struct{ feeds, metrics, pprof net.Listener }

func openListeners(cfg *Config) (*listeners, error) {
	var l listeners
	for _, a := range []struct {
		what, addr string
		ln         *net.Listener
	}{{"addr", cfg.Addr, &l.feeds}, {"metrics.addr", cfg.MetricsAddr, &l.metrics}, {"pprof", cfg.Pprof, &l.pprof}} {
		if a.addr == "" {
			continue
		}
		ln, err := listen(a.what, a.addr)
		if err != nil {
			l.close()
			return nil, err
		}
		*a.ln = ln
	}
	return &l, nil
}

func (l *listeners) close() {
	for _, ln := range []net.Listener{l.feeds, l.metrics, l.pprof} {
		if ln != nil {
			ln.Close()
		}
	}
}

// listen listens on addr, given as what (the flag or key that names it).
func listen(what, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, startError{fmt.Errorf("%s %q: %v", what, addr, err)}
	}
	return ln, nil
}

// renderBodies renders, once the first snapshot is out, the bodies its
// scan left for later, newest first: those readers ask for first.
func renderBodies(ctx context.Context, set *feed.Set, log *slog.Logger) {
	c := set.Latest()
	for c.Snapshot == nil {
		select {
		case <-ctx.Done():
			return
		case <-c.Done():
			c = c.Next()
		}
	}
	start := time.Now()
	n := set.RenderBodies(ctx)
	log.Info("post bodies rendered", "bodies", n, "took", time.Since(start).Round(time.Millisecond).String())
}

// servePprof serves Go's profiles (net/http/pprof) on their own listener,
// never on the feeds' address, until ctx ends.
func servePprof(ctx context.Context, wg *sync.WaitGroup, ln net.Listener, log *slog.Logger) {
	log.Info("serving profiles", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	t := server.DefaultTimeouts
	t.Request = 5 * time.Minute // a CPU profile or trace takes as long as it is asked to
	wg.Go(func() { _ = server.Run(ctx, ln, server.Profiles(), t, log) })
}

// sources are what the metrics read, from each part of feedd.
func sources(set *feed.Set, w *watcher.Watcher, srv func() *server.Server, store feed.BodyStore, pub *websub.Publisher, hooks *webhooks.Sender) metrics.Sources {
	src := metrics.Sources{
		Posts: func() metrics.Posts {
			snap := set.Current()
			if snap == nil {
				return metrics.Posts{}
			}
			return metrics.Posts{Ready: true, Published: snap.Len(), Feeds: len(snap.Views()), Version: snap.Version}
		},
		Watcher: func() metrics.Watcher {
			st := w.Stats()
			return metrics.Watcher{BadNow: st.BadNow, FullScans: st.FullScans, Overflows: st.Overflows}
		},
		Cache: func() metrics.Cache {
			c := srv().Cache()
			return metrics.Cache{Hits: c.Hits(), Misses: c.Misses(), Bytes: c.Bytes()}
		},
	}
	if b, ok := store.(*bodies.Store); ok {
		src.Bodies = func() metrics.Bodies {
			st := b.Stats()
			return metrics.Bodies{LiveBytes: st.LiveBytes, FileBytes: st.FileBytes, Compactions: st.Compactions}
		}
	}
	if pub != nil {
		src.WebSub = func() metrics.WebSub {
			st := pub.Stats()
			return metrics.WebSub{Sent: st.Sent, Failed: st.Failed, Retried: st.Retried}
		}
	}
	if hooks != nil {
		src.Webhooks = func() []metrics.Webhook {
			var out []metrics.Webhook
			for _, st := range hooks.Stats() {
				out = append(out, metrics.Webhook(st))
			}
			return out
		}
	}
	return src
}

// openWebhooks opens the webhooks' state and gives their sender, or none
// when there are no hooks or this process does not send (webhooks.send:
// false). A state file that cannot be opened is a start-up error.
func openWebhooks(cfg *Config, set *feed.Set, log *slog.Logger) (*webhooks.Sender, error) {
	wh := cfg.Webhooks
	if len(wh.Hooks) == 0 {
		return nil, nil
	}
	if !wh.Send {
		log.Info("webhooks are sent by another process (webhooks.send: false)", "hooks", len(wh.Hooks))
		return nil, nil
	}
	s, err := webhooks.Open(set, &cfg.Site, webhooks.Options{State: wh.State, Hooks: wh.Hooks, Logger: log})
	if err != nil {
		return nil, startError{err}
	}
	return s, nil
}

// openBodyStore opens the store that keeps rendered bodies out of memory,
// or gives none (bodies in memory) when feed.body_dir is "memory" or no
// file can be made there, which is logged: feedd still serves.
func openBodyStore(cfg *Config, log *slog.Logger) (feed.BodyStore, func()) {
	if cfg.BodyDir == "memory" {
		return nil, func() {}
	}
	store, err := bodies.Open(bodies.Options{Dir: cfg.BodyDir, Logger: log})
	if err != nil {
		log.Warn("post bodies are kept in memory", "err", err)
		return nil, func() {}
	}
	return store, func() {
		if err := store.Close(); err != nil {
			log.Warn("closing the body store", "err", err)
		}
	}
}
