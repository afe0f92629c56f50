// Command prikke is the whole of Prikke in one binary: the HTTP server
// (dashboard, API, public pages), the scheduler and the delivery workers,
// on an embedded SQLite file or a shared PostgreSQL, plus operator
// commands. See `prikke --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		var es exitStatus
		if errors.As(err, &es) {
			os.Exit(int(es)) // prikke run: the command's own status, already explained
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "prikke:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "prikke:", err)
		os.Exit(1)
	}
}
