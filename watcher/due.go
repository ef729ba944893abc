package watcher

import (
	"context"
	"time"

	"github.com/feedd/feedd/feed"
)

// publishDue publishes a new snapshot of set each time a future-dated post
// becomes due, so that it appears by itself with no file event. It follows
// every new snapshot's NextDue until ctx ends.
func publishDue(ctx context.Context, set *feed.Set) {
	for {
		snap, changed := set.Changed()
		var due <-chan time.Time
		var timer *time.Timer
		if snap != nil && !snap.NextDue.IsZero() {
			timer = time.NewTimer(max(0, snap.NextDue.Sub(set.Now())))
			due = timer.C
		}
		select {
		case <-ctx.Done():
		case <-changed:
		case <-due:
			set.Refresh()
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}
