package monitor_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prikke/prikke/internal/monitor"
)

var testURLs = []string{
	"https://prikke.example/ping/5f0d6c1e-3b7a-4c2e-9a51-0c6f1f2d8e11",
	"https://prikke.example/ping/pk_Xy7-abc/nightly-backup",
}

// snippet returns the snippet with the id, failing when there is none.
func snippet(t *testing.T, ss []monitor.Snippet, id string) monitor.Snippet {
	t.Helper()
	for _, s := range ss {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no snippet %q", id)
	return monitor.Snippet{}
}

func TestSnippetsCarryTheURL(t *testing.T) {
	want := []string{"crontab", "shell", "prikke-run", "github-actions", "kubernetes", "systemd", "python", "node"}
	for _, u := range testURLs {
		ss := monitor.Snippets(u)
		var ids []string
		for _, s := range ss {
			ids = append(ids, s.ID)
			if s.Title == "" || s.Lang == "" {
				t.Errorf("%s: title %q, lang %q", s.ID, s.Title, s.Lang)
			}
			if !strings.Contains(s.Code, u) {
				t.Errorf("%s does not contain %s:\n%s", s.ID, u, s.Code)
			}
			if !strings.HasSuffix(s.Code, "\n") || strings.Contains(s.Code, "\t") {
				t.Errorf("%s: want a final newline and no tabs", s.ID)
			}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("ids %v, want %v", ids, want)
		}
	}
	if c := snippet(t, monitor.Snippets(testURLs[0]), "crontab").Code; !strings.Contains(c, "&& curl -fsS -m 10 --retry 5 -o /dev/null '"+testURLs[0]+"'") {
		t.Errorf("crontab line:\n%s", c)
	}
}

func TestSnippetsKeepAQueryOnlyWhereTheURLIsPingedAsIs(t *testing.T) {
	u := "https://prikke.example/ping/pk_x/db-backup?create=1"
	for _, s := range monitor.Snippets(u) {
		switch s.ID {
		case "crontab", "prikke-run":
			if !strings.Contains(s.Code, "'"+u+"'") {
				t.Errorf("%s lost the query:\n%s", s.ID, s.Code)
			}
		default:
			if strings.Contains(s.Code, "create=1") {
				t.Errorf("%s appends paths after the query:\n%s", s.ID, s.Code)
			}
		}
	}
}

// cronCommands returns the shell commands of the crontab lines in code,
// commented-out example lines included, with cron's \% unescaped.
func cronCommands(t *testing.T, code string) []string {
	t.Helper()
	var cmds []string
	for _, line := range strings.Split(code, "\n") {
		line = strings.TrimPrefix(line, "# ")
		f := strings.Fields(line)
		if len(f) < 6 || !regexp.MustCompile(`^[0-9*/,-]+$`).MatchString(f[0]) {
			continue
		}
		for range 5 {
			line = strings.TrimLeft(line, " ")
			line = line[strings.IndexByte(line, ' '):]
		}
		cmds = append(cmds, strings.ReplaceAll(strings.TrimSpace(line), `\%`, "%"))
	}
	if len(cmds) == 0 {
		t.Fatalf("no crontab lines in\n%s", code)
	}
	return cmds
}

// shellCheck fails when code is not valid sh and bash syntax.
func shellCheck(t *testing.T, name, code string) {
	t.Helper()
	for _, sh := range []string{"sh", "bash"} {
		if _, err := exec.LookPath(sh); err != nil {
			continue
		}
		cmd := exec.Command(sh, "-n")
		cmd.Stdin = strings.NewReader(code)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %s -n: %v %s\n%s", name, sh, err, out, code)
		}
	}
}

func TestShellSnippetsParse(t *testing.T) {
	for _, u := range append(testURLs, "https://h.example/ping/it's/50%25\"$x`") {
		ss := monitor.Snippets(u)
		shellCheck(t, "shell", snippet(t, ss, "shell").Code)
		for _, id := range []string{"crontab", "prikke-run"} {
			for _, c := range cronCommands(t, snippet(t, ss, id).Code) {
				shellCheck(t, id, c)
			}
		}
	}
}

// TestShellQuoting evaluates each shell snippet's quoted URL in sh: a URL
// with quotes, dollars and percents comes out unchanged.
func TestShellQuoting(t *testing.T) {
	u := "https://h.example/ping/it's/50%25\"$x`"
	ss := monitor.Snippets(u)
	line := regexp.MustCompile(`(?m)^PING_URL=.*$`).FindString(snippet(t, ss, "shell").Code)
	cron := cronCommands(t, snippet(t, ss, "crontab").Code)[0]
	quoted := cron[strings.LastIndex(cron, " ")+1:]
	for _, script := range []string{line + `; printf %s "$PING_URL"`, "printf %s " + quoted} {
		out, err := exec.Command("sh", "-c", script).Output()
		if err != nil || string(out) != u {
			t.Errorf("sh -c %s: %q, %v; want %q", script, out, err, u)
		}
	}
}

// pingRecorder is a ping server that records "METHOD path?query body".
type pingRecorder struct {
	mu   sync.Mutex
	seen []string
}

func (p *pingRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.seen = append(p.seen, r.Method+" "+r.URL.RequestURI()+" "+strings.TrimSpace(string(body)))
	p.mu.Unlock()
	io.WriteString(w, "OK")
}

