package watcher

import (
	"context"
	"time"

	"github.com/feedd/feedd/feed"
)

// publishDue publishes a new snapshot of set each time a future-dated post
// becomes due, so that it appears by itself with no file event. It follows
// every change's NextDue until ctx ends.
func publishDue(ctx context.Context, set *feed.Set) {
	for c := set.Latest(); ctx.Err() == nil; {
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		if snap := c.Snapshot; snap != nil && !snap.NextDue.IsZero() {
			timer.Reset(max(0, snap.NextDue.Sub(set.Now())))
		}
		select {
		case <-ctx.Done():
		case <-c.Done():
			c = c.Next()
		case <-timer.C:
			set.Refresh()
		}
		timer.Stop()
	}
}
