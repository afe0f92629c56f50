package delivery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Resolver looks up the IP addresses of a host name. *net.Resolver
// implements it; tests inject their own to map names to fixed addresses.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// refusal is a destination the guard will not connect to. Its message is
// what users see; reason is the range's word ("loopback", "private", …)
// or "port".
type refusal struct{ msg, reason string }

func (r *refusal) Error() string { return r.msg }

func refuseAddr(what, reason string) error {
	return &refusal{"destination not allowed: " + what + " (" + reason + ")", reason}
}

func refusePort(port int) error {
	return &refusal{"destination port not allowed: " + strconv.Itoa(port), "port"}
}

// RefusalReason returns why the guard refused a destination, as the word
// in its message ("loopback", "private", "metadata", …, or "port" for a
// refused port), or "" when err is not the guard's refusal.
func RefusalReason(err error) string {
	var ref *refusal
	if errors.As(err, &ref) {
		return ref.reason
	}
	return ""
}

// lookupError is a failed DNS lookup. Its message names the host and, for
// a name that does not exist or has no addresses, says so; anything else
// the resolver said (which names the resolver's own address, "dial udp
// 10.0.0.2:53: connect: network is unreachable") is for the operator's
// log, not for the execution record.
type lookupError struct {
	host string
	err  error
}

func (e *lookupError) Error() string {
	var dnsErr *net.DNSError
	switch {
	case e.err == nil:
		return "DNS lookup failed for " + e.host + ": no addresses"
	case errors.As(e.err, &dnsErr) && dnsErr.IsNotFound:
		return "DNS lookup failed for " + e.host + ": no such host"
	case errors.As(e.err, &dnsErr) && dnsErr.IsTimeout:
		return "DNS lookup failed for " + e.host + ": timed out"
	}
	return "DNS lookup failed for " + e.host
}

// detail is the resolver's own error, for the log; "" when the message
// says all there is.
func (e *lookupError) detail() string {
	var dnsErr *net.DNSError
	if e.err == nil || errors.As(e.err, &dnsErr) && dnsErr.IsNotFound {
		return ""
	}
	return e.err.Error()
}

func (e *lookupError) Unwrap() error { return e.err }

type rule struct {
	prefix netip.Prefix
	reason string
}

