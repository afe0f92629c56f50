package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/prikke/prikke/internal/cron"
)

func cronCommand(e *env, args []string) error {
	if len(args) == 0 {
		return usageError("cron: expected `next` or `explain`")
	}
	switch args[0] {
	case "next":
		return cronNext(e, args[1:])
	case "explain":
		return cronExplain(e, args[1:])
	}
	return usageError(fmt.Sprintf("cron: unknown subcommand %q; expected `next` or `explain`", args[0]))
}

// parseCronArgs parses fs's flags, which may come before or after the
// expression, and returns the expression's words joined.
func parseCronArgs(fs *flag.FlagSet, args []string) (string, error) {
	var expr []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", usageError(err.Error())
		}
		if fs.NArg() == 0 {
			break
		}
		expr = append(expr, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return joinArgs(expr), nil
}

func cronExplain(e *env, args []string) error {
	fs := flag.NewFlagSet("cron explain", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	tz := fs.String("tz", "UTC", "IANA time zone the expression is read in")
	expr, err := parseCronArgs(fs, args)
	if err != nil {
		return err
	}
	if expr == "" {
		return usageError("cron explain: expected an expression, e.g. prikke cron explain --tz Europe/Oslo \"30 9 * * 1-5\"")
	}
	loc, err := cron.LoadLocation(*tz)
	if err != nil {
		return err
	}
	s, err := cron.Parse(expr)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s (%s time)\n", s.Describe(), loc)
	return nil
}

func cronNext(e *env, args []string) error {
	fs := flag.NewFlagSet("cron next", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	tz := fs.String("tz", "UTC", "IANA time zone the expression is read in")
	from := fs.String("from", "", "start instant, RFC 3339 (default: now); results are strictly after it")
	count := fs.Int("count", 5, "how many fire instants to print (1-1000)")
	expr, err := parseCronArgs(fs, args)
	if err != nil {
		return err
	}
	if expr == "" {
		return usageError("cron next: expected an expression, e.g. prikke cron next \"0 9 * * 1-5\"")
	}
	if *count < 1 || *count > 1000 {
		return usageError("cron next: --count must be between 1 and 1000")
	}
	loc, err := cron.LoadLocation(*tz)
	if err != nil {
		return err
	}
	start := time.Now()
	if *from != "" {
		if start, err = time.Parse(time.RFC3339, *from); err != nil {
			return fmt.Errorf("--from must be an RFC 3339 instant like 2026-03-29T00:00:00Z, got %q", *from)
		}
	}
	s, err := cron.Parse(expr)
	if err != nil {
		return err
	}
	t := start
	for range *count {
		t = s.Next(t, loc)
		if t.IsZero() {
			break
		}
		fmt.Fprintln(e.stdout, t.UTC().Format("2006-01-02T15:04:05Z"))
	}
	return nil
}
