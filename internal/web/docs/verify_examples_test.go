package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prikke/prikke/internal/delivery"
)

// TestVerifyExamples runs the signature verification examples of
// /docs/webhooks against signatures made by delivery.Sign, the code that
// signs real deliveries: a good request, one signed during a rotation,
// a wrong secret, a tampered body and a stale timestamp. Go always runs;
// Node and Python run when they are installed.
func TestVerifyExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs; skipped with -short")
	}
	secret, other := delivery.NewSecret(), delivery.NewSecret()
	body := `{"job":"nightly report","note":"blåbærsyltetøy"}`
	now := time.Now()
	sign := func(s string, ts time.Time, b string) string {
		sig, err := delivery.Sign(s, "msg_test123", ts, []byte(b))
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	type vector struct {
		name, ts, sig, body string
		ok                  bool
	}
	unix := func(ts time.Time) string { return strconv.FormatInt(ts.Unix(), 10) }
	stale := now.Add(-10 * time.Minute)
	vectors := []vector{
		{"valid", unix(now), sign(secret, now, body), body, true},
		{"rotation", unix(now), sign(other, now, body) + " " + sign(secret, now, body), body, true},
		{"wrong secret", unix(now), sign(other, now, body), body, false},
		{"tampered body", unix(now), sign(secret, now, body), body + " ", false},
		{"stale", unix(stale), sign(secret, stale, body), body, false},
		{"future", unix(now.Add(10 * time.Minute)), sign(secret, now.Add(10*time.Minute), body), body, false},
		{"not a number", "soon", sign(secret, now, body), body, false},
	}

	run := func(t *testing.T, dir string, cmd ...string) {
		t.Helper()
		for _, v := range vectors {
			c := exec.Command(cmd[0], cmd[1:]...)
			c.Dir = dir
			c.Env = append(os.Environ(), "SECRET="+secret, "ID=msg_test123", "TS="+v.ts, "SIG="+v.sig, "BODY="+v.body)
			out, err := c.CombinedOutput()
			got := strings.ToLower(strings.TrimSpace(string(out)))
			if err != nil && !strings.HasSuffix(got, "false") {
				t.Fatalf("%s: %v\n%s", v.name, err, out)
			}
			if want := strconv.FormatBool(v.ok); !strings.HasSuffix(got, want) {
				t.Errorf("%s: the example says %q, want %s", v.name, got, want)
			}
		}
	}

	t.Run("go", func(t *testing.T) {
		goBin, err := exec.LookPath("go")
		if err != nil {
			t.Skip("go is not on PATH")
		}
		dir := t.TempDir()
		write(t, dir, "go.mod", "module example\n\ngo 1.24\n")
		write(t, dir, "main.go", verifyGo)
		write(t, dir, "check.go", `//go:build check

package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
)

func init() {
	r := httptest.NewRequest("POST", "/hook", strings.NewReader(os.Getenv("BODY")))
	r.Header.Set("webhook-id", os.Getenv("ID"))
	r.Header.Set("webhook-timestamp", os.Getenv("TS"))
	r.Header.Set("webhook-signature", os.Getenv("SIG"))
	_, err := verify(r, os.Getenv("SECRET"))
	fmt.Println(err == nil)
	os.Exit(0)
}
`)
		bin := filepath.Join(dir, "check")
		build := exec.Command(goBin, "build", "-tags", "check", "-o", bin, ".")
		build.Dir = dir
		build.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("the Go example does not build: %v\n%s", err, out)
		}
		run(t, dir, bin)
	})

	t.Run("node", func(t *testing.T) {
		node, err := exec.LookPath("node")
		if err != nil {
			t.Skip("node is not installed")
		}
		dir := t.TempDir()
		write(t, dir, "verify.mjs", verifyNode)
		write(t, dir, "check.mjs", `import { verify } from "./verify.mjs";
const headers = { "webhook-id": process.env.ID, "webhook-timestamp": process.env.TS, "webhook-signature": process.env.SIG };
console.log(String(verify(process.env.SECRET, headers, Buffer.from(process.env.BODY, "utf8"))));
`)
		run(t, dir, node, "check.mjs")
	})

	t.Run("python", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 is not installed")
		}
		if out, err := exec.Command(py, "-c", "import sys; print(sys.version_info >= (3, 9))").Output(); err != nil || strings.TrimSpace(string(out)) != "True" {
			t.Skip("python3 is older than 3.9 (str.removeprefix)")
		}
		dir := t.TempDir()
		write(t, dir, "verify.py", verifyPython)
		write(t, dir, "check.py", `import os
from verify import verify
headers = {"webhook-id": os.environ["ID"], "webhook-timestamp": os.environ["TS"], "webhook-signature": os.environ["SIG"]}
print(verify(os.environ["SECRET"], headers, os.environ["BODY"].encode()))
`)
		run(t, dir, py, "check.py")
	})
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