func rules(pairs ...string) []rule {
	rs := make([]rule, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		rs = append(rs, rule{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return rs
}

// Refused IPv4 ranges, first match wins: the IANA special-purpose registry
// (the same list as code.dny.dev/ssrf) plus cloud metadata addresses, with
// a reason word for the error message.
var v4Rules = rules(
	"0.0.0.0/32", "unspecified",
	"0.0.0.0/8", "this network",
	"10.0.0.0/8", "private",
	"100.64.0.0/10", "cgnat", // also provider meshes (Tailscale) and Alibaba's metadata 100.100.100.200
	"127.0.0.0/8", "loopback",
	"169.254.169.254/32", "metadata",
	"169.254.0.0/16", "link-local",
	"172.16.0.0/12", "private",
	"192.0.0.0/24", "reserved", // IETF protocol assignments; Oracle metadata 192.0.0.192
	"192.0.2.0/24", "documentation",
	"192.31.196.0/24", "reserved", // AS112
	"192.52.193.0/24", "reserved", // AMT
	"192.88.99.0/24", "reserved", // 6to4 relay anycast
	"192.168.0.0/16", "private",
	"192.175.48.0/24", "reserved", // AS112
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation",
	"203.0.113.0/24", "documentation",
	"224.0.0.0/4", "multicast",
	"255.255.255.255/32", "broadcast",
	"240.0.0.0/4", "reserved",
	"168.63.129.16/32", "metadata", // Azure WireServer: public space, host-internal service
)

// Refused IPv6 ranges, first match wins. Anything outside 2000::/3 (global
// unicast) is refused too. IPv4-mapped addresses are judged by their IPv4
// address; the other IPv4 embeddings are refused whatever they embed.
var v6Rules = rules(
	"::/128", "unspecified",
	"::1/128", "loopback",
	"::/96", "reserved", // IPv4-compatible, deprecated
	"64:ff9b::/96", "nat64",
	"64:ff9b:1::/48", "nat64",
	"100::/64", "reserved", // discard-only
	"2001::/32", "teredo",
	"2001:db8::/32", "documentation",
	"2001::/23", "reserved", // IETF protocol assignments
	"2002::/16", "6to4",
	"2620:4f:8000::/48", "reserved", // AS112
	"3fff::/20", "documentation",
	"fd00:ec2::254/128", "metadata", // AWS IMDS over IPv6
	"fc00::/7", "private", // unique local
	"fe80::/10", "link-local",
	"fec0::/10", "private", // site-local, deprecated
	"ff00::/8", "multicast",
)

var globalUnicast = netip.MustParsePrefix("2000::/3")

// classify returns why ip may not be dialled, or "" when it may.
func classify(ip netip.Addr) string {
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if ip.Is4() {
		for _, r := range v4Rules {
			if r.prefix.Contains(ip) {
				return r.reason
			}
		}
		return ""
	}
	if !ip.IsValid() {
		return "invalid"
	}
	for _, r := range v6Rules {
		if r.prefix.Contains(ip) {
			return r.reason
		}
	}
	if !globalUnicast.Contains(ip) {
		return "reserved"
	}
	return ""
}

// deniedPorts are ports at or above 1024 that speak protocols other than
// HTTP and are worth attacking cross-protocol: the fetch standard's "bad
// ports" plus common databases, queues and control planes.
var deniedPorts = []int{
	1433, 1521, 1719, 1720, 1723, 2049, 2375, 2376, 2379, 2380, 3306, 3389, 3659, 4045, 4190, 4369,
	5060, 5061, 5432, 5672, 5900, 6000, 6379, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697,
	9042, 9092, 10080, 10250, 11211, 27017,
}

// PortAllowed reports whether deliveries may go to port: 80, 443, and
// 1024-65535 except the ports of non-HTTP services (Redis, PostgreSQL,
// memcached, Docker, SMTP, …).
func PortAllowed(port int) bool {
	if port == 80 || port == 443 {
		return true
	}
	if port < 1024 || port > 65535 {
		return false
	}
	_, found := slices.BinarySearch(deniedPorts, port)
	return !found
}

// allowed reports whether ap is on the exact ip:port allow list.
func (c *Client) allowed(ap netip.AddrPort) bool {
	return slices.Contains(c.allow, ap)
}

// inAllowedNet reports whether ip is in one of the ranges the allow list
// opens (Options.AllowNets).
func (c *Client) inAllowedNet(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	for _, p := range c.allowNets {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Relaxed reports whether host (an IP literal or a name that can only mean
// this machine, as in a URL) and port are a destination that only the
// allow list lets through: one the guard refuses by default and lets
// through here for development. Other names are never Relaxed: what they
// resolve to is known only at dial time.
func (c *Client) Relaxed(host string, port int) bool {
	if len(c.allow) == 0 && len(c.allowNets) == 0 {
		return false
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	var addrs []netip.Addr
	if ip, ok := parseLiteral(host); ok {
		addrs = []netip.Addr{ip}
	} else if localName(host) {
		addrs = loopbackAddrs
	}
	for _, ip := range addrs {
		if classify(ip) != "" && c.check(netip.AddrPortFrom(ip, uint16(port))) == nil {
			return true
		}
	}
	return false
}

// localName reports whether host is a name that can only mean this
// machine (RFC 6761 §6.3): localhost and any name under .localhost, in any
// case, with or without the trailing dot. The guard never asks DNS about
// them: /etc/hosts is skipped for the trailing-dot form, and the upstream
// resolver may answer what it likes.
func localName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// loopbackAddrs are the addresses a local name stands for, in the order
// they are dialled.
var loopbackAddrs = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}

// vetLocal returns the loopback addresses a local name may be dialled at on
// port: those the allow list lets through. Without one the name is refused
// by its own name, the same text at save time and at dial time. port 0
// means "not known" and checks the addresses alone.
func (c *Client) vetLocal(host string, port int) ([]netip.Addr, error) {
	var vetted []netip.Addr
	var portErr error
	for _, ip := range loopbackAddrs {
		var err error
		if port == 0 {
			if !c.inAllowedNet(ip) {
				err = refuseAddr(host, "loopback")
			}
		} else {
			err = c.check(netip.AddrPortFrom(ip, uint16(port)))
		}
		if err == nil {
			vetted = append(vetted, ip)
		} else if RefusalReason(err) == "port" && portErr == nil {
			portErr = err
		}
	}
	switch {
	case len(vetted) > 0:
		return vetted, nil
	case portErr != nil:
		return nil, portErr
	}
	return nil, refuseAddr(host, "loopback")
}

// allowedPort reports whether port is allowed in general or by an allow
// list entry (which the resolved address must then still match).
func (c *Client) allowedPort(port int) bool {
	if PortAllowed(port) {
		return true
	}
	for _, ap := range c.allow {
		if int(ap.Port()) == port {
			return true
		}
	}
	return false
}

// check is the guard's verdict on one address and port. An exact allowed
// pair passes whatever its port; an address in an allowed range is spared
// the address rules only, not the port rules.
func (c *Client) check(ap netip.AddrPort) error {
	if len(c.allow) > 0 && c.allowed(ap) {
		return nil
	}
	if reason := classify(ap.Addr()); reason != "" && !c.inAllowedNet(ap.Addr()) {
		return refuseAddr(ap.Addr().String(), reason)
	}
	if !PortAllowed(int(ap.Port())) {
		return refusePort(int(ap.Port()))
	}
	return nil
}

// parseLiteral returns host as an IP address if it is one in canonical
// form (a trailing dot is tolerated: "127.0.0.1." is still 127.0.0.1).
func parseLiteral(host string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(strings.TrimSuffix(host, "."))
	return ip, err == nil
}

// numericHost reports whether host would be read as an IPv4 number by a
// URL parser or inet_aton: its last label is a decimal or 0x-hex number.
// "2130706433", "0x7f000001", "0177.0.0.1" and "127.1" all are, and glibc
// resolves each to 127.0.0.1. No real domain ends in a numeric label, so
// refusing these never refuses a name.
func numericHost(host string) bool {
	h := strings.TrimSuffix(host, ".")
	last := h[strings.LastIndexByte(h, '.')+1:]
	if last == "" {
		return false
	}
	digits := last
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		digits = last[2:]
		for i := 0; i < len(digits); i++ {
			if !isHex(digits[i]) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// CheckHost reports whether the guard would refuse host (as it appears in a
// URL, brackets optional) and port, with the same error text as at dial
// time. IP literals are judged now, and so are numeric but non-canonical
// forms such as "2130706433" or "127.1", which are always refused, and
// names that can only mean this machine ("localhost", "app.localhost.",
// any case), which are refused unless the allow list lets loopback
// through on port. Other names return nil: what they resolve to is checked
// at every dial. A non-zero
// port is checked for literals and names alike. Port 0 means "not known":
// the address is checked alone, and the allow list's exact ip:port pairs
// do not apply (its ranges do); callers should pass the scheme's default.
// Non-ASCII hosts are mapped the way net/http maps them (IDNA) first, so
// "①②⑦.0.0.1" is judged as 127.0.0.1.
func (c *Client) CheckHost(host string, port int) error {
	if port < 0 || port > 65535 {
		return refusePort(port)
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if !isASCII(host) {
		mapped, err := dialHost(host)
		if err != nil {
			return refuseAddr(host, "invalid host name")
		}
		host = mapped
	}
	if ip, ok := parseLiteral(host); ok {
		if port == 0 {
			// Exact pairs need a port; without one only ranges apply.
			if reason := classify(ip); reason != "" && !c.inAllowedNet(ip) {
				return refuseAddr(ip.String(), reason)
			}
			return nil
		}
		return c.check(netip.AddrPortFrom(ip, uint16(port)))
	}
	if numericHost(host) {
		return refuseAddr(host, "non-canonical IP address")
	}
	if localName(host) {
		_, err := c.vetLocal(host, port)
		return err
	}
	if port != 0 && !c.allowedPort(port) {
		return refusePort(port)
	}
	return nil
}

// vet returns the addresses that host may be dialled at on port, having
// checked every one of them; a name that resolves to any refused address is
// refused as a whole.
func (c *Client) vet(ctx context.Context, host string, port int) ([]netip.Addr, error) {
	if ip, ok := parseLiteral(host); ok {
		if err := c.check(netip.AddrPortFrom(ip, uint16(port))); err != nil {
			return nil, err
		}
		return []netip.Addr{ip}, nil
	}
	if numericHost(host) {
		return nil, refuseAddr(host, "non-canonical IP address")
	}
	if localName(host) {
		return c.vetLocal(host, port)
	}
	if !c.allowedPort(port) {
		return nil, refusePort(port)
	}
	t := tracerFrom(ctx)
	if t != nil {
		t.mark(&t.dnsStart)
	}
	addrs, err := c.resolver.LookupNetIP(ctx, "ip", host)
	if t != nil {
		t.mark(&t.dnsDone)
	}
	if err != nil {
		return nil, &lookupError{host: host, err: err}
	}
	if len(addrs) == 0 {
		return nil, &lookupError{host: host}
	}
	vetted := make([]netip.Addr, len(addrs))
	for i, ip := range addrs {
		ip = ip.Unmap()
		if err := c.check(netip.AddrPortFrom(ip, uint16(port))); err != nil {
			return nil, err
		}
		vetted[i] = ip
	}
	return vetted, nil
}

// addressDialTimeout caps a connection attempt to one address of several.
const addressDialTimeout = 3 * time.Second

// dialContext resolves and vets the destination itself, then dials the
// vetted addresses in turn. The dialer's Control hook checks once more on
// the socket's actual address. A traced attempt's DNS and connect phases
// are measured here (tracer), and the address the dial really reached.
func (c *Client) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, &refusal{"destination port not allowed: " + portStr, "port"}
	}
	addrs, err := c.vet(ctx, host, port)
	if err != nil {
		return nil, err
	}
	t := tracerFrom(ctx)
	if t != nil {
		t.mark(&t.connectStart)
	}
	var firstErr error
	for i, ip := range addrs {
		actx, cancel := ctx, context.CancelFunc(nil)
		if i < len(addrs)-1 {
			// Leave time for the next address when this one is black-holed
			// (typically broken IPv6); the attempt's deadline still bounds all.
			actx, cancel = context.WithTimeout(ctx, addressDialTimeout)
		}
		conn, err := c.dialer.DialContext(actx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if cancel != nil {
			cancel()
		}
		if err == nil {
			if t != nil {
				t.connected(conn.RemoteAddr().String())
			}
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// control runs on every socket just before connect(2): a second check on
// the address actually dialled, by this package's rules and by
// code.dny.dev/ssrf's independent list.
func (c *Client) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &refusal{"destination not allowed: " + address + " (unparseable)", "unparseable"}
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if len(c.allow) > 0 && c.allowed(ap) {
		return nil
	}
	if err := c.check(ap); err != nil {
		return err
	}
	if c.inAllowedNet(ap.Addr()) {
		return nil
	}
	if err := c.ssrf.SafeAddr(ap.Addr()); err != nil {
		return refuseAddr(ap.Addr().String(), "reserved")
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// errCaptured stops a dial once its address is known.
var errCaptured = errors.New("captured")

// dialHost returns the host net/http would dial for a URL host that is not
// ASCII. net/http applies IDNA mapping, which turns "①②⑦.0.0.1" and
// "127。0。0。1" into 127.0.0.1; asking it, rather than re-implementing
// the mapping, keeps CheckHost in step with what the guard sees at dial
// time. Nothing is sent: the dial is stopped before it starts.
func dialHost(host string) (string, error) {
	var got string
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(_ context.Context, _, address string) (net.Conn, error) {
			got = address
			return nil, errCaptured
		},
	}
	defer tr.CloseIdleConnections()
	u := &url.URL{Scheme: "http", Host: net.JoinHostPort(host, "80"), Path: "/"}
	req, err := http.NewRequest("GET", u.String(), nil)
	if err != nil {
		return "", err
	}
	if _, err := tr.RoundTrip(req); !errors.Is(err, errCaptured) {
		return "", fmt.Errorf("delivery: map host: %w", err)
	}
	h, _, err := net.SplitHostPort(got)
	return h, err
}
