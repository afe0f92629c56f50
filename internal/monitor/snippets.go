package monitor

import (
	"encoding/json"
	"strconv"
	"strings"
)

// A Snippet is ready-to-paste code that pings a monitor from somewhere a
// customer runs jobs: a crontab, a shell script, CI, Kubernetes, systemd,
// Python, Node.
type Snippet struct {
	ID    string // stable, for anchors and tabs: "crontab", "shell", ...
	Title string // what a tab shows
	Lang  string // crontab, sh, yaml, ini, python, javascript
	Code  string
}

// Snippets returns the snippets for the ping URL, as PingURL or SlugPingURL
// builds it (https://host/ping/<uuid> or https://host/ping/<key>/<slug>).
// The URL is quoted for each language. A query on the URL (such as
// ?create=1) is kept where the URL is pinged as given (the crontab line and
// prikke run); the snippets that append /start or an exit status use the
// URL up to the '?'.
func Snippets(pingURL string) []Snippet {
	base, _, _ := strings.Cut(pingURL, "?")
	return []Snippet{
		{ID: "crontab", Title: "Crontab", Lang: "crontab", Code: crontabSnippet(pingURL, base)},
		{ID: "shell", Title: "Shell wrapper", Lang: "sh", Code: shellSnippet(base)},
		{ID: "prikke-run", Title: "prikke run", Lang: "crontab", Code: prikkeRunSnippet(pingURL)},
		{ID: "github-actions", Title: "GitHub Actions", Lang: "yaml", Code: githubSnippet(base)},
		{ID: "kubernetes", Title: "Kubernetes CronJob", Lang: "yaml", Code: kubernetesSnippet(base)},
		{ID: "systemd", Title: "systemd timer", Lang: "ini", Code: systemdSnippet(base)},
		{ID: "python", Title: "Python", Lang: "python", Code: pythonSnippet(base)},
		{ID: "node", Title: "Node.js", Lang: "javascript", Code: nodeSnippet(base)},
	}
}

// curlPing is the ping command every shell snippet uses: fail on HTTP
// errors, quiet, at most 10 seconds per try, 5 retries on transient errors.
const curlPing = "curl -fsS -m 10 --retry 5 -o /dev/null"

// shQuote quotes s for a POSIX shell: inside single quotes, each single
// quote closed, escaped with a backslash and reopened.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cronQuote quotes s for the command part of a crontab line: cron turns an
// unescaped % into a newline, so each % is written \%.
func cronQuote(s string) string {
	return strings.ReplaceAll(shQuote(s), "%", `\%`)
}

