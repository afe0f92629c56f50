package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/config"
)

// docCommand is one `prikke …` command shown in the docs.
type docCommand struct {
	source string // "README.md", "/docs/getting-started"
	line   string // as shown, continuations joined
	env    []string
	words  []string // after "prikke"
}

var (
	fenceRE      = regexp.MustCompile("(?s)```[a-z]*\n(.*?)```")
	inlineCodeRE = regexp.MustCompile("`([^`\n]+)`")
	htmlCodeRE   = regexp.MustCompile(`(?s)<(?:code|pre)[^>]*>(.*?)</(?:code|pre)>`)
	tagRE        = regexp.MustCompile(`<[^>]+>`)
	envWordRE    = regexp.MustCompile(`^[A-Z][A-Z0-9_]*=`)
	optionalRE   = regexp.MustCompile(`\[([^\]]+)\]`)
)

// markdownCode returns the code of a markdown text: fenced blocks, then
// the inline code spans outside them.
func markdownCode(md string) []string {
	var out []string
	for _, m := range fenceRE.FindAllStringSubmatch(md, -1) {
		out = append(out, m[1])
	}
	for _, m := range inlineCodeRE.FindAllStringSubmatch(fenceRE.ReplaceAllString(md, ""), -1) {
		out = append(out, m[1])
	}
	return out
}

// htmlCode returns the text of a page's <code> and <pre> elements.
func htmlCode(page string) []string {
	var out []string
	for _, m := range htmlCodeRE.FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(tagRE.ReplaceAllString(m[1], "")))
	}
	return out
}

// shellWords splits a line as a POSIX shell would for these examples:
// single and double quotes, backslash escapes inside double quotes.
func shellWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			if r == '"' {
				quote = 0
			} else if r == '\\' && i+1 < len(rs) {
				i++
				cur.WriteRune(rs[i])
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// commandsIn finds the prikke commands of one code text: lines (with
// backslash continuations joined, comments dropped) whose first word after
// any VAR=value assignments is prikke or ./bin/prikke.
func commandsIn(source, code string) []docCommand {
	var out []docCommand
	for _, line := range strings.Split(strings.ReplaceAll(code, "\\\n", " "), "\n") {
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		words := shellWords(line)
		var env []string
		for len(words) > 0 && envWordRE.MatchString(words[0]) {
			env, words = append(env, words[0]), words[1:]
		}
		if len(words) == 0 || (words[0] != "prikke" && words[0] != "./bin/prikke") {
			continue
		}
		out = append(out, docCommand{source: source, line: line, env: env, words: words[1:]})
	}
	return out
}

// expand turns a synopsis into the command lines it stands for: each
// [optional part] with and without it, each word a|b|c once per
// alternative.
func expand(line string) []string {
	if m := optionalRE.FindStringSubmatchIndex(line); m != nil {
		without := strings.Join(strings.Fields(line[:m[0]]+line[m[1]:]), " ")
		with := line[:m[0]] + line[m[2]:m[3]] + line[m[1]:]
		return append(expand(without), expand(with)...)
	}
	words := shellWords(line)
	for i, w := range words {
		if strings.Contains(w, "|") && !strings.ContainsAny(w, " *") {
			var out []string
			for _, alt := range strings.Split(w, "|") {
				out = append(out, requote(slices.Concat(words[:i], []string{alt}, words[i+1:])))
			}
			return slices.Concat(expandAll(out)...)
		}
	}
	return []string{line}
}

func expandAll(lines []string) [][]string {
	var out [][]string
	for _, l := range lines {
		out = append(out, expand(l))
	}
	return out
}

// requote joins words back into a line that shellWords splits the same.
func requote(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = w
		if strings.ContainsAny(w, " *\"'") {
			q[i] = "'" + w + "'"
		}
	}
	return strings.Join(q, " ")
}

