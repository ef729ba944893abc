package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheck asks the feedd serving on addr (on this machine) for
// /healthz, for container health checks in images without a shell or
// curl: exit 0 on 200, 1 otherwise. It takes serve's flags and
// environment, so that the arguments given to serve work for it too.
func healthcheck(addr string, stderr io.Writer) int {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintf(stderr, "feedd healthcheck: addr %q: want HOST:PORT or :PORT\n", addr)
		return 2
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		fmt.Fprintf(stderr, "feedd healthcheck: %v\n", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "feedd healthcheck: /healthz answered %d\n", resp.StatusCode)
		return 1
	}
	return 0
}
