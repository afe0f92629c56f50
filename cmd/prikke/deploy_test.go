package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/sink"
)

// deployDir is the repository's deploy/ directory, seen from cmd/prikke.
const deployDir = "../../deploy"

// knownVars is every PRIKKE_ variable Prikke reads.
func knownVars() map[string]bool {
	known := map[string]bool{}
	for _, v := range config.Vars {
		known[v.Name] = true
	}
	return known
}

func readDeploy(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// composeService is the part of a compose service the checks read.
type composeService struct {
	Image       string            `yaml:"image"`
	EnvFile     any               `yaml:"env_file"`
	Environment map[string]string `yaml:"environment"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn       any      `yaml:"depends_on"`
	Volumes         []string `yaml:"volumes"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
	Networks        any      `yaml:"networks"`
}

// TestDeployCompose: deploy/compose.yaml has PostgreSQL with a volume and
// pg_isready, two Prikke nodes of prikke:latest that wait for it, check
// themselves with `prikke healthcheck`, name only real variables and trust
// the proxy's address, and a Caddy whose Caddyfile sends to both nodes
// while their /readyz answers 200.
func TestDeployCompose(t *testing.T) {
	t.Parallel()
	var compose struct {
		Services map[string]composeService `yaml:"services"`
		Networks map[string]struct {
			IPAM struct {
				Config []struct {
					Subnet string `yaml:"subnet"`
				} `yaml:"config"`
			} `yaml:"ipam"`
		} `yaml:"networks"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(readDeploy(t, "compose.yaml"), &compose); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	known := knownVars()

	pg, ok := compose.Services["postgres"]
	if !ok {
		t.Fatal("compose.yaml has no postgres service")
	}
	if !strings.Contains(strings.Join(pg.Healthcheck.Test, " "), "pg_isready") {
		t.Errorf("postgres healthcheck = %q; want pg_isready", pg.Healthcheck.Test)
	}
	if len(pg.Volumes) == 0 || !strings.Contains(pg.Volumes[0], ":/var/lib/postgresql/data") {
		t.Errorf("postgres volumes = %q; want a volume on /var/lib/postgresql/data", pg.Volumes)
	} else if vol := strings.SplitN(pg.Volumes[0], ":", 2)[0]; compose.Volumes == nil || !hasKey(compose.Volumes, vol) {
		t.Errorf("postgres volume %q is not declared under volumes:", vol)
	}

	var nodes []string
	for name, s := range compose.Services {
		if s.Image == "prikke:latest" {
			nodes = append(nodes, name)
		}
	}
	slices.Sort(nodes)
	if len(nodes) != 2 {
		t.Fatalf("Prikke nodes (image prikke:latest) = %q; want two", nodes)
	}
	caddy, ok := compose.Services["caddy"]
	if !ok {
		t.Fatal("compose.yaml has no caddy service")
	}
	caddyIP := serviceIPv4(caddy, "prikke")
	if caddyIP == "" {
		t.Error("caddy has no fixed ipv4_address on the prikke network, so the nodes cannot trust it alone")
	}
	nodeIDs := map[string]string{}
	for _, name := range nodes {
		s := compose.Services[name]
		if got := strings.Join(s.Healthcheck.Test, " "); got != "CMD prikke healthcheck" {
			t.Errorf("%s healthcheck = %q; want CMD prikke healthcheck", name, got)
		}
		if dep, _ := s.DependsOn.(map[string]any); dep == nil || dep["postgres"] == nil || dep["postgres"].(map[string]any)["condition"] != "service_healthy" {
			t.Errorf("%s depends_on = %v; want postgres: {condition: service_healthy}", name, s.DependsOn)
		}
		if s.EnvFile != "prikke.env" {
			t.Errorf("%s env_file = %v; want prikke.env (from prikke.env.example)", name, s.EnvFile)
		}
		env := s.Environment
		for k := range env {
			if !known[k] {
				t.Errorf("%s sets %s, which Prikke does not read", name, k)
			}
		}
		if env["PRIKKE_ENV"] != "production" {
			t.Errorf("%s PRIKKE_ENV = %q; want production", name, env["PRIKKE_ENV"])
		}
		if u := env["PRIKKE_DATABASE_URL"]; !strings.HasPrefix(u, "postgres://") || !strings.Contains(u, "@postgres:5432/") {
			t.Errorf("%s PRIKKE_DATABASE_URL = %q; want postgres://…@postgres:5432/…", name, u)
		}
		if id := env["PRIKKE_NODE_ID"]; id == "" {
			t.Errorf("%s has no PRIKKE_NODE_ID", name)
		} else if other, dup := nodeIDs[id]; dup {
			t.Errorf("%s and %s share PRIKKE_NODE_ID %q", name, other, id)
		} else {
			nodeIDs[id] = name
		}
		if caddyIP != "" && env["PRIKKE_TRUSTED_PROXIES"] != caddyIP+"/32" {
			t.Errorf("%s PRIKKE_TRUSTED_PROXIES = %q; want caddy's %s/32", name, env["PRIKKE_TRUSTED_PROXIES"], caddyIP)
		}
		if !strings.HasSuffix(env["PRIKKE_ADDR"], ":4000") {
			t.Errorf("%s PRIKKE_ADDR = %q; want :4000, where Caddy sends", name, env["PRIKKE_ADDR"])
		}
		grace, err := time.ParseDuration(s.StopGracePeriod)
		drain, derr := time.ParseDuration(cmpOr(env["PRIKKE_DRAIN_TIMEOUT"], "30s"))
		if err != nil || derr != nil || grace <= drain {
			t.Errorf("%s stop_grace_period %q must be above PRIKKE_DRAIN_TIMEOUT %s", name, s.StopGracePeriod, drain)
		}
	}
	if _, err := os.Stat(filepath.Join(deployDir, "prikke.env.example")); err != nil {
		t.Error(err)
	}
	if !slices.ContainsFunc(caddy.Volumes, func(v string) bool { return strings.HasPrefix(v, "./Caddyfile:") }) {
		t.Errorf("caddy volumes = %q; want ./Caddyfile mounted", caddy.Volumes)
	}

	// The Caddyfile proxies to exactly the node services, on PRIKKE_ADDR's
	// port, with active health checks on /readyz.
	var upstreams []string
	directives := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(readDeploy(t, "Caddyfile"))))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if f[0] == "reverse_proxy" {
			for _, u := range f[1:] {
				if u != "{" {
					upstreams = append(upstreams, u)
				}
			}
		} else if len(f) > 1 {
			directives[f[0]] = f[1]
		}
	}
	slices.Sort(upstreams)
	var want []string
	for _, n := range nodes {
		want = append(want, n+":4000")
	}
	if !slices.Equal(upstreams, want) {
		t.Errorf("Caddyfile reverse_proxy upstreams = %q; want %q", upstreams, want)
	}
	if directives["health_uri"] != "/readyz" {
		t.Errorf("Caddyfile health_uri = %q; want /readyz", directives["health_uri"])
	}
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// serviceIPv4 is a service's fixed address on network, if it has one.
func serviceIPv4(s composeService, network string) string {
	nets, _ := s.Networks.(map[string]any)
	n, _ := nets[network].(map[string]any)
	ip, _ := n["ipv4_address"].(string)
	return ip
}

var prikkeVarRE = regexp.MustCompile(`PRIKKE_[A-Z0-9_]*[A-Z0-9]`)

// TestDeployVarsExist: every PRIKKE_ variable named anywhere in deploy/
// is one Prikke reads.
func TestDeployVarsExist(t *testing.T) {
	t.Parallel()
	known := knownVars()
	n := 0
	err := filepath.WalkDir(deployDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, v := range prikkeVarRE.FindAllString(string(b), -1) {
			n++
			if !known[v] {
				t.Errorf("%s names %s, which Prikke does not read", path, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no PRIKKE_ variable found in deploy/")
	}
}

// TestDeploySystemdUnit: deploy/prikke.service runs as an unprivileged
// user on a read-only system with its state directory, reads its
// secrets from an environment file, restarts on failure and lets SIGTERM
// drain longer than PRIKKE_DRAIN_TIMEOUT.
func TestDeploySystemdUnit(t *testing.T) {
	t.Parallel()
	keys := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(string(readDeploy(t, "prikke.service"))))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("not key=value: %q", line)
			continue
		}
		keys[section+"."+k] = append(keys[section+"."+k], v)
	}
	get := func(k string) string {
		if v := keys["Service."+k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	if get("DynamicUser") != "yes" && get("User") != "prikke" {
		t.Error("want DynamicUser=yes or User=prikke")
	}
	for k, want := range map[string]string{"ProtectSystem": "strict", "Restart": "on-failure", "StateDirectory": "prikke", "NoNewPrivileges": "yes"} {
		if got := get(k); got != want {
			t.Errorf("%s=%q; want %q", k, got, want)
		}
	}
	if get("EnvironmentFile") == "" {
		t.Error("no EnvironmentFile")
	}
	if !strings.HasPrefix(get("ExecStart"), "/") || !strings.HasSuffix(get("ExecStart"), "prikke serve") {
		t.Errorf("ExecStart=%q; want /…/prikke serve", get("ExecStart"))
	}
	env := map[string]string{}
	for _, e := range keys["Service.Environment"] {
		k, v, _ := strings.Cut(e, "=")
		env[k] = v
	}
	drain, err := time.ParseDuration(cmpOr(env["PRIKKE_DRAIN_TIMEOUT"], "30s"))
	if err != nil {
		t.Fatal(err)
	}
	stop, err := time.ParseDuration(get("TimeoutStopSec"))
	if err != nil || stop <= drain {
		t.Errorf("TimeoutStopSec=%q must be a duration above PRIKKE_DRAIN_TIMEOUT %s", get("TimeoutStopSec"), drain)
	}
	if db := env["PRIKKE_DATABASE_URL"]; !strings.HasPrefix(db, "sqlite:/var/lib/"+get("StateDirectory")+"/") {
		t.Errorf("PRIKKE_DATABASE_URL=%q; want the SQLite file in /var/lib/%s", db, get("StateDirectory"))
	}
	if keys["Install.WantedBy"] == nil {
		t.Error("no [Install] WantedBy")
	}
}

var metricNameRE = regexp.MustCompile(`\bprikke_[a-z0-9_]+`)

// TestDeployMetricsExist: every metric deploy/grafana/prikke.json and
// deploy/prometheus/alerts.yaml name is one a running Prikke serves on
// /metrics (after a delivery, so labelled series are there too).
func TestDeployMetricsExist(t *testing.T) {
	t.Parallel()
	served := scrapeAfterDelivery(t)

	check := func(file, expr string) {
		t.Helper()
		names := metricNameRE.FindAllString(expr, -1)
		if len(names) == 0 {
			t.Errorf("%s: %q names no prikke_ metric", file, expr)
		}
		for _, n := range names {
			if !served[n] {
				t.Errorf("%s: %s is not served on /metrics (in %q)", file, n, expr)
			}
		}
	}

	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(readDeploy(t, "grafana/prikke.json"), &dash); err != nil {
		t.Fatalf("prikke.json: %v", err)
	}
	exprs := strings.Builder{}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("prikke.json: panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			check("prikke.json "+p.Title, tg.Expr)
			exprs.WriteString(tg.Expr + "\n")
		}
	}
	for _, want := range []string{"prikke_deliveries_total", "prikke_delivery_lateness_seconds_bucket", "prikke_queue_depth", "prikke_in_flight", "prikke_claim_batch_size_bucket"} {
		if !strings.Contains(exprs.String(), want) {
			t.Errorf("prikke.json shows nothing of %s", want)
		}
	}

	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(readDeploy(t, "prometheus/alerts.yaml"), &rules); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	alerts := map[string]string{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("alerts.yaml: rule %q needs alert, labels.severity and annotations.summary", r.Alert)
			}
			if _, err := time.ParseDuration(r.For); err != nil {
				t.Errorf("alerts.yaml: %s for %q: %v", r.Alert, r.For, err)
			}
			check("alerts.yaml "+r.Alert, r.Expr)
			alerts[r.Alert] = r.Expr
		}
	}
	for alert, needs := range map[string]string{
		"PrikkeLatenessP99High":      "histogram_quantile(0.99",
		"PrikkeQueueGrowing":         "prikke_queue_depth",
		"PrikkeNoSchedulerLeader":    "prikke_scheduler_leader",
		"PrikkeDeliveryFailureRatio": "prikke_deliveries_total",
	} {
		if !strings.Contains(alerts[alert], needs) {
			t.Errorf("alerts.yaml: %s missing or not over %s", alert, needs)
		}
	}
}

// scrapeAfterDelivery starts `prikke serve`, has it deliver one queued
// request to a loopback sink, and returns the metric names /metrics then
// serves, histograms with their _bucket, _sum and _count series.
func scrapeAfterDelivery(t *testing.T) map[string]bool {
	t.Helper()
	sk, err := sink.Start(sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sk.Close)
	env := testEnv(t)
	env["PRIKKE_SSRF_ALLOW"] = "loopback"
	const email = "deploy@example.com"
	if _, err := runIn(t, env, "a long and unusual passphrase\n", "user", "create", "--email", email, "--password-stdin", "--tier", "pro"); err != nil {
		t.Fatal(err)
	}
	key, err := runIn(t, env, "", "apikey", "create", "--email", email)
	if err != nil {
		t.Fatal(err)
	}
	base, out, _ := startServerOutput(t, env)
	m := metricsRE.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no metrics address printed:\n%s", out.String())
	}
	d := &devServer{t: t, base: base, key: strings.TrimSpace(key), sink: sk}
	if status, raw := d.call("POST", "/api/v1/queue", map[string]any{"url": sk.URL("/hook")}); status != http.StatusAccepted {
		t.Fatalf("enqueue = %d %s", status, raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sk.WaitCount(ctx, 1); err != nil {
		t.Fatalf("the sink got nothing: %v", err)
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(m[1])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		served := map[string]bool{}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 4 && f[0] == "#" && f[1] == "TYPE" {
				served[f[2]] = true
				if f[3] == "histogram" || f[3] == "summary" {
					served[f[2]+"_sum"], served[f[2]+"_count"] = true, true
				}
				if f[3] == "histogram" {
					served[f[2]+"_bucket"] = true
				}
			}
		}
		// The outcome is counted once the result is written, a moment after
		// the sink has the request.
		if strings.Contains(string(b), `prikke_deliveries_total{outcome="success"}`) {
			return served
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful delivery counted on /metrics:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
