package watcher

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/feed/parse"
)

func duePost(t *testing.T, code string, date time.Time) *feed.Post {
	t.Helper()
	src := "---\ncode: " + code + "\ntitle: " + code + "\ndate: " + date.Format(time.RFC3339) + "\n---\n"
	p, err := parse.Post(code+".md", []byte(src), time.Time{}, parse.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func published(s *feed.Snapshot) []string {
	var ids []string
	for _, p := range s.Posts() {
		ids = append(ids, p.ID)
	}
	return ids
}

// TestPublishDue: a future-dated post appears by itself at its time, with
// no file event; the clock is synctest's fake one.
func TestPublishDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now().Truncate(time.Second)
		set := feed.NewSet(feed.SetOptions{})
		set.Apply([]*feed.Post{
			duePost(t, "PAST", start.Add(-time.Hour)),
			duePost(t, "SOON", start.Add(time.Hour)),
			duePost(t, "LATER", start.Add(48*time.Hour)),
		}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go publishDue(ctx, set)

		time.Sleep(time.Hour - time.Second)
		synctest.Wait()
		if got := published(set.Current()); len(got) != 1 {
			t.Fatalf("a second before SOON is due: %v", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := published(set.Current()); len(got) != 2 || got[0] != "SOON" {
			t.Fatalf("when SOON is due: %v, want SOON then PAST", got)
		}

		// A post added later with an earlier time than LATER is followed too.
		set.Apply([]*feed.Post{duePost(t, "NEW", start.Add(2*time.Hour))}, nil)
		time.Sleep(time.Hour)
		synctest.Wait()
		if got := published(set.Current()); len(got) != 3 || got[0] != "NEW" {
			t.Fatalf("when NEW is due: %v", got)
		}
		time.Sleep(46 * time.Hour)
		synctest.Wait()
		if got := published(set.Current()); len(got) != 4 || got[0] != "LATER" {
			t.Fatalf("when LATER is due: %v", got)
		}
		if !set.Current().NextDue.IsZero() {
			t.Errorf("nothing left to publish, but NextDue is %v", set.Current().NextDue)
		}
		cancel()
		synctest.Wait() // publishDue has returned: no goroutine is left behind
	})
}
