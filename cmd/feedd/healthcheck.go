package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheck asks a feedd on this machine for /healthz, for container
// health checks in images without a shell or curl: exit 0 on 200, 1
// otherwise, 2 for a bad flag.
func healthcheck(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("feedd healthcheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "", "the address feedd serve listens on (default :8080; env FEEDD_ADDR)")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	}
	if err != nil || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "feedd healthcheck: bad arguments %q\n%s\n", args, usage)
		return 2
	}
	if *addr == "" {
		*addr = getenv("FEEDD_ADDR")
	}
	if *addr == "" {
		*addr = defaultAddr
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "feedd healthcheck: address %q: %v\n", *addr, err)
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
