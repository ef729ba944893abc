// Package webhooks pushes each post that becomes new in a hook's feed to
// the hook's URL, as a Slack, Discord or signed JSON message: once, in
// order, and durably. It follows the set's changes as websub does, and
// keeps what each hook has seen and has still to send in one bbolt file,
// so that a restart loses nothing and sends nothing twice. Each hook
// delivers on a goroutine of its own: a failing hook delays no other, no
// request and not the watcher.
package webhooks

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/render"
)

// Hook is one webhook: where to send, for which feed, in which format.
type Hook struct {
	Name   string // unique: the key of its state
	URL    string
	Feed   feed.ViewKey
	Format Format
	// MaxBurst is the most posts new in one change sent one message each;
	// more are sent as one summary. Default 10.
	MaxBurst int
	// Secret is the Standard Webhooks signing key of a JSON hook, decoded
	// from its "whsec_" form (see ParseSecret).
	Secret []byte
}

// Options configure a Sender. Zero values give the defaults.
type Options struct {
	State string // the state file (bbolt), made if missing
	Hooks []Hook
	// Client sends the messages; default: a 10 s timeout.
	Client *http.Client
	// The retries: the first after FirstRetry (default 1 s), doubling up
	// to MaxRetry (default 5 min), with jitter, or after what a
	// Retry-After asks; a message still failing GiveUp (default 24 h)
	// after it was made is dropped.
	FirstRetry, MaxRetry, GiveUp time.Duration
	// Interval is the least time between two messages to one hook
	// (default 1 s).
	Interval time.Duration
	Logger   *slog.Logger
}

// Stats are a hook's figures.
type Stats struct {
	Hook                        string
	Delivered, Retried, Dropped uint64
	Pending                     int64
}

// Sender sends the hooks' messages.
type Sender struct {
	opt    Options
	client *http.Client // opt.Client, following no redirect
	site   *render.Site
	log    *slog.Logger
	state  *state
	hooks  []*hook
	from   *feed.Change // the change it follows from, taken in Open
}

// hook is a Hook and where its deliveries are.
type hook struct {
	Hook
	wake                        chan struct{} // a message was queued
	recheck                     bool          // a change's posts could not be queued: compare the whole feed at the next
	delivered, retried, dropped atomic.Uint64
	pending                     atomic.Int64
}

// Open opens the state file and returns a sender for the feeds of set,
// described by site. It follows the set's changes from now: call Run. An
// unreadable or corrupt state file is an error naming it.
func Open(set *feed.Set, site *render.Site, opt Options) (*Sender, error) {
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 10 * time.Second}
	}
	opt.FirstRetry = cmp.Or(opt.FirstRetry, time.Second)
	opt.MaxRetry = cmp.Or(opt.MaxRetry, 5*time.Minute)
	opt.GiveUp = cmp.Or(opt.GiveUp, 24*time.Hour)
	opt.Interval = cmp.Or(opt.Interval, time.Second)
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	st, err := openState(opt.State)
	if err != nil {
		return nil, err
	}
	client := *opt.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s := &Sender{opt: opt, client: &client, site: site, log: opt.Logger, state: st, from: set.Latest()}
	for _, h := range opt.Hooks {
		h.MaxBurst = cmp.Or(h.MaxBurst, 10)
		hk := &hook{Hook: h, wake: make(chan struct{}, 1)}
		n, err := st.pending(h.Name)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("webhooks state %s: %v", opt.State, err)
		}
		hk.pending.Store(int64(n))
		s.hooks = append(s.hooks, hk)
	}
	if stale, err := st.hooksBut(opt.Hooks); err == nil && len(stale) > 0 {
		s.log.Warn("webhooks state holds hooks the config no longer has; their state is kept", "state", opt.State, "hooks", stale)
	}
	return s, nil
}

// Close closes the state file, once Run has returned.
func (s *Sender) Close() error { return s.state.close() }

