package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/feedd/feedd/feed/feedtest"
	"github.com/feedd/feedd/server"
)

// runTimeouts are short, so that each rule shows within a test; the upper
// deadlines of the waits below are far longer, for machines under load.
var runTimeouts = server.Timeouts{
	Header:   200 * time.Millisecond,
	Request:  400 * time.Millisecond,
	Idle:     300 * time.Millisecond,
	Shutdown: 2 * time.Second,
}

// runWait bounds every wait: a passing test never comes near it.
const runWait = 15 * time.Second

// runRun is a server.Run running on a loopback listener.
type runRun struct {
	addr string
	stop context.CancelFunc // ends Run's context
	done chan struct{}      // closed when Run has returned
	err  error              // what it returned; read once done is closed
}

// runServer runs server.Run with h and t on a loopback listener until the
// test ends.
func runServer(tb testing.TB, h http.Handler, t server.Timeouts) *runRun {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runRun{addr: ln.Addr().String(), stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = server.Run(ctx, ln, h, t, feedtest.Quiet)
	}()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(runWait):
			tb.Error("Run did not return after its context ended")
		}
	})
	return r
}

// runHandler answers "ok" at /, and reports each request's path.
func runHandler(seen chan<- string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			seen <- r.URL.Path
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok\n")
	})
}

// connDial opens a raw connection to addr.
func connDial(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// connClosed reads conn until the server closes it, and gives what it
// read; it fails the test if the server keeps it open for runWait.
func connClosed(t *testing.T, conn net.Conn) []byte {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(runWait))
	data, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %v (read %d bytes)", runWait, len(data))
	}
	return data
}

// connGet sends a GET of path on conn and reads the response whole.
func connGet(t *testing.T, conn net.Conn, br *bufio.Reader, path string) *http.Response {
	t.Helper()
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: feeds.example.com\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(runWait))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp
}

// TestRunHeaderTimeout: a client that never finishes its request's header,
// even one that keeps sending a byte of it now and then (slowloris), is
// cut off once Header has passed, no sooner, and its request is never
// served (the server may say 400 before it closes the connection).
func TestRunHeaderTimeout(t *testing.T) {
	seen := make(chan string, 10)
	addr := runServer(t, runHandler(seen), runTimeouts).addr
	start := time.Now()
	conn := connDial(t, addr)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		header := "GET / HTTP/1.1\r\nHost: feeds.example.com\r\nX-Slow: " + strings.Repeat("a", 1000)
		for i := 0; ; i = (i + 1) % len(header) {
			if _, err := io.WriteString(conn, header[i:i+1]); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	data := connClosed(t, conn)
	if took := time.Since(start); took < runTimeouts.Header {
		t.Errorf("cut off after %v, before the header timeout of %v", took, runTimeouts.Header)
	}
	// net/http may say why before it closes: a 4xx, never an answer.
	if len(data) > 0 && !bytes.HasPrefix(data, []byte("HTTP/1.1 4")) {
		t.Errorf("the server answered an unfinished request: %q", data)
	}
	select {
	case path := <-seen:
		t.Errorf("a request without its whole header was served: %s", path)
	default:
	}
}

// TestRunIdleTimeout: a kept-alive connection serves request after request,
// and is closed once it has waited Idle for the next, no sooner.
func TestRunIdleTimeout(t *testing.T) {
	addr := runServer(t, runHandler(nil), runTimeouts).addr
	conn := connDial(t, addr)
	br := bufio.NewReader(conn)
	for range 2 {
		if resp := connGet(t, conn, br, "/"); resp.StatusCode != 200 || resp.Close {
			t.Fatalf("GET / on a kept-alive connection: %d, close %v", resp.StatusCode, resp.Close)
		}
	}
	// The idle time starts after the last response was written: after the
	// request was sent.
	sent := time.Now()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: feeds.example.com\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(runWait))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	conn.SetReadDeadline(time.Now().Add(runWait))
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatalf("the idle connection was not closed: %v", err)
	}
	if took := time.Since(sent); took < runTimeouts.Idle {
		t.Errorf("an idle connection was closed after %v, before the idle timeout of %v", took, runTimeouts.Idle)
	}
	if len(rest) > 0 {
		t.Errorf("the server sent %q on an idle connection", rest)
	}
}

