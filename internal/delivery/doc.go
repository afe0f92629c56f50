// Package delivery makes Prikke's outbound HTTP requests: job deliveries and
// project notification webhooks. One Client, shared by the whole process,
// owns the connection pool and the rules every request follows:
//
//   - One total deadline per attempt covers connecting, TLS, sending, the
//     response headers and reading the body, so a server that drips bytes
//     is cut off at the deadline like one that hangs.
//   - At most 64 KiB of a response body is read and kept (Result.Truncated
//     says there was more); the rest is never read and the connection is
//     dropped, so memory does not grow with the response.
//   - Redirects are not followed: a 3xx is a failed attempt with its
//     Location recorded. TLS is always verified; there is no switch to turn
//     that off. Proxy settings from the environment are ignored.
//   - The SSRF guard refuses private, loopback, link-local, CGNAT,
//     metadata, multicast, documentation and other special addresses, and
//     ports other than 80, 443 and 1024-65535 (minus non-HTTP services). It
//     runs at dial time on the addresses actually dialled: the client
//     resolves names itself, refuses a name if any address it resolves to is
//     refused, dials only vetted addresses, and checks again in the
//     dialer's Control hook (with code.dny.dev/ssrf as a second opinion).
//     Numeric hosts in non-canonical form ("2130706433", "0x7f000001",
//     "0177.0.0.1", "127.1") are refused outright, and so are names that
//     can only mean this machine ("localhost", "*.localhost", any case,
//     with or without the trailing dot), which are never looked up: they
//     stand for 127.0.0.1 and ::1. Tests reach a loopback sink through an
//     exact ip:port allow list (Options.Allow); developers reach their own
//     machine through allowed ranges (Options.AllowNets, from
//     PRIKKE_SSRF_ALLOW=loopback or a CIDR), which relax the address rules
//     but not the port rules. The config layer refuses both in production.
//   - Every request is signed to the Standard Webhooks spec (webhook-id,
//     webhook-timestamp, webhook-signature with one v1 signature per
//     secret, so secret rotation has an overlap) and carries
//     "User-Agent: Prikke/<version>" and Prikke-Job-Id,
//     Prikke-Execution-Id, Prikke-Scheduled-For and Prikke-Attempt so that
//     receivers can verify and drop duplicates.
//   - On request (Request.Trace, Request.RecordBody; both on in
//     production) an attempt reports where its time went, phase by phase
//     (DNS, connect, TLS, send, wait, body; trace.go), the address really
//     dialled, the TLS version and whether the connection was reused, and
//     the body it sent, cut at 64 KiB. Off, they cost nothing; on, one
//     set of hooks (a dozen small allocations) per attempt.
//
// Results are classified for people: success for 2xx; failed with a short
// reason such as "HTTP 500", "connection refused", "DNS lookup failed for
// example.invalid: no such host" or "destination not allowed: 127.0.0.1
// (loopback)"; timeout when the deadline passed. What the resolver said
// beyond that (it names the resolver's own address) goes to the log only. Retry-After on 429 and 503
// and 410 Gone are reported so the worker can back off or disable the job.
package delivery
