package prikke

// What an execution shows of what happened (issue 18): the request as sent,
// where its time went, the job's response assertions, the project's
// redaction, replays.

// MaxRecordedBody bounds the request body an attempt keeps (as the
// response's DefaultMaxBody): longer bodies are cut, with
// Execution.RequestTruncated set.
const MaxRecordedBody = 64 << 10

// Trace is where one attempt's time went, from Go's net/http/httptrace, in
// microseconds. A phase that did not happen (a reused connection has no
// DNS, connect or TLS) is 0. Together with the execution's ScheduledFor,
// DueAt, ClaimedAt and StartedAt it shows each attempt from due to done.
type Trace struct {
	DNSUS     int64 `json:"dns_us"`     // name lookup (0 for an IP literal or a reused connection)
	ConnectUS int64 `json:"connect_us"` // TCP connect
	TLSUS     int64 `json:"tls_us"`     // TLS handshake
	// SendUS is from the connection's readiness to the request written
	// (headers and body); WaitUS from then to the response's first byte
	// (time to first byte, the server's think time); BodyUS reading the
	// response body (as much as is kept, or all of it until the cap).
	SendUS int64 `json:"send_us"`
	WaitUS int64 `json:"wait_us"`
	BodyUS int64 `json:"body_us"`
	// RemoteAddr is the address actually dialled, ip:port ("" when no
	// connection was made).
	RemoteAddr string `json:"remote_addr,omitempty"`
	// TLSVersion is "TLS 1.2" or "TLS 1.3"; "" for plain http.
	TLSVersion string `json:"tls_version,omitempty"`
	// Reused: the connection was kept alive from an earlier request.
	Reused bool `json:"reused"`
}

// Redacted replaces a redacted value in what Prikke stores and shows.
const Redacted = "[redacted]"

// Redaction says which values a project never stores: header names
// (case-insensitive) and JSON fields by path (template path syntax, e.g.
// "password", "data.token", "items[0].secret"; a path matches in a
// request body and a response body alike). Values are replaced by Redacted
// before an attempt's request and response are stored, and so in history,
// notifications, exports and logs. The zero Redaction (nil in a Project)
// means DefaultRedactHeaders and no JSON paths.
type Redaction struct {
	Headers   []string `json:"headers"`
	JSONPaths []string `json:"json_paths"`
}

// DefaultRedactHeaders are redacted when a project sets nothing.
var DefaultRedactHeaders = []string{"Authorization", "Cookie", "Proxy-Authorization", "Set-Cookie"}

// Redaction limits.
const (
	MaxRedactHeaders   = 50
	MaxRedactJSONPaths = 50
)

// Replay limits.
const (
	// MaxBulkReplay is how many failed executions one bulk replay sends
	// again.
	MaxBulkReplay = 1000
)
