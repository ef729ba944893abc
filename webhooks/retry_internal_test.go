package webhooks

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/feedd/feedd/feed/feedtest"
	bolt "go.etcd.io/bbolt"
)

// TestRetryAfterBounds: a Retry-After is read in seconds or as a date,
// never overflows, and holds a message back at most MaxRetryAfter; a
// message is tried a last time at its deadline, and dropped only after
// that attempt fails.
func TestRetryAfterBounds(t *testing.T) {
	for v, want := range map[string]time.Duration{
		"": 0, "-5": 0, "soon": 0, "120": 2 * time.Minute,
		"18446744074": 24 * time.Hour, "99999999999999999999": 0, // overflows int64: not a number
		"Thu, 01 Jan 1970 00:00:00 GMT": 0,
	} {
		if got := retryAfter(v); got != want {
			t.Errorf("Retry-After %q: %v, want %v", v, got, want)
		}
	}
	if got := retryAfter(time.Now().Add(100 * 24 * time.Hour).UTC().Format(timeFormatHTTP)); got < 99*24*time.Hour {
		t.Errorf("a date 100 days away: %v", got)
	}

	s, err := Open(feedtest.NewSet(), feedtest.Site(), Options{State: filepath.Join(t.TempDir(), "state"), Hooks: []Hook{{Name: "h", Format: Slack}}, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := s.hooks[0]
	if err := s.state.record("h", nil, []*message{{ID: "msg_1", Format: Slack}}); err != nil {
		t.Fatal(err)
	}
	h.pending.Store(1)
	retry := backoff.NewExponentialBackOff()
	ctx := context.Background()

	// A Retry-After of 100 days on a new message: tried again within
	// MaxRetryAfter, not dropped.
	m := &message{ID: "msg_1", Format: Slack, Created: time.Now()}
	s.settle(ctx, h, 1, m, retried, 100*24*time.Hour, nil, retry)
	if d := time.Until(m.Next); d > MaxRetryAfter || d < MaxRetryAfter-time.Minute || h.dropped.Load() != 0 || h.retried.Load() != 1 {
		t.Errorf("next attempt in %v, %d dropped, %d retried", d, h.dropped.Load(), h.retried.Load())
	}
	// A minute before its deadline, asked to wait ten: the next attempt
	// is at the deadline.
	m.Created = time.Now().Add(-s.opt.GiveUp + time.Minute)
	s.settle(ctx, h, 1, m, retried, 10*time.Minute, nil, retry)
	if deadline := m.Created.Add(s.opt.GiveUp); !m.Next.Equal(deadline) {
		t.Errorf("next attempt at %v, not at the deadline %v", m.Next, deadline)
	}
	if h.dropped.Load() != 0 {
		t.Error("dropped before its last attempt")
	}
	// That attempt fails: dropped.
	m.Created = time.Now().Add(-s.opt.GiveUp - time.Second)
	s.settle(ctx, h, 1, m, retried, 0, nil, retry)
	if h.dropped.Load() != 1 || h.pending.Load() != 0 {
		t.Errorf("after the deadline: %d dropped, %d pending", h.dropped.Load(), h.pending.Load())
	}
	if _, left, err := s.state.oldest("h"); err != nil || left != nil {
		t.Errorf("the message is still pending: %v, %v", left, err)
	}
}

// timeFormatHTTP is net/http's date format.
const timeFormatHTTP = "Mon, 02 Jan 2006 15:04:05 GMT"

// TestUnreadableMessageDropped: a pending message that cannot be read is
// dropped, not left to hold up the hook.
func TestUnreadableMessageDropped(t *testing.T) {
	s, err := Open(feedtest.NewSet(), feedtest.Site(), Options{State: filepath.Join(t.TempDir(), "state"), Hooks: []Hook{{Name: "h", URL: "http://127.0.0.1:1/", Format: Slack}}, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.state.record("h", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.state.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("h")).Bucket(bucketPending).Put(seqKey(1), []byte("{not json"))
	}); err != nil {
		t.Fatal(err)
	}
	h := s.hooks[0]
	h.pending.Store(1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.deliver(ctx, h); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for h.dropped.Load() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the unreadable message was not dropped")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if _, m, err := s.state.oldest("h"); m != nil || err != nil {
		t.Errorf("still pending: %v %v", m, err)
	}
}