// TestRunSlowReader: a client that stops reading a large response is cut
// off once Request has passed since its header, no sooner: the handler's
// writes fail, and the client gets less than the whole body, then the end
// of the connection.
func TestRunSlowReader(t *testing.T) {
	const size = 1 << 30 // far more than any socket buffer holds
	type failure struct {
		at      time.Time
		written int64
		err     error
	}
	failed := make(chan failure, 1)
	big := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1073741824")
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		var n int64
		for n < size {
			m, err := w.Write(chunk)
			n += int64(m)
			if err != nil {
				failed <- failure{time.Now(), n, err}
				return
			}
		}
		failed <- failure{time.Now(), n, nil}
	})
	addr := runServer(t, big, runTimeouts).addr
	conn := connDial(t, addr)
	sent := time.Now()
	if _, err := io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: feeds.example.com\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(runWait))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /big: %v", err)
	}
	// Then the client reads nothing more for a while.
	var f failure
	select {
	case f = <-failed:
	case <-time.After(runWait):
		conn.Close()
		t.Fatalf("a client that stopped reading was not cut off in %v", runWait)
	}
	if f.err == nil {
		t.Fatalf("the handler wrote all %d bytes to a client that read none", f.written)
	}
	if took := f.at.Sub(sent); took < runTimeouts.Request {
		t.Errorf("the response was cut off after %v, before the request timeout of %v", took, runTimeouts.Request)
	}
	// What the connection still holds, then its end.
	conn.SetReadDeadline(time.Now().Add(runWait))
	got, err := io.Copy(io.Discard, resp.Body)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection of a client cut off stays open (read %d bytes)", got)
	}
	if got >= size || err == nil {
		t.Errorf("the client got %d bytes of %d (%v) though it was cut off", got, size, err)
	}
}

// TestRunHeaderTooLarge: a request whose header is over MaxHeaderBytes gets
// 431 and is not served; one a little under it is served.
func TestRunHeaderTooLarge(t *testing.T) {
	seen := make(chan string, 10)
	addr := runServer(t, runHandler(seen), runTimeouts).addr
	for _, tc := range []struct {
		name   string
		size   int
		status int
	}{
		{"under the limit", server.MaxHeaderBytes - 4<<10, 200},
		{"over the limit", server.MaxHeaderBytes + 8<<10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		conn := connDial(t, addr)
		// Read while writing: the server answers before it has read the
		// whole header, and closes the connection soon after.
		type result struct {
			resp *http.Response
			err  error
		}
		got := make(chan result, 1)
		go func() {
			conn.SetReadDeadline(time.Now().Add(runWait))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
			}
			got <- result{resp, err}
		}()
		req := "GET / HTTP/1.1\r\nHost: feeds.example.com\r\nX-Big: " + strings.Repeat("b", tc.size) + "\r\n\r\n"
		io.WriteString(conn, req) // over the limit, the server may stop reading: its answer decides
		r := <-got
		if r.err != nil {
			t.Fatalf("%s (%d bytes): %v", tc.name, tc.size, r.err)
		}
		if r.resp.StatusCode != tc.status {
			t.Errorf("%s (%d bytes): %d, want %d", tc.name, tc.size, r.resp.StatusCode, tc.status)
		}
	}
	if n := len(seen); n != 1 {
		t.Errorf("%d requests served, want 1 (the one under the limit)", n)
	}
}