// Stats are every hook's figures, in the config's order.
func (s *Sender) Stats() []Stats {
	out := make([]Stats, len(s.hooks))
	for i, h := range s.hooks {
		out[i] = Stats{Hook: h.Name, Delivered: h.delivered.Load(), Retried: h.retried.Load(), Dropped: h.dropped.Load(), Pending: h.pending.Load()}
	}
	return out
}

// Run follows the set's changes and delivers the hooks' messages until
// ctx ends. A message in flight then stays pending, for the next start.
func (s *Sender) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, h := range s.hooks {
		wg.Go(func() { s.deliver(ctx, h) })
	}
	s.follow(ctx)
	wg.Wait()
}

// follow queues the messages of each change, in order.
func (s *Sender) follow(ctx context.Context) {
	full := true // the first snapshot is compared whole: posts may be new since the last run
	for c := s.from; ; {
		if c.Snapshot != nil {
			for _, h := range s.hooks {
				err := s.queue(c, h, full || h.recheck)
				if h.recheck = err != nil; err != nil {
					s.log.Error("webhook state not updated: the posts new to the hook are looked for again at the next change", "hook", h.Name, "err", err)
				}
			}
			full = false
		}
		select {
		case <-ctx.Done():
			return
		case <-c.Done():
			c = c.Next()
		}
	}
}

