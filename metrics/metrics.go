// Package metrics exposes feedd's state and traffic in the Prometheus text
// format: posts, bad posts, snapshots, reloads, the render cache, the body
// store, WebSub pings, webhook deliveries, and requests by route and
// status. It reads each part of feedd through a function of Sources,
// which the command wires, and imports none of them.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Posts are the current snapshot's figures.
type Posts struct {
	Ready     bool   // the first scan has been applied
	Published int    // posts in the feeds
	Feeds     int    // feeds (each in every format)
	Version   uint64 // the snapshot's version
}

// Watcher are the posts directory's figures.
type Watcher struct {
	BadNow    int64  // post files bad now
	FullScans uint64 // full rescans
	Overflows uint64 // event overflows and bursts too large to track
}

// Cache are the render cache's figures.
type Cache struct {
	Hits, Misses uint64
	Bytes        int64
}

// Bodies are the body store's figures.
type Bodies struct {
	LiveBytes, FileBytes int64
	Compactions          uint64
}

// WebSub are the publisher's figures.
type WebSub struct {
	Sent, Failed, Retried uint64
}

// Sources are what the metrics read at each scrape; any may be nil.
type Sources struct {
	Posts   func() Posts
	Watcher func() Watcher
	Cache   func() Cache
	Bodies  func() Bodies
	WebSub  func() WebSub
	// Webhooks are each hook's figures.
	Webhooks func() []Webhook
}

// Webhook are one webhook's figures.
type Webhook struct {
	Hook                        string
	Delivered, Retried, Dropped uint64
	Pending                     int64
}

// Metrics holds feedd's Prometheus registry and the metrics that are
// observed as events happen (requests, reloads); the others are read from
// their sources at each scrape.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	reloads  prometheus.Histogram

	// The children of requests and latency by route and status, looked
	// up once each: WithLabelValues hashes its labels on every call.
	mu        sync.Mutex
	observers map[requestLabels]requestObservers
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

// New registers every metric.
func New(src Sources) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg, observers: map[requestLabels]requestObservers{},
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
	reg.MustRegister(m.requests, m.latency, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r := registrar{reg}
	if f := src.Posts; f != nil {
		r.gauge("feedd_posts_indexed", "Published posts in the current snapshot.", func() float64 { return float64(f().Published) })
		r.gauge("feedd_feeds", "Feeds (views) in the current snapshot, each in every format.", func() float64 { return float64(f().Feeds) })
		r.gauge("feedd_snapshot_version", "Version of the current snapshot; it grows with every change published.", func() float64 { return float64(f().Version) })
		r.gauge("feedd_ready", "1 once the first scan of the posts has been applied.", func() float64 { return bit(f().Ready) })
	}
	if f := src.Watcher; f != nil {
		r.gauge("feedd_posts_bad", "Post files that cannot be used now (the last good version of each stays served).", func() float64 { return float64(f().BadNow) })
		r.counter("feedd_full_rescans_total", "Full rescans of the posts directory (start, overflow, swaps, timer, polls).", func() float64 { return float64(f().FullScans) })
		r.counter("feedd_event_overflows_total", "File system event overflows and bursts too large to track one by one.", func() float64 { return float64(f().Overflows) })
	}
	if f := src.Cache; f != nil {
		r.counter("feedd_cache_hits_total", "Documents served from the render cache.", func() float64 { return float64(f().Hits) })
		r.counter("feedd_cache_misses_total", "Documents rendered because the cache had no current copy.", func() float64 { return float64(f().Misses) })
		r.gauge("feedd_cache_bytes", "Memory the render cache counts for its documents.", func() float64 { return float64(f().Bytes) })
	}
	if f := src.Bodies; f != nil {
		r.gauge("feedd_body_store_live_bytes", "Bytes of post bodies in use, kept in files out of memory.", func() float64 { return float64(f().LiveBytes) })
		r.gauge("feedd_body_store_file_bytes", "Bytes in the body store's files, dead bodies included.", func() float64 { return float64(f().FileBytes) })
		r.counter("feedd_body_store_compactions_total", "Compactions of the body store.", func() float64 { return float64(f().Compactions) })
	}
	if f := src.WebSub; f != nil {
		r.counter("feedd_websub_pings_sent_total", "WebSub publish pings a hub accepted.", func() float64 { return float64(f().Sent) })
		r.counter("feedd_websub_pings_failed_total", "WebSub publish pings given up after every retry.", func() float64 { return float64(f().Failed) })
		r.counter("feedd_websub_ping_retries_total", "WebSub publish pings tried again after a failure.", func() float64 { return float64(f().Retried) })
	}
	if f := src.Webhooks; f != nil {
		reg.MustRegister(webhookCollector(f))
	}
	return m
}

var (
	webhookDeliveries = prometheus.NewDesc("feedd_webhook_deliveries_total",
		"Webhook messages delivered (a 2xx), attempts to be retried, and messages dropped (refused, or given up after 24 h), by hook.",
		[]string{"hook", "result"}, nil)
	webhookPending = prometheus.NewDesc("feedd_webhook_pending", "Webhook messages waiting to be delivered, by hook.", []string{"hook"}, nil)
)

// webhookCollector reads the hooks' figures at each scrape.
type webhookCollector func() []Webhook

func (webhookCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- webhookDeliveries
	ch <- webhookPending
}

func (f webhookCollector) Collect(ch chan<- prometheus.Metric) {
	for _, h := range f() {
		for _, r := range []struct {
			result string
			n      uint64
		}{{"delivered", h.Delivered}, {"retried", h.Retried}, {"dropped", h.Dropped}} {
			ch <- prometheus.MustNewConstMetric(webhookDeliveries, prometheus.CounterValue, float64(r.n), h.Hook, r.result)
		}
		ch <- prometheus.MustNewConstMetric(webhookPending, prometheus.GaugeValue, float64(h.Pending), h.Hook)
	}
}

// registrar registers metrics read at each scrape.
type registrar struct{ reg *prometheus.Registry }

func (r registrar) gauge(name, help string, read func() float64) {
	r.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, read))
}

func (r registrar) counter(name, help string, read func() float64) {
	r.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, read))
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveRequest counts a request by route name and status, and its time.
func (m *Metrics) ObserveRequest(route string, status int, took time.Duration) {
	k := requestLabels{route, status}
	m.mu.Lock()
	obs, ok := m.observers[k]
	if !ok {
		obs = requestObservers{m.requests.WithLabelValues(route, strconv.Itoa(status)), m.latency.WithLabelValues(route)}
		m.observers[k] = obs
	}
	m.mu.Unlock()
	obs.count.Inc()
	obs.latency.Observe(took.Seconds())
}

// ObserveReload records a batch of changes applied.
func (m *Metrics) ObserveReload(took time.Duration) { m.reloads.Observe(took.Seconds()) }
