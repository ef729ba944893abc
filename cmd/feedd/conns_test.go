package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// guardedServer serves on loopback behind a connGuard with the given
// timeouts: /small answers "ok"; /big writes 64 MiB, far more than socket
// buffers hold, and sends what its write returned on bigDone.
func guardedServer(t *testing.T, header, idle, busy time.Duration) (addr string, bigDone <-chan error) {
	t.Helper()
	g := newConnGuard(header, idle, busy)
	big := make([]byte, 64<<20)
	done := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/small", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		_, err := w.Write(big)
		done <- err
	})
	srv := &http.Server{Handler: mux, ConnState: g.connState}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go g.run(ctx)
	go srv.Serve(g.listener(ln))
	t.Cleanup(func() { cancel(); srv.Close() })
	return ln.Addr().String(), done
}

// dial connects to addr for the rest of the test.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedNoSooner reads c (through r) until the server closes it, and checks
// that that was no sooner than d after start: a rule's timeout.
func closedNoSooner(t *testing.T, c net.Conn, r io.Reader, start time.Time, d time.Duration, rule string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second)) // the test's own limit, far beyond any timeout here
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server did not close the connection in 30 s")
	}
	if took := time.Since(start); took < d {
		t.Errorf("closed after %v, before the %s timeout of %v", took, rule, d)
	}
}

// get sends a whole request on c and reads its answer.
func get(t *testing.T, c net.Conn, br *bufio.Reader, path string) {
	t.Helper()
	io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("GET %s: %d %q", path, resp.StatusCode, body)
	}
}

const hour = time.Hour

// Each test below makes one timeout short and the others an hour, so that
// the connection's closing shows which rule closed it. Each also checks
// that the rule did not act early, against a clock started before
// anything the server could count from.

// TestGuardSlowHeader: a connection that sends half a request header is
// cut off once the header timeout has passed since it opened.
func TestGuardSlowHeader(t *testing.T) {
	const header = 300 * time.Millisecond
	addr, _ := guardedServer(t, header, hour, hour)
	start := time.Now()
	c := dial(t, addr)
	io.WriteString(c, "GET /small HTTP/1.1\r\nHost: x\r\n")
	closedNoSooner(t, c, c, start, header, "header")
}

// TestGuardSlowHeaderOnKeptAliveConnection: after requests are answered,
// the next one's header is held to the header timeout from its first
// byte, though the idle timeout is an hour.
func TestGuardSlowHeaderOnKeptAliveConnection(t *testing.T) {
	const header = 300 * time.Millisecond
	addr, _ := guardedServer(t, header, hour, hour)
	c := dial(t, addr)
	br := bufio.NewReader(c)
	get(t, c, br, "/small")
	get(t, c, br, "/small")
	start := time.Now()
	io.WriteString(c, "GET /small HTTP/1.1\r\nHo")
	closedNoSooner(t, c, br, start, header, "header")
}

// TestGuardIdle: a kept-alive connection with no next request is closed
// once the idle timeout has passed since its last answer.
func TestGuardIdle(t *testing.T) {
	const idle = 400 * time.Millisecond
	addr, _ := guardedServer(t, hour, idle, hour)
	c := dial(t, addr)
	br := bufio.NewReader(c)
	get(t, c, br, "/small")
	start := time.Now() // before the second request: the server goes idle after it
	get(t, c, br, "/small")
	closedNoSooner(t, c, br, start, idle, "idle")
}

// TestGuardBusy: a client that asks for a large response and reads none
// of it holds the server's handler no longer than the busy timeout: its
// write fails instead of blocking for ever.
func TestGuardBusy(t *testing.T) {
	const busy = 300 * time.Millisecond
	addr, bigDone := guardedServer(t, hour, hour, busy)
	c := dial(t, addr)
	start := time.Now()
	io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-bigDone:
		if err == nil {
			t.Fatal("64 MiB written to a client that reads nothing")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the handler was still writing after 30 s")
	}
	if took := time.Since(start); took < busy {
		t.Errorf("cut after %v, before the busy timeout of %v", took, busy)
	}
}