// yamlQuote quotes s as a single-quoted YAML scalar (' doubled).
func yamlQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// systemdQuote escapes s for a double-quoted systemd Environment= value:
// % starts a specifier, \ and " are quoting characters.
func systemdQuote(s string) string {
	r := strings.NewReplacer("%", "%%", `\`, `\\`, `"`, `\"`)
	return r.Replace(s)
}

// jsQuote quotes s as a JavaScript string literal (JSON is a subset).
func jsQuote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func crontabSnippet(url, base string) string {
	return `# m h dom mon dow  command (use your monitor's schedule)
*/10 * * * * /path/to/command && ` + curlPing + " " + cronQuote(url) + `

# Or report failures too: the exit status is the last part of the path.
# */10 * * * * /path/to/command; ` + curlPing + " " + cronQuote(base) + `/$?
`
}

func shellSnippet(base string) string {
	return `#!/bin/sh
# Pings Prikke when the job starts and when it ends, with its exit status
# and the last 10 KB of its output. A failed ping never fails the job.
PING_URL=` + shQuote(base) + `
RID=$(cat /proc/sys/kernel/random/uuid 2>/dev/null || uuidgen)

` + curlPing + ` "$PING_URL/start?rid=$RID"
OUTPUT=$(/path/to/command 2>&1)
STATUS=$?
printf '%s\n' "$OUTPUT"
printf '%s\n' "$OUTPUT" | tail -c 10000 |
  ` + curlPing + ` --data-binary @- "$PING_URL/$STATUS?rid=$RID"
exit "$STATUS"
`
}

func prikkeRunSnippet(url string) string {
	return `# prikke run pings the start, runs the command, then pings its exit status
# with the last 10 KB of its output; the command's exit status passes through.
*/10 * * * * prikke run --ping ` + cronQuote(url) + ` -- /path/to/command --its-arguments
`
}

func githubSnippet(base string) string {
	return `# .github/workflows/nightly.yml
name: nightly
on:
  schedule:
    - cron: '0 3 * * *'
jobs:
  nightly:
    runs-on: ubuntu-latest
    env:
      PING_URL: ` + yamlQuote(base) + `
    steps:
      - name: Ping Prikke (start)
        continue-on-error: true
        run: |
          RID=$(cat /proc/sys/kernel/random/uuid)
          echo "RID=$RID" >> "$GITHUB_ENV"
          ` + curlPing + ` "$PING_URL/start?rid=$RID"
      - uses: actions/checkout@v4
      - name: The job
        run: ./nightly.sh
      - name: Ping Prikke (success)
        if: success()
        continue-on-error: true
        run: ` + curlPing + ` "$PING_URL/0?rid=$RID"
      - name: Ping Prikke (failure)
        if: failure()
        continue-on-error: true
        run: ` + curlPing + ` "$PING_URL/fail?rid=$RID"
`
}

func kubernetesSnippet(base string) string {
	return `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: '0 3 * * *'
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: nightly
              image: registry.example.com/nightly:latest # needs sh and curl
              env:
                - name: PING_URL
                  value: ` + yamlQuote(base) + `
              command: ['/bin/sh', '-c']
              args:
                - |
                  RID=$(cat /proc/sys/kernel/random/uuid)
                  ` + curlPing + ` "$PING_URL/start?rid=$RID"
                  /path/to/command
                  STATUS=$?
                  ` + curlPing + ` "$PING_URL/$STATUS?rid=$RID"
                  exit "$STATUS"
`
}

func systemdSnippet(base string) string {
	return `# /etc/systemd/system/nightly.service
[Unit]
Description=Nightly job

[Service]
Type=oneshot
Environment="PING_URL=` + systemdQuote(base) + `"
# The leading - keeps a failed ping from failing the unit.
ExecStartPre=-/bin/sh -c '` + curlPing + ` "$${PING_URL}/start"'
ExecStart=/path/to/command
# EXIT_STATUS is the exit status, or a signal name when it was killed.
ExecStopPost=-/bin/sh -c 'case "$${EXIT_STATUS}" in [0-9]*) s=$${EXIT_STATUS} ;; *) s=fail ;; esac; ` + curlPing + ` "$${PING_URL}/$${s}"'

# /etc/systemd/system/nightly.timer
[Unit]
Description=Run nightly.service every day at 03:00

[Timer]
OnCalendar=*-*-* 03:00:00
Persistent=true

[Install]
WantedBy=timers.target
`
}

func pythonSnippet(base string) string {
	return `import sys
import traceback
import urllib.request
import uuid

PING_URL = ` + strconv.Quote(base) + `


def ping(path, body=None):
    """Tells Prikke; a failed ping never fails the job."""
    try:
        with urllib.request.urlopen(PING_URL + path, data=body, timeout=10):
            pass
    except Exception as err:
        print(f"prikke ping failed: {err}", file=sys.stderr)


def main():
    ...  # the job


rid = str(uuid.uuid4())
ping("/start?rid=" + rid)
try:
    main()
except Exception:
    ping("/fail?rid=" + rid, traceback.format_exc()[-10000:].encode())
    raise
ping("/0?rid=" + rid)
`
}

func nodeSnippet(base string) string {
	return `// job.mjs (Node 18 or later)
import { randomUUID } from "node:crypto";

const PING_URL = ` + jsQuote(base) + `;

// ping tells Prikke; a failed ping never fails the job.
async function ping(path, body) {
  try {
    await fetch(PING_URL + path, {
      method: "POST",
      body,
      signal: AbortSignal.timeout(10000),
    });
  } catch (err) {
    console.error("prikke ping failed:", err.message);
  }
}

async function main() {
  // the job
}

const rid = randomUUID();
await ping("/start?rid=" + rid);
try {
  await main();
} catch (err) {
  await ping("/fail?rid=" + rid, String(err?.stack ?? err).slice(-10000));
  throw err;
}
await ping("/0?rid=" + rid);
`
}
