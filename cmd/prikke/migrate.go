package main

import (
	"context"
	"fmt"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/config"
)

// migrate applies migrations, or prints their status.
func migrate(ctx context.Context, e *env, args []string) error {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, false, newLogger(cfg, e.stderr), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(args) == 1 && args[0] == "status" {
		lines, err := st.MigrationStatus(ctx)
		if err != nil {
			return err
		}
		for _, l := range lines {
			fmt.Fprintln(e.stdout, l)
		}
		return nil
	}
	if len(args) > 0 && args[0] != "up" {
		return usageError("migrate: expected no argument, `up` or `status`")
	}
	fmt.Fprintln(e.stdout, "migrations applied")
	return nil
}

func versionValue() string { return prikke.Version }