// TestDocumentedCommands runs every `prikke …` command that README.md and
// the /docs pages show, as written, with their placeholders (E, T, M, N,
// ID, [optional], a|b) filled in, against a fresh SQLite file; and checks
// that both say how to get the binary before they first use it.
func TestDocumentedCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cmds []docCommand
	for _, code := range markdownCode(string(readme)) {
		cmds = append(cmds, commandsIn("README.md", code)...)
	}
	checkBinaryBeforeUse(t, "README.md", string(readme))

	// The docs pages, as a running Prikke serves them: every page the
	// docs index links to.
	base, stop := startServer(t, testEnv(t))
	resp, err := http.Get(base + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	docsIndex, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var paths []string
	for _, m := range regexp.MustCompile(`href="(/docs/[a-z-]+)"`).FindAllStringSubmatch(string(docsIndex), -1) {
		if !slices.Contains(paths, m[1]) {
			paths = append(paths, m[1])
		}
	}
	if !slices.Contains(paths, "/docs/getting-started") {
		t.Fatalf("the docs index links to %v", paths)
	}
	for _, path := range paths {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		for _, code := range htmlCode(string(body)) {
			cmds = append(cmds, commandsIn(path, code)...)
		}
		if path == "/docs/getting-started" {
			checkBinaryBeforeUse(t, path, html.UnescapeString(tagRE.ReplaceAllString(string(body), "")))
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"README.md", "/docs/getting-started"} {
		if !slices.ContainsFunc(cmds, func(c docCommand) bool { return c.source == src }) {
			t.Fatalf("no prikke command found in %s: the extraction is broken", src)
		}
	}

	// A mention that is the start of a fuller command shown elsewhere
	// (`prikke user create` in prose) is covered by that command.
	var lines []docCommand
	for _, c := range cmds {
		covered := slices.ContainsFunc(cmds, func(o docCommand) bool {
			return len(o.words) > len(c.words) && slices.Equal(o.words[:len(c.words)], c.words)
		})
		if !covered {
			lines = append(lines, c)
		}
	}

	env := testEnv(t)
	pings := newPingServer(t) // where the documented prikke run commands ping
	// Every variable the docs set is one Prikke reads.
	for _, c := range lines {
		for _, kv := range c.env {
			name, _, _ := strings.Cut(kv, "=")
			if !slices.ContainsFunc(config.Vars, func(v config.Var) bool { return v.Name == name }) {
				t.Errorf("%s: %q sets %s, which Prikke does not read", c.source, c.line, name)
			}
		}
	}
	// The address the docs use throughout exists before the commands that
	// need it run; each `user create` makes its own.
	mustRun(t, env, "a long and unusual passphrase\n", "user", "create", "--email", "you@example.com", "--password-stdin")
	backupFile := filepath.Join(t.TempDir(), "backup.db")
	users := 0
	ran := 0
	for _, c := range lines {
		for _, line := range expand(requote(c.words)) {
			args := shellWords(line)
			if args[0] == "…" {
				continue // "prikke …": any of them
			}
			if args[0] == "serve" {
				// The server started above; the docs' serve takes no arguments.
				if len(args) != 1 {
					t.Errorf("%s: %q: serve takes no arguments", c.source, c.line)
				}
				continue
			}
			if slices.Equal(args[:min(2, len(args))], []string{"user", "create"}) {
				users++
				args = fill(args, map[string]string{"E": fmt.Sprintf("user%d@example.com", users), "you@example.com": fmt.Sprintf("user%d@example.com", users)})
			}
			fills := map[string]string{"E": "you@example.com", "T": "Delays on delivery", "M": "We are looking into it."}
			if args[0] == "incident" && len(args) > 2 && (args[2] == "ID" || strings.HasPrefix(args[2], "$")) {
				fills[args[2]] = strings.TrimSpace(mustRun(t, env, "", "incident", "open", "--title", "t", "--message", "m"))
			}
			args = fill(args, fills)
			ctx := context.Background()
			if args[0] == "billing" && len(args) > 1 && (args[1] == "claim" || args[1] == "sync") {
				// A claim needs a subscription Lemon Squeezy sent, a sync
				// Lemon Squeezy itself: check that the arguments parse.
				args = fill(args, map[string]string{"SUBSCRIPTION_ID": "1", "ORGANIZATION_ID": prikke.NewID().String()})
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				cancel()
			} else if args[0] == "bench" {
				// A benchmark runs for minutes (cron mode waits for the next
				// minute): check that its arguments parse, which comes before
				// anything else it does, and stop it there.
				args = fill(args, map[string]string{"N": "20"})
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				cancel()
			} else {
				args = fill(args, map[string]string{"N": "laptop"})
			}
			if args[0] == "run" {
				args = documentedRun(args, pings.URL+"/ping/docs")
			}
			if args[0] == "backup" || args[0] == "restore" {
				// FILE is one backup, written afresh by each documented
				// backup and read by the restores after it.
				if args[0] == "backup" {
					os.Remove(backupFile)
				}
				args = fill(args, map[string]string{"FILE": backupFile})
			}
			var out, errOut syncBuffer
			stdin := ""
			if slices.Contains(args, "--password-stdin") {
				stdin = "a long and unusual passphrase\n"
			}
			err := run(ctx, args, envOf(env), strings.NewReader(stdin), &out, &errOut)
			var ue usageError
			if ctx.Err() != nil && err != nil && !errors.As(err, &ue) {
				err = nil // parsed, then stopped
			}
			if err != nil {
				t.Errorf("%s: %q (run as prikke %s): %v\n%s", c.source, c.line, strings.Join(args, " "), err, errOut.String())
			}
			ran++
		}
	}
	if len(pings.got()) == 0 {
		t.Error("no documented prikke run command pinged: /docs/monitors shows some")
	}
	if ran < 15 {
		t.Errorf("ran %d documented commands; the README alone shows more", ran)
	}
}

// fill replaces whole-word placeholders.
func fill(args []string, with map[string]string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if v, ok := with[a]; ok {
			out[i] = v
		}
	}
	return out
}

func mustRun(t *testing.T, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	out, err := runIn(t, env, stdin, args...)
	if err != nil {
		t.Fatalf("prikke %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// checkBinaryBeforeUse fails unless text says how to get the binary
// (make build, go install) before it first shows a prikke command.
func checkBinaryBeforeUse(t *testing.T, source, text string) {
	t.Helper()
	first := regexp.MustCompile("(^|[\\s`])prikke (--help|serve|migrate|version|cron|bench|user|apikey|org|incident)\\b").FindStringIndex(text)
	if first == nil {
		t.Fatalf("%s shows no prikke command", source)
	}
	for _, want := range []string{"make build", "./bin/prikke", "go install ./cmd/prikke"} {
		if i := strings.Index(text, want); i < 0 || i > first[0] {
			t.Errorf("%s does not say %q before its first prikke command (at %q)", source, want, text[first[0]:min(len(text), first[0]+40)])
		}
	}
}
