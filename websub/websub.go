// Package websub tells WebSub hubs when feeds change: after each change
// of a feed.Set, a publish ping (hub.mode=publish, hub.url=the feed's URL)
// for every feed that changed, to every hub. It follows the set's changes;
// what a feed holds and where it is are feed's and render's.
package websub

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/render"
)

// Options configure a Publisher. Zero values give the defaults.
type Options struct {
	Hubs     []string
	Client   *http.Client  // default: 10 s timeout
	Backoff  time.Duration // first retry delay, doubled each time; default 1 s
	Attempts int           // tries per ping; default 6
	Workers  int           // pings in flight at once; default 4
	Logger   *slog.Logger
}

// Stats count the pings.
type Stats struct {
	Sent, Failed, Retried uint64
	// Seen is the version of the last snapshot the publisher compared.
	Seen uint64
}

// Publisher sends publish pings. It never blocks the set's writer nor a
// request: it follows snapshots on its own goroutine and queues pings, one
// per hub and URL while one is pending.
type Publisher struct {
	opt  Options
	site *render.Site
	log  *slog.Logger

	// The change the publisher follows from, taken in New so that no
	// change applied after New is missed.
	from *feed.Change

	mu      sync.Mutex
	queue   []ping
	pending map[ping]*pingState // queued, in flight or in backoff
	wake    chan struct{}

	sent, failed, retried, seen atomic.Uint64
}

type ping struct{ hub, topic string }

// pingState is where a pending ping is.
type pingState struct {
	attempts int
	inFlight bool
	// again: the feed changed while the ping was in flight, so the hub
	// may have fetched the feed before the change: ping once more.
	again bool
}

// New returns a publisher for the feeds of set, described by site.
func New(set *feed.Set, site *render.Site, opt Options) *Publisher {
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.Backoff <= 0 {
		opt.Backoff = time.Second
	}
	if opt.Attempts <= 0 {
		opt.Attempts = 6
	}
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	return &Publisher{opt: opt, site: site, log: opt.Logger, from: set.Latest(), pending: map[ping]*pingState{}, wake: make(chan struct{}, 1)}
}

// Stats returns the ping counters.
func (p *Publisher) Stats() Stats {
	return Stats{Sent: p.sent.Load(), Failed: p.failed.Load(), Retried: p.retried.Load(), Seen: p.seen.Load()}
}

// Run follows the set until ctx ends, pinging for each change applied
// after New but the first snapshot (subscribers learn of the start-up
// state by subscribing).
func (p *Publisher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for range p.opt.Workers {
		wg.Go(func() { p.work(ctx, &wg) })
	}
	// Following the chain from here on, and holding no earlier change,
	// which would keep every change (and its snapshot) after it alive.
	c := p.from
	p.from = nil
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.Done():
		}
		c = c.Next()
		if !c.First {
			p.enqueue(ChangedURLs(p.site, c))
		}
		p.seen.Store(c.Snapshot.Version)
	}
}

// ChangedURLs are the URLs of the feeds whose content a change made
// different (each format's first page); feeds that vanished are left out.
func ChangedURLs(site *render.Site, c *feed.Change) []string {
	var urls []string
	for _, k := range c.Views {
		if _, ok := c.Snapshot.View(k); !ok {
			continue
		}
		for _, f := range render.Formats {
			urls = append(urls, site.URL(k, f))
		}
	}
	return urls
}

func (p *Publisher) enqueue(topics []string) {
	if len(topics) == 0 {
		return
	}
	p.mu.Lock()
	n := 0
	for _, hub := range p.opt.Hubs {
		for _, t := range topics {
			pg := ping{hub, t}
			if st, ok := p.pending[pg]; ok {
				// A ping not sent yet makes the hub fetch the new state;
				// one in flight may not.
				st.again = st.again || st.inFlight
				continue
			}
			p.pending[pg] = &pingState{}
			p.queue = append(p.queue, pg)
			n++
		}
	}
	p.mu.Unlock()
	if n > 0 {
		p.log.Info("websub pings queued", "pings", n, "feeds", len(topics), "hubs", len(p.opt.Hubs))
		p.signal()
	}
}

func (p *Publisher) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// work sends queued pings until ctx ends; a failed ping is queued again
// after its backoff, by a timer, so no worker waits.
func (p *Publisher) work(ctx context.Context, wg *sync.WaitGroup) {
	for {
		p.mu.Lock()
		var pg ping
		attempt := 0
		ok := len(p.queue) > 0
		if ok {
			pg, p.queue = p.queue[0], p.queue[1:]
			st := p.pending[pg]
			st.attempts++
			st.inFlight = true
			attempt = st.attempts
		}
		more := len(p.queue) > 0
		p.mu.Unlock()
		if more {
			p.signal() // let another worker take the next one
		}
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
				continue
			}
		}
		err := p.send(ctx, pg)
		switch {
		case err == nil:
			p.sent.Add(1)
			p.log.Debug("websub ping sent", "hub", pg.hub, "url", pg.topic)
			p.done(pg, false)
		case ctx.Err() != nil:
			return
		case attempt >= p.opt.Attempts:
			p.failed.Add(1)
			p.log.Error("websub ping failed; giving up", "hub", pg.hub, "url", pg.topic, "attempts", attempt, "err", err)
			p.done(pg, false)
		default:
			p.done(pg, true)
			p.retried.Add(1)
			delay := p.opt.Backoff << (attempt - 1)
			p.log.Warn("websub ping failed; will retry", "hub", pg.hub, "url", pg.topic, "attempt", attempt, "retry_in", delay.String(), "err", err)
			wg.Go(func() {
				t := time.NewTimer(delay)
				defer t.Stop()
				select {
				case <-ctx.Done():
				case <-t.C:
					p.mu.Lock()
					p.queue = append(p.queue, pg)
					p.mu.Unlock()
					p.signal()
				}
			})
		}
	}
}

// done ends an attempt of pg: it will be tried again (retry), or it is
// over, unless its feed changed while it was in flight (then a fresh ping
// is queued).
func (p *Publisher) done(pg ping, retry bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.pending[pg]
	st.inFlight = false
	switch {
	case retry:
		st.again = false // the retry comes after the change anyway
	case st.again:
		*st = pingState{}
		p.queue = append(p.queue, pg)
		p.signal()
	default:
		delete(p.pending, pg)
	}
}

// send posts one publish ping; any 2xx answer is success.
func (p *Publisher) send(ctx context.Context, pg ping) error {
	form := url.Values{"hub.mode": {"publish"}, "hub.url": {pg.topic}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pg.hub, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "feedd (WebSub publisher)")
	resp, err := p.opt.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("hub answered %s", resp.Status)
	}
	return nil
}
