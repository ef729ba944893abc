// Command feedd serves a directory of Markdown posts as RSS 2.0, Atom 1.0
// and JSON Feed 1.1, for every category, language and author. It reads
// flags, the environment and the config file, wires the parts of feedd
// together and runs its subcommands; the parts themselves live in their
// packages.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	_ "time/tzdata" // time zones in a static binary on an image without them
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `usage:
  feedd [serve] [-posts DIR] [-addr HOST:PORT] [-base-url URL] [-config FILE]
                [-log-format text|json] [-log-level debug|info|warn|error] [-pprof HOST:PORT]
  feedd check [-posts DIR] [-config FILE]
  feedd build -out DIR [-posts DIR] [-base-url URL] [-config FILE]
  feedd healthcheck [serve's flags: -addr HOST:PORT ...]
  feedd version
  feedd help
Each command's flags: feedd COMMAND -h; all of them: feedd help.`

// help is feedd help: the usage, then each command's flags.
func help(w io.Writer) {
	fmt.Fprintln(w, usage)
	for _, cmd := range []string{"serve", "check", "build", "healthcheck"} {
		fmt.Fprintf(w, "\nfeedd %s:\n", cmd)
		fs, _ := newFlagSet(cmd)
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fmt.Fprintln(w, "\nThe environment (FEEDD_POSTS, FEEDD_ADDR, FEEDD_BASE_URL, FEEDD_CONFIG, FEEDD_LOG_FORMAT,\n"+
		"FEEDD_LOG_LEVEL, FEEDD_PPROF) gives what the flags do not; it beats the config file.")
}

// run is feedd's whole command line; it returns the exit code: 0, 1 when
// the work failed, 2 for a bad invocation or config.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	} else if len(args) == 1 && slices.Contains([]string{"-h", "-help", "--help"}, args[0]) {
		cmd = "help" // feedd -h: every command and its flags, as feedd help
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "feedd", buildVersion())
		return 0
	case "help":
		help(stdout)
		return 0
	case "serve", "check", "build", "healthcheck":
	default:
		fmt.Fprintf(stderr, "feedd: unknown command %q (feedd help lists the commands)\n", cmd)
		return 2
	}
	s, code := parseFlags(cmd, args, stdout, stderr)
	if code >= 0 {
		return code
	}
	s.fromEnv(getenv)
	if cmd == "healthcheck" {
		return healthcheck(cmp.Or(s.addr, defaultAddr), stderr)
	}
	cfg, err := loadConfig(s)
	if err != nil {
		fmt.Fprintf(stderr, "feedd: %v\n", err)
		return 2
	}
	switch cmd {
	case "check":
		return check(cfg, stdout)
	case "build":
		return build(cfg, s.out, stderr)
	}
	log, err := newLogger(stderr, s.logFormat, s.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "feedd: %v\n", err)
		return 2
	}
	if err := serve(ctx, cfg, log); err != nil {
		if errors.As(err, new(startError)) {
			fmt.Fprintf(stderr, "feedd: %v\n", err)
			return 2
		}
		log.Error("feedd stopped", "err", err)
		return 1
	}
	return 0
}

// newFlagSet is the flags of a subcommand, read into the settings it
// gives.
func newFlagSet(cmd string) (*flag.FlagSet, *settings) {
	fs := flag.NewFlagSet("feedd "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s := &settings{}
	fs.StringVar(&s.posts, "posts", "", "posts directory (default ./posts; env FEEDD_POSTS)")
	fs.StringVar(&s.config, "config", "", "config file (env FEEDD_CONFIG)")
	if cmd == "serve" || cmd == "healthcheck" { // healthcheck takes serve's flags, to ask where serve listens
		fs.StringVar(&s.addr, "addr", "", "listen address (default :8080; env FEEDD_ADDR)")
		fs.StringVar(&s.logFormat, "log-format", "", "text or json (default: text on a terminal, json otherwise; env FEEDD_LOG_FORMAT)")
		fs.StringVar(&s.logLevel, "log-level", "", "debug, info, warn or error (default info; debug logs every request; env FEEDD_LOG_LEVEL)")
		fs.StringVar(&s.pprof, "pprof", "", "serve Go's profiles (net/http/pprof) at this address, apart from the feeds; off by default (env FEEDD_PPROF)")
	}
	switch cmd {
	case "serve", "healthcheck":
		fs.StringVar(&s.baseURL, "base-url", "", "public URL of this service (default http://localhost:PORT of -addr; env FEEDD_BASE_URL)")
	case "build":
		fs.StringVar(&s.baseURL, "base-url", "", "public URL the files will be served at (default http://localhost:8080; env FEEDD_BASE_URL)")
	}
	if cmd == "build" {
		fs.StringVar(&s.out, "out", "", "directory to write the static files into (created)")
	}
	return fs, s
}

// parseFlags reads the flags of a subcommand. It gives an exit code when
// the command ends here (asked for help, or a bad flag), else -1.
func parseFlags(cmd string, args []string, stdout, stderr io.Writer) (settings, int) {
	fs, s := newFlagSet(cmd)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, "%s\n\nfeedd %s:\n", usage, cmd)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return *s, 0
		}
		fmt.Fprintf(stderr, "feedd %s: %v (feedd %s -h lists its flags)\n", cmd, err, cmd)
		return *s, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "feedd %s: unexpected argument %q (feedd %s -h lists its flags)\n", cmd, fs.Arg(0), cmd)
		return *s, 2
	}
	if cmd == "build" && s.out == "" {
		fmt.Fprintf(stderr, "feedd build: -out DIR is required (feedd build -h lists its flags)\n")
		return *s, 2
	}
	return *s, -1
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// newLogger logs to w in format ("text", "json", or "" for text on a
// terminal and JSON otherwise) from level ("debug", "info", "warn",
// "error"; "" for info).
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if level != "" {
		if err := lv.UnmarshalText([]byte(level)); err != nil {
			return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
		}
	}
	opt := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opt)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opt)), nil
	case "":
		if isTerminal(w) {
			return slog.New(slog.NewTextHandler(w, opt)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opt)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// isTerminal says whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
