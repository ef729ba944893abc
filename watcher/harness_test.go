package watcher_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedd/feedd/feed"
	"github.com/feedd/feedd/watcher"
)

// waitTimeout bounds every wait on a condition: generous, because tests run
// on two busy cores under -race; a passing test never waits that long.
const waitTimeout = 30 * time.Second

// mode is how a test's watcher learns of changes.
type mode struct {
	name string
	opt  watcher.Options
}

var (
	events  = mode{"events", watcher.Options{Debounce: 50 * time.Millisecond}}
	polling = mode{"polling", watcher.Options{Debounce: 50 * time.Millisecond, Poll: true, PollInterval: 50 * time.Millisecond}}
	// bothModes are for behaviour that must not depend on events.
	bothModes = []mode{events, polling}
)

// logBuffer collects JSON log lines from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines returns the logged records as maps.
func (l *logBuffer) lines() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(l.buf.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// harness runs a watcher on a temporary posts directory.
type harness struct {
	t    *testing.T
	dir  string // the posts directory
	set  *feed.Set
	w    *watcher.Watcher
	logs *logBuffer
	stop func() // stops the watcher and waits for Run to return; runs at the test's end too
}

// newPostsDir makes an empty posts directory in a fresh temporary directory.
func newPostsDir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "posts")
	must(t, os.Mkdir(dir, 0o755))
	return dir
}

// startWatcher runs a watcher on dir in mode m and waits for its first
// snapshot. It stops when the test ends.
func startWatcher(t *testing.T, dir string, m mode, tweak ...func(*watcher.Options)) *harness {
	t.Helper()
	return startWatcherWith(t, dir, m, feed.SetOptions{}, tweak...)
}

// startWatcherWith is startWatcher with a set made with setOpt (its
// logger is the harness's).
func startWatcherWith(t *testing.T, dir string, m mode, setOpt feed.SetOptions, tweak ...func(*watcher.Options)) *harness {
	t.Helper()
	h := &harness{t: t, dir: dir, logs: &logBuffer{}}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	setOpt.Logger = log
	h.set = feed.NewSet(setOpt)
	opt := m.opt
	opt.Dir = dir
	opt.Parse = parseOptions()
	opt.Logger = log
	for _, f := range tweak {
		f(&opt)
	}
	h.w = watcher.New(h.set, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.w.Run(ctx) }()
	h.stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(h.stop)
	h.waitFor("the first snapshot", func(s *feed.Snapshot) bool { return s != nil })
	return h
}

// waitFor waits until cond holds for the current snapshot, or fails.
func (h *harness) waitFor(what string, cond func(*feed.Snapshot) bool) *feed.Snapshot {
	h.t.Helper()
	snap, ok := waitSet(h.set, cond, waitTimeout)
	if !ok {
		h.t.Fatalf("gave up waiting for %s; feeds hold %s", what, describe(snap))
	}
	return snap
}

// waitSet waits until cond holds for set's current snapshot, following the
// set's changes, and returns that snapshot; after timeout it returns the
// current one and false.
func waitSet(set *feed.Set, cond func(*feed.Snapshot) bool, timeout time.Duration) (*feed.Snapshot, bool) {
	deadline := time.After(timeout)
	for c := set.Latest(); ; {
		snap := set.Current()
		if cond(snap) {
			return snap, true
		}
		select {
		case <-c.Done():
			c = c.Next()
		case <-deadline:
			return set.Current(), false
		}
	}
}

// waitStats waits until cond holds for the watcher's counters, or fails.
func (h *harness) waitStats(what string, cond func(watcher.Stats) bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond(h.w.Stats()) {
		if time.Now().After(deadline) {
			h.t.Fatalf("gave up waiting for %s; stats %+v", what, h.w.Stats())
		}
		time.Sleep(5 * time.Millisecond) // polling a counter; the deadline decides
	}
}

// waitLog waits for a log line that matches, or fails.
func (h *harness) waitLog(what string, match func(map[string]any) bool) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		for _, l := range h.logs.lines() {
			if match(l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("gave up waiting for %s in the logs", what)
		}
		time.Sleep(5 * time.Millisecond) // polling the log; the deadline decides
	}
}

// titles maps each published post's id to its title.
func titles(s *feed.Snapshot) map[string]string {
	m := map[string]string{}
	if s == nil {
		return m
	}
	for _, p := range s.Posts() {
		m[p.ID] = p.Title
	}
	return m
}

// has reports whether the snapshot publishes exactly these id=title pairs.
func has(want ...string) func(*feed.Snapshot) bool {
	return func(s *feed.Snapshot) bool {
		got := titles(s)
		if len(got) != len(want) || (s != nil && s.Len() != len(want)) {
			return false
		}
		for _, w := range want {
			id, title, _ := strings.Cut(w, "=")
			if got[id] != title {
				return false
			}
		}
		return true
	}
}

func describe(s *feed.Snapshot) string {
	if s == nil {
		return "no snapshot"
	}
	var parts []string
	for _, p := range s.Posts() {
		parts = append(parts, p.ID+"="+p.Title+" ("+p.Path+")")
	}
	slices.Sort(parts)
	if len(parts) > 12 {
		parts = append(parts[:12], fmt.Sprintf("… %d in all", s.Len()))
	}
	return fmt.Sprintf("v%d [%s]", s.Version, strings.Join(parts, ", "))
}

// postFile is a post with a code and a title.
func postFile(code, title string) string {
	return "---\ncode: " + code + "\ntitle: \"" + title + "\"\ndate: 2024-01-01T00:00:00Z\ncategory: News\n---\nBody of " + title + ".\n"
}

// writeAtomic writes a file the way careful tools do: a temp file beside
// it, then a rename over it.
func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	write(t, tmp, content)
	must(t, os.Rename(tmp, path))
}