// queue records the posts of change c new to hook h and queues their
// messages. With full, every post of the hook's feed is a candidate (the
// first snapshot: posts published while feedd was stopped are new), and a
// hook with no state yet records them all as seen and sends nothing.
func (s *Sender) queue(c *feed.Change, h *hook, full bool) error {
	view, ok := c.Snapshot.View(h.Feed)
	var candidates []*feed.Post
	switch {
	case full && ok:
		candidates, _ = c.Snapshot.Page(view, 1, view.Len())
	case !full:
		for _, p := range slices.Concat(c.Published(), c.Updated()) {
			if h.Feed.Holds(p) {
				candidates = append(candidates, p)
			}
		}
	}
	if full {
		known, err := s.state.known(h.Name)
		if err != nil {
			return err
		}
		if !known {
			s.log.Info("webhook started: the posts of its feed are taken as sent", "hook", h.Name, "feed", h.Feed.Dir(), "posts", len(candidates))
			return s.state.record(h.Name, ids(candidates), nil)
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	fresh, err := s.state.unseen(h.Name, ids(candidates))
	if err != nil || len(fresh) == 0 {
		return err
	}
	isNew := make(map[string]bool, len(fresh))
	for _, id := range fresh {
		isNew[id] = true
	}
	posts := make([]*feed.Post, 0, len(fresh))
	for _, p := range candidates {
		if isNew[p.ID] {
			posts = append(posts, p)
			isNew[p.ID] = false // once, though a change lists it twice
		}
	}
	// Oldest first: the order they were published in.
	slices.SortFunc(posts, func(a, b *feed.Post) int { return cmp.Or(a.Date.Compare(b.Date), cmp.Compare(a.ID, b.ID)) })
	msgs, err := s.messages(h, view, posts)
	if err != nil {
		return err
	}
	if err := s.state.record(h.Name, ids(posts), msgs); err != nil {
		return err
	}
	h.pending.Add(int64(len(msgs)))
	select {
	case h.wake <- struct{}{}:
	default:
	}
	return nil
}

// messages are hook h's messages for posts (oldest first): one each, or
// one summary when there are more than its MaxBurst.
func (s *Sender) messages(h *hook, view *feed.View, posts []*feed.Post) ([]*message, error) {
	groups := [][]*feed.Post{posts}
	if len(posts) <= h.MaxBurst {
		groups = groups[:0]
		for _, p := range posts {
			groups = append(groups, []*feed.Post{p})
		}
	}
	now := time.Now()
	var msgs []*message
	for _, g := range groups {
		body, err := news{site: s.site, view: view, posts: g}.body(h.Format)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, &message{ID: newMessageID(), Format: h.Format, Created: now, Next: now, Posts: ids(g), Body: body})
	}
	return msgs, nil
}

func ids(posts []*feed.Post) []string {
	out := make([]string, len(posts))
	for i, p := range posts {
		out[i] = p.ID
	}
	return out
}

// newMessageID is a message's webhook-id: "msg_" and 128 random bits in
// base32.
func newMessageID() string {
	return "msg_" + rand.Text()
}

// deliver sends hook h's pending messages, oldest first, one at a time,
// at most one per Interval, until ctx ends.
func (s *Sender) deliver(ctx context.Context, h *hook) {
	retry := &backoff.ExponentialBackOff{
		InitialInterval: s.opt.FirstRetry, RandomizationFactor: 0.5, Multiplier: 2, MaxInterval: s.opt.MaxRetry,
	}
	retry.Reset()
	var last time.Time
	for {
		seq, m, err := s.state.oldest(h.Name)
		var bad *badMessage
		switch {
		case errors.As(err, &bad):
			// Not a message feedd can read (written by another version, or
			// damaged): dropped, so that it does not hold up the others.
			s.log.Error("webhook message unreadable; dropped", "hook", h.Name, "err", err)
			if s.persist(ctx, h, func() error { return s.state.drop(h.Name, bad.seq) }) {
				h.dropped.Add(1)
				h.pending.Add(-1)
			}
			continue
		case err != nil:
			s.log.Error("webhook state unreadable; trying again", "hook", h.Name, "err", err)
			m = nil
		}
		if m == nil {
			select {
			case <-ctx.Done():
				return
			case <-h.wake:
				continue
			case <-time.After(time.Minute): // after a state error: try again
				continue
			}
		}
		if !sleepUntil(ctx, later(m.Next, last.Add(s.opt.Interval))) {
			return
		}
		last = time.Now()
		var o outcome
		var wait time.Duration
		if m.Format != h.Format {
			o, err = dropped, fmt.Errorf("made for format %q; the hook's is now %q", m.Format, h.Format)
		} else {
			o, wait, err = s.send(ctx, h, m)
		}
		if ctx.Err() != nil && o != delivered {
			return // stays pending: sent again at the next start
		}
		m.Attempts++
		s.settle(ctx, h, seq, m, o, wait, err, retry)
		if ctx.Err() != nil {
			return
		}
	}
}

// settle records the outcome of an attempt at delivering m (pending as
// seq), logs it and counts it; attemptErr is why it failed. A message
// still failing when GiveUp has passed since it was made is dropped;
// until then it is tried again after the backoff, or when a Retry-After
// asks (within MaxRetryAfter), and once more at the deadline.
func (s *Sender) settle(ctx context.Context, h *hook, seq uint64, m *message, o outcome, wait time.Duration, attemptErr error, retry *backoff.ExponentialBackOff) {
	deadline := m.Created.Add(s.opt.GiveUp)
	if o == retried && time.Now().Before(deadline) {
		delay := min(retry.NextBackOff(), s.opt.MaxRetry) // the jitter may reach past it
		if wait > 0 {
			delay = min(wait, max(s.opt.MaxRetry, MaxRetryAfter))
		}
		m.Next = time.Now().Add(delay)
		if m.Next.After(deadline) {
			m.Next = deadline // a last attempt then
		}
		s.log.Warn("webhook attempt failed; trying again", "hook", h.Name, "id", m.ID, "attempts", m.Attempts, "at", m.Next.Format(time.RFC3339), "err", attemptErr)
		if s.persist(ctx, h, func() error { return s.state.retry(h.Name, seq, m) }) {
			h.retried.Add(1)
		}
		return
	}
	retry.Reset()
	switch o {
	case delivered:
		if s.persist(ctx, h, func() error { return s.state.delivered(h.Name, seq, m, time.Now()) }) {
			h.delivered.Add(1)
			h.pending.Add(-1)
			s.log.Info("webhook delivered", "hook", h.Name, "id", m.ID, "posts", m.Posts, "attempts", m.Attempts)
		}
		return
	case retried:
		s.log.Error("webhook message given up", "hook", h.Name, "id", m.ID, "posts", m.Posts, "attempts", m.Attempts, "err", attemptErr)
	default:
		s.log.Warn("webhook message refused; dropped", "hook", h.Name, "id", m.ID, "posts", m.Posts, "err", attemptErr)
	}
	if s.persist(ctx, h, func() error { return s.state.drop(h.Name, seq) }) {
		h.dropped.Add(1)
		h.pending.Add(-1)
	}
}

// persist runs write, a change of the state, until it succeeds (a full
// disk, say, is logged and tried again, every minute at most: nothing is
// sent meanwhile, so a message is not sent again for want of a record),
// and reports whether it did; false only when ctx ended first, and then
// the write is tried once more, for the next start.
func (s *Sender) persist(ctx context.Context, h *hook, write func() error) bool {
	pause := time.Second
	for {
		err := write()
		if err == nil {
			return true
		}
		s.log.Error("webhook state not updated; trying again", "hook", h.Name, "err", err)
		if !sleepUntil(ctx, time.Now().Add(pause)) {
			return write() == nil
		}
		pause = min(2*pause, time.Minute)
	}
}

// MaxRetryAfter is the longest a hook's Retry-After holds its messages
// back, when that is more than the longest backoff.
const MaxRetryAfter = time.Hour

// outcome is what an attempt led to.
type outcome int

const (
	delivered outcome = iota
	retried
	dropped
)

// send makes one attempt at delivering m: delivered on a 2xx; retried on a
// network error, a 408, a 429 or a 5xx (with how long a Retry-After asks
// to wait); dropped on any other status, redirects included: a POST
// redirected would arrive as a GET without its body, or go with its
// signature to another host. A Slack message refused with a 400 is sent
// again at once without its images (slackWithoutImages).
func (s *Sender) send(ctx context.Context, h *hook, m *message) (outcome, time.Duration, error) {
	o, wait, code, err := s.post(ctx, h, m.ID, m.Body)
	if code == http.StatusBadRequest && h.Format == Slack {
		if body, ok := slackWithoutImages(m.Body); ok {
			s.log.Warn("webhook message refused with its image; sending it without", "hook", h.Name, "id", m.ID, "err", err)
			o, wait, _, err = s.post(ctx, h, m.ID, body)
		}
	}
	return o, wait, err
}

// post sends one message body to a hook, and says what came of it (see
// send), with the status it was answered (0 for none).
func (s *Sender) post(ctx context.Context, h *hook, id string, body []byte) (outcome, time.Duration, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return dropped, 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "feedd")
	if h.Format == JSON {
		sign(req.Header, h.Secret, id, time.Now(), body)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // not the URL: a hook's URL holds its token
		}
		return retried, 0, 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return delivered, 0, code, nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return retried, retryAfter(resp.Header.Get("Retry-After")), code, fmt.Errorf("answered %s", resp.Status)
	case code >= 300 && code < 400:
		return dropped, 0, code, fmt.Errorf("answered %s to %s: give the hook its new URL", resp.Status, resp.Header.Get("Location"))
	}
	return dropped, 0, code, fmt.Errorf("answered %s", resp.Status)
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date; 0 if
// none.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// sign adds the Standard Webhooks headers: the message's id, the time of
// this attempt, and the HMAC-SHA256 of "id.timestamp.body" keyed with the
// secret (https://github.com/standard-webhooks/standard-webhooks).
func sign(hdr http.Header, secret []byte, id string, at time.Time, body []byte) {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	hdr.Set("webhook-id", id)
	hdr.Set("webhook-timestamp", ts)
	hdr.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

// ParseSecret reads a Standard Webhooks signing secret: "whsec_" and the
// key in base64.
func ParseSecret(s string) ([]byte, error) {
	rest, ok := bytes.CutPrefix([]byte(s), []byte("whsec_"))
	if !ok {
		return nil, fmt.Errorf("want whsec_ and a base64 key")
	}
	key, err := base64.StdEncoding.DecodeString(string(rest))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("want whsec_ and a base64 key of 16 bytes or more")
	}
	return key, nil
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
