// Package metrics exposes feedd's state and traffic in the Prometheus text
// format: posts, bad posts, snapshots, reloads, the render cache, WebSub
// pings, and requests by route and status.
package metrics

import (
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/watcher"
	"github.com/feedd/feedd/websub"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Sources are what the metrics read. All but Set may be nil.
type Sources struct {
	Set       *feed.Set
	Cache     *feed.Cache
	Watcher   *watcher.Watcher
	Publisher *websub.Publisher
	Bodies    *feed.BodyStore
}

// Metrics holds feedd's Prometheus registry and the metrics that are
// observed as events happen (requests, reloads); the others are read from
// their sources at each scrape.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	reloads  prometheus.Histogram

	// The children of requests and latency by route and status, looked up
	// once: labels are hashed and the status formatted at each request
	// otherwise. The map is replaced, never changed, when a pair is new
	// (a few dozen in a process's life), so reading it takes no lock and,
	// unlike a sync.Map, does not box its key into an allocation.
	byRoute   atomic.Pointer[map[requestLabels]*requestObservers]
	byRouteMu sync.Mutex // serializes the replacements
}

type requestLabels struct {
	route  string
	status int
}

type requestObservers struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// requestBuckets suit a service that answers from memory in microseconds.
var requestBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}

// New registers every metric. The sources are read at each scrape, through
// src: fill it before serving.
func New(src *Sources) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedd_http_requests_total", Help: "HTTP requests by route name and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "feedd_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route name.", Buckets: requestBuckets,
		}, []string{"route"}),
		reloads: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "feedd_reload_duration_seconds", Help: "Time to read, parse and apply a batch of changes on disk; its count is the number of reloads.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
	}
	m.byRoute.Store(&map[requestLabels]*requestObservers{})
	reg.MustRegister(m.requests, m.latency, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	snap := func(f func(*feed.Snapshot) float64) func() float64 {
		return func() float64 {
			if s := src.Set.Current(); s != nil {
				return f(s)
			}
			return 0
		}
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "feedd_posts_indexed", Help: "Published posts in the current snapshot."},
			snap(func(s *feed.Snapshot) float64 { return float64(s.Len()) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "feedd_feeds", Help: "Feeds (views) in the current snapshot, each in three formats."},
			snap(func(s *feed.Snapshot) float64 { return float64(len(s.Views())) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "feedd_snapshot_version", Help: "Version of the current snapshot; it grows with every change published."},
			snap(func(s *feed.Snapshot) float64 { return float64(s.Version) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "feedd_ready", Help: "1 once the first scan of the posts has been applied."},
			func() float64 {
				if src.Set.Current() != nil {
					return 1
				}
				return 0
			}),
	)
	if c := src.Cache; c != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "feedd_cache_hits_total", Help: "Documents served from the render cache."},
				func() float64 { return float64(c.Stats().Hits) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "feedd_cache_misses_total", Help: "Documents rendered because the cache had no current copy."},
				func() float64 { return float64(c.Stats().Misses) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "feedd_cache_bytes", Help: "Memory the render cache counts for its documents."},
				func() float64 { return float64(c.Stats().Bytes) }),
		)
	}
	if w := src.Watcher; w != nil {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "feedd_posts_bad", Help: "Post files that cannot be used now (the last good version of each stays served)."},
				func() float64 { return float64(w.Stats().BadNow) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "feedd_full_rescans_total", Help: "Full rescans of the posts directory (start, overflow, swaps, timer, polls)."},
				func() float64 { return float64(w.Stats().FullScans) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "feedd_event_overflows_total", Help: "File system event overflows and bursts too large to track one by one."},
				func() float64 { return float64(w.Stats().Overflows) }),
		)
	}
	if b, set := src.Bodies, src.Set; b != nil && set != nil {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "feedd_body_store_live_bytes", Help: "Bytes of post bodies in use, kept in files out of memory."},
				func() float64 { return float64(set.StoredBodyBytes()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "feedd_body_store_file_bytes", Help: "Bytes in the body store's files, dead bodies included."},
				func() float64 { return float64(b.Stats().Total) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "feedd_body_store_compactions_total", Help: "Compactions of the body store."},
				func() float64 { return float64(b.Stats().Compacted) }),
		)
	}
	if p := src.Publisher; p != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "feedd_websub_pings_sent_total", Help: "WebSub publish pings a hub accepted."},
				func() float64 { return float64(p.Stats().Sent) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "feedd_websub_pings_failed_total", Help: "WebSub publish pings given up after every retry."},
				func() float64 { return float64(p.Stats().Failed) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "feedd_websub_ping_retries_total", Help: "WebSub publish pings tried again after a failure."},
				func() float64 { return float64(p.Stats().Retried) }),
		)
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveRequest counts a request by route name and status, and its time.
func (m *Metrics) ObserveRequest(route string, status int, took time.Duration) {
	k := requestLabels{route, status}
	obs := (*m.byRoute.Load())[k]
	if obs == nil {
		obs = m.observers(k)
	}
	obs.count.Inc()
	obs.latency.Observe(took.Seconds())
}

// observers adds the children for a new route and status.
func (m *Metrics) observers(k requestLabels) *requestObservers {
	m.byRouteMu.Lock()
	defer m.byRouteMu.Unlock()
	old := *m.byRoute.Load()
	if obs := old[k]; obs != nil {
		return obs
	}
	next := make(map[requestLabels]*requestObservers, len(old)+1)
	maps.Copy(next, old)
	obs := &requestObservers{
		count:   m.requests.WithLabelValues(k.route, strconv.Itoa(k.status)),
		latency: m.latency.WithLabelValues(k.route),
	}
	next[k] = obs
	m.byRoute.Store(&next)
	return obs
}

// ObserveReload records a batch of changes applied.
func (m *Metrics) ObserveReload(took time.Duration) { m.reloads.Observe(took.Seconds()) }