// checkRun asserts a start and an end ping with the same rid.
func checkRun(t *testing.T, name string, seen []string, end, body string) {
	t.Helper()
	re := regexp.MustCompile(`(?s)^(GET|POST) /ping/abc/(start|[a-z0-9]+)\?rid=([0-9a-f-]{36}) ?(.*)$`)
	if len(seen) != 2 {
		t.Fatalf("%s: pings %q, want 2", name, seen)
	}
	s, e := re.FindStringSubmatch(seen[0]), re.FindStringSubmatch(seen[1])
	if s == nil || e == nil || s[2] != "start" || e[2] != end || s[3] != e[3] || !strings.Contains(e[4], body) {
		t.Errorf("%s: pings %q, want start then %s with the same rid and %q", name, seen, end, body)
	}
}

// TestSnippetsRun runs the shell, Python and Node snippets (when their
// interpreters exist) against a recording server with a job that fails.
func TestSnippetsRun(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl")
	}
	rec := &pingRecorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	ss := monitor.Snippets(srv.URL + "/ping/abc")
	dir := t.TempDir()
	cases := []struct {
		id, interp, file, from, to, end string
	}{
		{"shell", "sh", "job.sh", "/path/to/command", "sh -c 'echo boom; exit 3'", "3"},
		{"python", "python3", "job.py", "...  # the job", "raise RuntimeError('boom')", "fail"},
		{"node", "node", "job.mjs", "// the job", "throw new Error('boom');", "fail"},
	}
	for _, c := range cases {
		if _, err := exec.LookPath(c.interp); err != nil {
			t.Logf("%s: no %s, skipped", c.id, c.interp)
			continue
		}
		code := snippet(t, ss, c.id).Code
		if !strings.Contains(code, c.from) {
			t.Fatalf("%s: no %q to replace", c.id, c.from)
		}
		f := filepath.Join(dir, c.file)
		if err := os.WriteFile(f, []byte(strings.Replace(code, c.from, c.to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		rec.mu.Lock()
		rec.seen = nil
		rec.mu.Unlock()
		out, err := exec.Command(c.interp, f).CombinedOutput()
		if err == nil {
			t.Errorf("%s: the failing job exited 0: %s", c.id, out)
		}
		rec.mu.Lock()
		checkRun(t, c.id, rec.seen, c.end, "boom")
		rec.mu.Unlock()
	}
}

func TestPythonSnippetCompiles(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	u := `https://h.example/ping/it's/"\é`
	f := filepath.Join(t.TempDir(), "job.py")
	code := snippet(t, monitor.Snippets(u), "python").Code
	if err := os.WriteFile(f, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("python3", "-m", "py_compile", f).CombinedOutput(); err != nil {
		t.Fatalf("py_compile: %v %s", err, out)
	}
	line := regexp.MustCompile(`(?m)^PING_URL = .*$`).FindString(code)
	out, err := exec.Command("python3", "-c", line+"\nimport sys; sys.stdout.write(PING_URL)").Output()
	if err != nil || string(out) != u {
		t.Errorf("PING_URL in python: %q, %v; want %q", out, err, u)
	}
}

func TestNodeSnippetParses(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("no node")
	}
	f := filepath.Join(t.TempDir(), "job.mjs")
	if err := os.WriteFile(f, []byte(snippet(t, monitor.Snippets(testURLs[1]), "node").Code), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("node", "--check", f).CombinedOutput(); err != nil {
		t.Fatalf("node --check: %v %s", err, out)
	}
}

// TestYAMLSnippets checks the indentation (spaces, in steps of two) and,
// when python3 has PyYAML, parses the documents and checks the shell
// inside them and the URL as YAML reads it.
func TestYAMLSnippets(t *testing.T) {
	u := "https://h.example/ping/it's/50%25"
	for _, id := range []string{"github-actions", "kubernetes"} {
		code := snippet(t, monitor.Snippets(u), id).Code
		for i, line := range strings.Split(code, "\n") {
			n := len(line) - len(strings.TrimLeft(line, " "))
			if n%2 != 0 {
				t.Errorf("%s line %d indented by %d: %q", id, i+1, n, line)
			}
		}
		if exec.Command("python3", "-c", "import yaml").Run() != nil {
			t.Logf("%s: no python3 with PyYAML; indentation only", id)
			continue
		}
		cmd := exec.Command("python3", "-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)")
		cmd.Stdin = strings.NewReader(code)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: yaml: %v\n%s", id, err, code)
		}
		var doc any
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		var shells []string
		url := ""
		switch id {
		case "github-actions":
			job := dig(doc, "jobs", "nightly")
			url, _ = dig(job, "env", "PING_URL").(string)
			for _, s := range dig(job, "steps").([]any) {
				if r, ok := dig(s, "run").(string); ok {
					shells = append(shells, r)
				}
			}
		case "kubernetes":
			c := dig(doc, "spec", "jobTemplate", "spec", "template", "spec", "containers").([]any)[0]
			url, _ = dig(c, "env").([]any)[0].(map[string]any)["value"].(string)
			shells = append(shells, dig(c, "args").([]any)[0].(string))
		}
		if url != u {
			t.Errorf("%s: PING_URL %q, want %q", id, url, u)
		}
		if len(shells) < 2 && id == "github-actions" || len(shells) == 0 {
			t.Errorf("%s: shell blocks %q", id, shells)
		}
		for _, s := range shells {
			shellCheck(t, id, s)
		}
	}
}

// dig walks nested maps by key; nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func TestSystemdSnippetEscapesSpecifiers(t *testing.T) {
	c := snippet(t, monitor.Snippets("https://h.example/ping/a%20b"), "systemd").Code
	if !strings.Contains(c, `Environment="PING_URL=https://h.example/ping/a%%20b"`) {
		t.Errorf("systemd unit:\n%s", c)
	}
	for _, want := range []string{"[Timer]", "OnCalendar=", "ExecStopPost=-", "$${EXIT_STATUS}", "WantedBy=timers.target"} {
		if !strings.Contains(c, want) {
			t.Errorf("systemd unit without %q", want)
		}
	}
}
