package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/config"
)

// usageError is a mistake in the command line (exit status 2).
type usageError string

func (e usageError) Error() string { return string(e) }

// env bundles the process's inputs and outputs so commands can be run in
// tests like the real binary.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// run is the whole program: it picks the command from args and runs it
// until it finishes or ctx ends (SIGINT, SIGTERM).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, e, args)
	case "migrate":
		return migrate(ctx, e, args)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "prikke", prikke.Version)
		return nil
	case "cron":
		return cronCommand(e, args)
	case "bench":
		return bench(ctx, e, args)
	case "bench-receiver": // hidden: the bench's receiver process (bench_receiver.go)
		return benchReceiverCmd(ctx, e, args)
	case "run":
		return pingRun(ctx, e, args)
	case "help", "--help", "-help", "-h":
		printHelp(stdout)
		return nil
	default:
		if c, ok := operatorCommands[cmd]; ok {
			return c(ctx, e, args)
		}
		printHelp(stderr)
		return usageError(fmt.Sprintf("unknown command %q", cmd))
	}
}

// operatorCommands are short commands that work beside a running server.
var operatorCommands = map[string]func(ctx context.Context, e *env, args []string) error{}

func printHelp(w io.Writer) {
	fmt.Fprint(w, `prikke — cron scheduling and webhook delivery, til punkt og prikke.

Usage: prikke [command] [arguments]

Commands:
  serve                  run the server, scheduler and workers (the default)
  migrate [status] [--allow-older-nodes]
                         apply database migrations (the expand ones also run at
                         start); contract steps wait for older nodes to go
  version                print the version
  backup --to FILE [--force]
                         copy the SQLite database while Prikke runs
  restore --from FILE [--force]
                         put a backup in place of the SQLite database (server stopped)
  healthcheck [--addr A] exit 0 when this host's Prikke answers /readyz (A: PRIKKE_ADDR)
  cron next [--tz ZONE] [--from RFC3339] [--count N] EXPR
                         print the next N fire instants (UTC, RFC 3339)
  cron explain [--tz ZONE] EXPR
                         describe a cron expression in plain English
  bench --mode burst|cron|idle --jobs N
                         measure the engine against a built-in loopback sink
  run --ping URL [--timeout 10s] [--retries 5] [--body-limit 10000] -- CMD [ARGS...]
                         run CMD and ping a monitor at its start and end with its
                         exit status and output (URL default: $PRIKKE_PING_URL)
  user create --email E --password-stdin [--tier free|pro]
                         create a confirmed user with a personal organization
  apikey create --email E [--name N]
                         create an API key for a user's personal organization
  org set-tier (--email E | --org ID) free|pro
                         change an organization's base tier (a subscription may
                         still grant Pro; a downgrade pauses what Free disallows)
  org suspend (ORG | --email E | --org ID) --reason R
                         suspend an organization: its jobs and monitors pause, its
                         API keys answer 403 with R, its members change nothing
  org unsuspend (ORG | --email E | --org ID)
                         lift a suspension; what it paused resumes within the tier
  org list [--query Q] [--suspended]
                         organizations with their tier, counts and this month's usage
  nodes                  the cluster's nodes: heartbeat, version, schema, load, leader
  billing unclaimed      list subscriptions no organization has claimed
  billing claim SUBSCRIPTION_ID ORGANIZATION_ID
                         attach an unclaimed subscription to an organization
  billing sync           re-read every subscription from Lemon Squeezy now
  incident open|update|resolve ...
                         post to the public status page (see prikke incident --help)

Environment:
`)
	for _, v := range config.Vars {
		def := v.Default
		if def == "" {
			def = "unset"
		}
		fmt.Fprintf(w, "  %-26s %s\n  %-26s default: %s\n", v.Name, v.Help, "", def)
	}
	fmt.Fprintln(w, "\nDocumentation: /docs on any running Prikke, and README.md.")
}

// joinArgs joins the remaining arguments into one expression, so that both
// `prikke cron next "0 9 * * *"` and `prikke cron next 0 9 '*' '*' '*'` work.
func joinArgs(args []string) string { return strings.Join(args, " ") }