// TestRunShutdown: when Run's context ends it stops accepting, lets the
// request in flight finish, its response whole, then returns nil.
func TestRunShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		w.Write(body)
	})
	run := runServer(t, slow, runTimeouts)
	addr := run.addr
	type result struct {
		status int
		body   []byte
		err    error
	}
	got := make(chan result, 1)
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	go func() {
		resp, err := client.Get("http://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, b, err}
	}()
	select {
	case <-started:
	case <-time.After(runWait):
		t.Fatal("the request did not reach the handler")
	}
	run.stop()
	waitListenerClosed(t, addr) // no delay set: it closes at once
	select {
	case <-run.done:
		t.Fatalf("Run returned (%v) with a request in flight", run.err)
	default:
	}
	close(release)
	select {
	case r := <-got:
		if r.err != nil || r.status != 200 || !bytes.Equal(r.body, body) {
			t.Errorf("the request in flight: %d, %d of %d bytes, %v; want its whole response", r.status, len(r.body), len(body), r.err)
		}
	case <-time.After(runWait):
		t.Fatal("the request in flight got no response")
	}
	run.returnsNil(t)
}

// TestRunShutdownAnswersAccepted: a connection accepted before the server
// was told to stop, whose request comes after the listener has closed, is
// answered whole, with Connection: close (net/http's own Shutdown hangs up
// on it: an empty reply).
func TestRunShutdownAnswersAccepted(t *testing.T) {
	timeouts := runTimeouts
	timeouts.Header = runWait // the early connection's request comes late on purpose
	run := runServer(t, runHandler(nil), timeouts)
	early := connDial(t, run.addr)
	// A whole exchange on a second connection: the first, dialed before it,
	// has been accepted by then.
	other := connDial(t, run.addr)
	if resp := connGet(t, other, bufio.NewReader(other), "/"); resp.StatusCode != 200 {
		t.Fatalf("GET /: %d", resp.StatusCode)
	}
	run.stop()
	waitListenerClosed(t, run.addr)
	resp := connGet(t, early, bufio.NewReader(early), "/")
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || string(body) != "ok\n" || !resp.Close {
		t.Errorf("the accepted connection's request: %d %q, close %v; want 200 \"ok\" and Connection: close", resp.StatusCode, body, resp.Close)
	}
	run.returnsNil(t)
}

// returnsNil waits for Run to return, and fails unless it returned nil
// (a clean shutdown).
func (run *runRun) returnsNil(t *testing.T) {
	t.Helper()
	select {
	case <-run.done:
		if run.err != nil {
			t.Errorf("Run: %v, want nil", run.err)
		}
	case <-time.After(runWait):
		t.Fatal("Run did not return once its connections were answered")
	}
}

// TestRunShutdownDelay: the listener stays open for Delay after the
// server is told to stop, and requests keep being answered meanwhile.
func TestRunShutdownDelay(t *testing.T) {
	t.Parallel() // it spends seconds waiting (timers, other processes): others run meanwhile
	timeouts := runTimeouts
	timeouts.Delay = 3 * time.Second // far longer than three requests on loopback take
	run := runServer(t, runHandler(nil), timeouts)
	run.stop()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range 3 {
		resp, err := c.Get("http://" + run.addr + "/")
		if err != nil {
			t.Fatalf("a request during the delay: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("a request during the delay: %d", resp.StatusCode)
		}
	}
}

// waitListenerClosed waits until addr refuses connections.
func waitListenerClosed(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(runWait); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections after its context ended")
		}
		time.Sleep(10 * time.Millisecond) // polling the listener; the deadline decides
	}
}

// TestRunShutdownTimeout: a request still running when Shutdown has passed
// is given up on: Run returns, and says so.
func TestRunShutdownTimeout(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})
	timeouts := runTimeouts
	timeouts.Shutdown = 300 * time.Millisecond
	run := runServer(t, stuck, timeouts)
	addr := run.addr
	go func() {
		if resp, err := (&http.Client{Transport: &http.Transport{}}).Get("http://" + addr + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-started:
	case <-time.After(runWait):
		t.Fatal("the request did not reach the handler")
	}
	run.stop()
	select {
	case <-run.done:
		if !errors.Is(run.err, context.DeadlineExceeded) {
			t.Errorf("Run with a request that outlasts Shutdown: %v, want a deadline error", run.err)
		}
	case <-time.After(runWait):
		t.Fatal("Run waited past Shutdown for a request that does not end")
	}
}
