package httpserver

import "strings"

// RedactPath returns p fit for a log: the credential in a ping URL
// (/ping/<token>/… or /ping/<ping key>/<slug>/…) and in a badge URL
// (/badge/<token>.svg) is replaced by "<redacted>". Whoever reads the
// logs must not be able to ping, or read the badge of, a monitor.
func RedactPath(p string) string {
	for _, prefix := range []string{"/ping/", "/badge/"} {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok {
			continue
		}
		tail := ""
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			tail = rest[i:]
		} else if strings.HasSuffix(rest, ".svg") {
			tail = ".svg"
		}
		return prefix + "<redacted>" + tail
	}
	return p
}
