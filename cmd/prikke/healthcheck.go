package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

func init() { operatorCommands["healthcheck"] = healthcheck }

// healthcheckTimeout bounds the whole probe: a container HEALTHCHECK
// must get an answer, not a hang.
const healthcheckTimeout = 3 * time.Second

// healthcheck asks this host's Prikke whether it is ready (GET /readyz)
// and exits 0 when it is, 1 with one line saying why not. A container
// image's HEALTHCHECK runs it, so the image needs no curl.
func healthcheck(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	addr := fs.String("addr", "", "address Prikke listens on (default: $PRIKKE_ADDR, else 127.0.0.1:4000)")
	if err := fs.Parse(args); err != nil {
		return usageError("healthcheck: " + err.Error())
	}
	if fs.NArg() > 0 {
		return usageError("healthcheck takes no arguments besides --addr")
	}
	if *addr == "" {
		*addr = e.getenv("PRIKKE_ADDR")
	}
	if *addr == "" {
		*addr = "127.0.0.1:4000"
	}
	target, err := dialAddr(*addr)
	if err != nil {
		return err
	}
	u := "http://" + target + "/readyz"
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %s does not answer: %v", u, unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode == http.StatusOK {
		fmt.Fprintln(e.stdout, "ready")
		return nil
	}
	var p struct {
		Detail string `json:"detail"`
	}
	why := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &p) == nil && p.Detail != "" {
		why = p.Detail
	}
	if len(why) > 200 {
		why = why[:200]
	}
	return fmt.Errorf("not ready: %s answered %d: %s", u, resp.StatusCode, why)
}

// dialAddr turns a listen address into one to dial: a wildcard host
// (0.0.0.0, [::] or none, as in ":4000") is this machine's loopback.
func dialAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", usageError(fmt.Sprintf("healthcheck: address %q: %v", addr, err))
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::", "[::]":
		host = "::1"
	}
	return net.JoinHostPort(host, port), nil
}

// unwrapURLError drops net/http's "Get \"url\":" prefix, which the
// message already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
