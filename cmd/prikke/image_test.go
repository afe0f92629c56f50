package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// imageEngine is the tool `make image` uses here: docker when a Docker
// engine answers, else podman; "" when neither can build.
func imageEngine() (string, string) {
	if _, err := exec.LookPath("docker"); err == nil {
		if exec.Command("docker", "info").Run() == nil {
			return "docker", ""
		}
	}
	if _, err := exec.LookPath("podman"); err != nil {
		return "", "neither podman nor a running Docker engine is installed (apt-get install podman)"
	}
	if out, err := exec.Command("podman", "info").CombinedOutput(); err != nil {
		return "", "podman is installed but does not work here: " + firstLine(string(out))
	}
	return "podman", ""
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// TestImage builds the image with scripts/image.sh (what `make image` runs),
// then checks it without running a container (not permitted in every
// sandbox): its configuration by inspect, its file system by exporting a
// created container, and its binary by running it on the host.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("image build skipped in -short mode")
	}
	engine, why := imageEngine()
	if engine == "" {
		if os.Getenv("PRIKKE_REQUIRE_IMAGE") == "1" {
			t.Fatalf("PRIKKE_REQUIRE_IMAGE=1 but the image cannot be built: %s", why)
		}
		t.Skipf("image test skipped: %s (set PRIKKE_REQUIRE_IMAGE=1 to make this a failure)", why)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("prikke-imagetest:%d", time.Now().UnixNano())
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	cmd := exec.Command("./scripts/image.sh", tag)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PRIKKE_IMAGE_ENGINE="+engine)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/image.sh %s: %v\n%s", tag, err, out)
	}
	t.Cleanup(func() { exec.Command(engine, "rmi", "-f", tag).Run() })

	// Configuration.
	var inspected []struct {
		Config struct {
			User         string
			ExposedPorts map[string]any
			Volumes      map[string]any
			Env          []string
			Entrypoint   []string
			Labels       map[string]string
			Healthcheck  *struct{ Test []string }
		}
		HealthCheck *struct{ Test []string } // podman reports it here
	}
	if err := json.Unmarshal([]byte(run(engine, "image", "inspect", tag)), &inspected); err != nil || len(inspected) != 1 {
		t.Fatalf("image inspect: %v (%d images)", err, len(inspected))
	}
	cfg := inspected[0].Config
	if cfg.User == "" || cfg.User == "0" || cfg.User == "root" || strings.HasPrefix(cfg.User, "0:") {
		t.Errorf("User = %q, want a non-root user", cfg.User)
	}
	if _, ok := cfg.ExposedPorts["4000/tcp"]; !ok {
		t.Errorf("ExposedPorts = %v, want 4000/tcp", cfg.ExposedPorts)
	}
	if _, ok := cfg.Volumes["/data"]; !ok {
		t.Errorf("Volumes = %v, want /data", cfg.Volumes)
	}
	hc := cfg.Healthcheck
	if hc == nil {
		hc = inspected[0].HealthCheck
	}
	if hc == nil || !strings.Contains(strings.Join(hc.Test, " "), "/prikke healthcheck") {
		t.Errorf("Healthcheck = %+v, want a test running /prikke healthcheck", hc)
	}
	env := strings.Join(cfg.Env, "\n")
	for _, want := range []string{"PRIKKE_DATABASE_URL=sqlite:/data/prikke.db", "PRIKKE_ADDR=0.0.0.0:4000"} {
		if !strings.Contains(env, want) {
			t.Errorf("Env lacks %s: %v", want, cfg.Env)
		}
	}
	version := cfg.Labels["org.opencontainers.image.version"]
	revision := cfg.Labels["org.opencontainers.image.revision"]
	if version == "" || revision == "" || cfg.Labels["org.opencontainers.image.source"] == "" || cfg.Labels["org.opencontainers.image.title"] != "prikke" {
		t.Errorf("Labels = %v, want title, version, revision and source", cfg.Labels)
	}
	if head := strings.TrimSpace(run("git", "rev-parse", "HEAD")); revision != head {
		t.Errorf("revision label %q, want HEAD %s", revision, head)
	}

	// File system: create (not run) a container and export it.
	dir := t.TempDir()
	cid := strings.TrimSpace(run(engine, "create", tag))
	t.Cleanup(func() { exec.Command(engine, "rm", "-f", cid).Run() })
	tarball := filepath.Join(dir, "rootfs.tar")
	run(engine, "export", "-o", tarball, cid)
	fs := filepath.Join(dir, "rootfs")
	if err := os.Mkdir(fs, 0o755); err != nil {
		t.Fatal(err)
	}
	// --no-same-owner: the owners are read from the listing, not recreated.
	run("tar", "-x", "--no-same-owner", "-f", tarball, "-C", fs)
	listing := run("tar", "-tvf", tarball)
	for _, p := range []string{"prikke", "usr/share/zoneinfo/Europe/Oslo", "etc/ssl/certs/ca-certificates.crt", "etc/passwd", "etc/group"} {
		if _, err := os.Stat(filepath.Join(fs, p)); err != nil {
			t.Errorf("the image lacks /%s: %v", p, err)
		}
	}
	dataOwned := false
	for _, l := range strings.Split(listing, "\n") {
		if strings.HasSuffix(l, " data/") && (strings.Contains(l, "65532/65532") || strings.Contains(l, "prikke/prikke")) {
			dataOwned = true
		}
	}
	if !dataOwned {
		t.Errorf("/data is missing or not the user's:\n%s", grepLines(listing, "data/"))
	}
	passwd, _ := os.ReadFile(filepath.Join(fs, "etc/passwd"))
	if !strings.Contains(string(passwd), ":65532:65532:") {
		t.Errorf("/etc/passwd has no user 65532:\n%s", passwd)
	}
	if ca, _ := os.ReadFile(filepath.Join(fs, "etc/ssl/certs/ca-certificates.crt")); !strings.Contains(string(ca), "BEGIN CERTIFICATE") {
		t.Error("the CA bundle holds no certificate")
	}

	// The binary, run on the host from the exported file system.
	bin := filepath.Join(fs, "prikke")
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "prikke "+version {
		t.Errorf("/prikke version = %q (%v), want %q (the version label)", out, err, "prikke "+version)
	}
	next := exec.Command(bin, "cron", "next", "--tz", "Europe/Oslo", "0 9 * * *")
	next.Env = append(os.Environ(), "ZONEINFO="+filepath.Join(fs, "usr/share/zoneinfo"))
	out, err = next.CombinedOutput()
	if err != nil {
		t.Fatalf("/prikke cron next --tz Europe/Oslo: %v\n%s", err, out)
	}
	// 09:00 in Oslo is 08:00 or 07:00 UTC, winter or summer.
	if first := firstLine(string(out)); !strings.Contains(first, "T08:00:00Z") && !strings.Contains(first, "T07:00:00Z") {
		t.Errorf("/prikke cron next --tz Europe/Oslo \"0 9 * * *\" = %q", out)
	}
}

func grepLines(s, sub string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
