package delivery

import (
	"context"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/sink"
)

// TestSSRFRefusedByDefault runs the URL groups of research/reliability.md
// §4.4.1 against a client with no allow list. Counting listeners sit on
// 127.0.0.1:P and [::1]:P; names come from an injected resolver. Every URL
// must fail with a "destination not allowed" error and no connection may
// reach either listener. For literal hosts CheckHost (the API's 422 at job
// creation) must give the same text; for names it must pass, leaving the
// verdict to dial time.
func TestSSRFRefusedByDefault(t *testing.T) {
	v4, v6 := listenPair(t)
	self := startSink(t, sink.Options{}) // stands in for Prikke's own listener (#25)
	p := strconv.Itoa(int(v4.Addr().Port()))
	resolver := newFakeResolver()
	resolver.set("prikke.self", netip.MustParseAddr("127.0.0.1"))
	c := New(Options{Resolver: resolver})
	defer c.Close()

	// #23: at job creation the name resolves to a public address...
	addrs, err := resolver.LookupNetIP(context.Background(), "ip", "rebind.test")
	if err != nil || len(addrs) != 1 || classify(addrs[0]) != "" {
		t.Fatalf("rebind.test at creation: %v %v", addrs, err)
	}

	tests := []struct {
		group string
		url   string
		want  string // the error
		name  bool   // the host is a name: CheckHost passes it
	}{
		{"1 loopback", "http://127.0.0.1:P/", "destination not allowed: 127.0.0.1 (loopback)", false},
		{"1 loopback, other address", "http://127.0.0.2:P/", "destination not allowed: 127.0.0.2 (loopback)", false},
		{"1 loopback, trailing dot", "http://127.0.0.1.:P/", "destination not allowed: 127.0.0.1 (loopback)", false},
		{"2 localhost", "http://localhost:P/", "destination not allowed: localhost (loopback)", false},
		{"2 localhost, trailing dot", "http://localhost.:P/", "destination not allowed: localhost. (loopback)", false},
		{"2 localhost, upper case", "http://LocalHost:P/", "destination not allowed: LocalHost (loopback)", false},
		{"2 under .localhost", "http://app.localhost:P/", "destination not allowed: app.localhost (loopback)", false},
		{"2 under .localhost, trailing dot", "http://api.App.LOCALHOST.:P/", "destination not allowed: api.App.LOCALHOST. (loopback)", false},
		{"3 IPv6 loopback", "http://[::1]:P/", "destination not allowed: ::1 (loopback)", false},
		{"4 0.0.0.0", "http://0.0.0.0:P/", "destination not allowed: 0.0.0.0 (unspecified)", false},
		{"4 0.0.0.0/8", "http://0.1.2.3:P/", "destination not allowed: 0.1.2.3 (this network)", false},
		{"5 IPv6 unspecified", "http://[::]:P/", "destination not allowed: :: (unspecified)", false},
		{"6 decimal", "http://2130706433:P/", "destination not allowed: 2130706433 (non-canonical IP address)", false},
		{"7 hex", "http://0x7f000001:P/", "destination not allowed: 0x7f000001 (non-canonical IP address)", false},
		{"7 hex, dotted", "http://0x7f.0.0.1:P/", "destination not allowed: 0x7f.0.0.1 (non-canonical IP address)", false},
		{"8 octal", "http://0177.0.0.1:P/", "destination not allowed: 0177.0.0.1 (non-canonical IP address)", false},
		{"9 short", "http://127.1:P/", "destination not allowed: 127.1 (non-canonical IP address)", false},
		{"10 IPv4-mapped", "http://[::ffff:127.0.0.1]:P/", "destination not allowed: ::ffff:127.0.0.1 (loopback)", false},
		{"10 IPv4-mapped, hex", "http://[::ffff:7f00:1]:P/", "destination not allowed: ::ffff:127.0.0.1 (loopback)", false},
		{"10 IPv4-mapped by name", "http://mapped.test:P/", "destination not allowed: 127.0.0.1 (loopback)", true},
		{"11 NAT64", "http://[64:ff9b::7f00:1]:P/", "destination not allowed: 64:ff9b::7f00:1 (nat64)", false},
		{"11 NAT64 of a public address", "http://[64:ff9b::808:808]/", "destination not allowed: 64:ff9b::808:808 (nat64)", false},
		{"12 6to4", "http://[2002:7f00:1::1]:P/", "destination not allowed: 2002:7f00:1::1 (6to4)", false},
		{"12 Teredo", "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "destination not allowed: 2001:0:4136:e378:8000:63bf:3fff:fdd2 (teredo)", false},
		{"13 metadata", "http://169.254.169.254/latest/meta-data/", "destination not allowed: 169.254.169.254 (metadata)", false},
		{"13 metadata, mapped", "http://[::ffff:a9fe:a9fe]/", "destination not allowed: ::ffff:169.254.169.254 (metadata)", false},
		{"14 AWS IPv6 IMDS", "http://[fd00:ec2::254]/", "destination not allowed: fd00:ec2::254 (metadata)", false},
		{"14 ULA", "http://[fd12:3456::1]/", "destination not allowed: fd12:3456::1 (private)", false},
		{"15 metadata by name", "http://metadata.google.internal/", "destination not allowed: 169.254.169.254 (metadata)", true},
		{"16 10/8", "http://10.0.0.1/", "destination not allowed: 10.0.0.1 (private)", false},
		{"16 172.16/12", "http://172.16.0.1/", "destination not allowed: 172.16.0.1 (private)", false},
		{"16 192.168/16", "http://192.168.1.1/", "destination not allowed: 192.168.1.1 (private)", false},
		{"17 CGNAT", "http://100.64.0.1/", "destination not allowed: 100.64.0.1 (cgnat)", false},
		{"18 link-local with zone", "http://[fe80::1%25eth0]/", "destination not allowed: fe80::1%eth0 (link-local)", false},
		{"18 link-local v4", "http://169.254.1.1/", "destination not allowed: 169.254.1.1 (link-local)", false},
		{"19 benchmarking", "http://198.18.0.1/", "destination not allowed: 198.18.0.1 (benchmarking)", false},
		{"19 reserved", "http://240.0.0.1/", "destination not allowed: 240.0.0.1 (reserved)", false},
		{"19 multicast", "http://224.0.0.1/", "destination not allowed: 224.0.0.1 (multicast)", false},
		{"19 broadcast", "http://255.255.255.255/", "destination not allowed: 255.255.255.255 (broadcast)", false},
		{"19 documentation", "http://192.0.2.1/", "destination not allowed: 192.0.2.1 (documentation)", false},
		{"19 IPv6 multicast", "http://[ff02::1]/", "destination not allowed: ff02::1 (multicast)", false},
		{"20 localtest.me", "http://localtest.me:P/", "destination not allowed: 127.0.0.1 (loopback)", true},
		{"20 nip.io", "http://127.0.0.1.nip.io:P/", "destination not allowed: 127.0.0.1 (loopback)", true},
		{"20 lvh.me", "http://lvh.me:P/", "destination not allowed: 127.0.0.1 (loopback)", true},
		{"20 one address of several", "http://mixed.test/", "destination not allowed: 10.1.2.3 (private)", true},
		{"21 circled digits", "http://①②⑦.0.0.1:P/", "destination not allowed: 127.0.0.1 (loopback)", false},
		{"21 ideographic full stops", "http://127。0。0。1:P/", "destination not allowed: 127.0.0.1 (loopback)", false},
		{"22 userinfo", "http://evil.example@127.0.0.1:P/", "destination not allowed: 127.0.0.1 (loopback)", false},
		{"22 userinfo with password", "http://user:pass@[::1]:P/", "destination not allowed: ::1 (loopback)", false},
		{"23 DNS rebinding", "http://rebind.test:P/", "destination not allowed: 127.0.0.1 (loopback)", true},
		{"25 Prikke itself", "http://prikke.self:" + strconv.Itoa(int(self.Addr().Port())) + "/api/v1/jobs", "destination not allowed: 127.0.0.1 (loopback)", true},
		{"26 Redis", "http://public.example:6379/", "destination port not allowed: 6379", true},
		{"26 PostgreSQL", "http://public.example:5432/", "destination port not allowed: 5432", true},
		{"26 memcached", "http://public.example:11211/", "destination port not allowed: 11211", true},
		{"26 SMTP", "http://public.example:25/", "destination port not allowed: 25", true},
		{"26 Docker", "http://public.example:2375/", "destination port not allowed: 2375", true},
		{"26 SSH on a public literal", "http://93.184.215.14:22/", "destination port not allowed: 22", false},
		{"26 https on 25", "https://public.example:25/", "destination port not allowed: 25", true},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			raw := strings.ReplaceAll(tt.url, ":P/", ":"+p+"/")
			res := c.Do(context.Background(), post(raw))
			if res.Status != prikke.ExecutionStatusFailed || res.Error != tt.want {
				t.Errorf("Do(%s): %s %q, want failed %q", raw, res.Status, res.Error, tt.want)
			}

			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			port, _ := strconv.Atoi(u.Port())
			err = c.CheckHost(u.Hostname(), port)
			switch {
			case tt.name && strings.HasPrefix(tt.want, "destination port"):
				if err == nil || err.Error() != tt.want {
					t.Errorf("CheckHost(%s, %d) = %v, want %q", u.Hostname(), port, err, tt.want)
				}
			case tt.name:
				if err != nil {
					t.Errorf("CheckHost(%s, %d) = %v, want nil for a name", u.Hostname(), port, err)
				}
			default:
				if err == nil || err.Error() != tt.want {
					t.Errorf("CheckHost(%s, %d) = %v, want %q", u.Hostname(), port, err, tt.want)
				}
			}
		})
	}
	for _, s := range []*sinkCount{{"127.0.0.1:P", v4}, {"[::1]:P", v6}, {"Prikke itself", self}} {
		if n := s.sink.Conns(); n != 0 {
			t.Errorf("%s: %d connections reached the listener", s.name, n)
		}
	}
}

// #20: names that can only mean this machine are never looked up: the
// trailing-dot form would skip /etc/hosts and ask the upstream resolver,
// which may answer anything. They stand for loopback, refused by
// default, at save time and at dial time alike.
func TestSSRFLocalNamesNotResolved(t *testing.T) {
	t.Parallel()
	resolver := newFakeResolver()
	resolver.set("localhost", netip.MustParseAddr("93.184.215.14")) // a resolver that lies
	resolver.set("app.localhost", netip.MustParseAddr("93.184.215.14"))
	c := New(Options{Resolver: resolver})
	defer c.Close()
	for _, host := range []string{"localhost", "localhost.", "LOCALHOST", "app.localhost", "app.localhost.", "a.b.LocalHost."} {
		want := "destination not allowed: " + host + " (loopback)"
		if res := c.Do(context.Background(), post("http://"+host+":8080/")); res.Error != want {
			t.Errorf("Do(%s): %q, want %q", host, res.Error, want)
		}
		if err := c.CheckHost(host, 8080); err == nil || err.Error() != want {
			t.Errorf("CheckHost(%s) = %v, want %q", host, err, want)
		}
	}
	if n := resolver.count(); n != 0 {
		t.Errorf("%d DNS lookups for names that can only mean this machine", n)
	}
	// Names that merely contain the word are names like any other.
	for _, host := range []string{"localhost.example.com", "mylocalhost", "localhost-api.example"} {
		if err := c.CheckHost(host, 443); err != nil {
			t.Errorf("CheckHost(%s) = %v", host, err)
		}
	}
}

// #1: PRIKKE_SSRF_ALLOW=loopback (Options.AllowNets) lets development
// deliveries reach this machine, by address and by name, on both loopback
// addresses, while the port rules and every other range still hold.
func TestSSRFAllowNets(t *testing.T) {
	t.Parallel()
	v4, v6 := listenPair(t)
	p := int(v4.Addr().Port())
	resolver := newFakeResolver()
	c := New(Options{Resolver: resolver, AllowNets: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	defer c.Close()
	for _, u := range []string{
		v4.URL("/ok"),
		"http://localhost:" + strconv.Itoa(p) + "/ok",
		"http://app.localhost.:" + strconv.Itoa(p) + "/ok",
		"http://localtest.me:" + strconv.Itoa(p) + "/ok", // a public name for 127.0.0.1
	} {
		if res := c.Do(context.Background(), post(u)); res.Status != prikke.ExecutionStatusSuccess {
			t.Errorf("%s: %+v", u, res)
		}
		if err := checkURL(c, u); err != nil {
			t.Errorf("CheckHost(%s) = %v", u, err)
		}
	}
	if v4.Count() != 4 {
		t.Errorf("127.0.0.1 sink got %d requests, want 4", v4.Count())
	}
	if res := c.Do(context.Background(), post(v6.URL("/ok"))); res.Status != prikke.ExecutionStatusSuccess || v6.Count() != 1 {
		t.Errorf("[::1]: %+v", res)
	}
	// A server listening on ::1 alone is reached by name: 127.0.0.1 is
	// tried first, refuses, and ::1 answers.
	v6only := startSink(t, sink.Options{Addr: "[::1]:0"})
	if res := c.Do(context.Background(), post("http://localhost:"+strconv.Itoa(int(v6only.Addr().Port()))+"/ok")); res.Status != prikke.ExecutionStatusSuccess {
		t.Errorf("localhost to a ::1-only server: %+v", res)
	}

	for _, tt := range []struct{ url, want string }{
		{"http://localhost:6379/", "destination port not allowed: 6379"},
		{"http://127.0.0.1:5432/", "destination port not allowed: 5432"},
		{"http://127.0.0.1:22/", "destination port not allowed: 22"},
		{"http://10.0.0.1/", "destination not allowed: 10.0.0.1 (private)"},
		{"http://169.254.169.254/", "destination not allowed: 169.254.169.254 (metadata)"},
		{"http://0.0.0.0:" + strconv.Itoa(p) + "/", "destination not allowed: 0.0.0.0 (unspecified)"},
		{"http://mixed.test/", "destination not allowed: 10.1.2.3 (private)"},
	} {
		if res := c.Do(context.Background(), post(tt.url)); res.Error != tt.want {
			t.Errorf("Do(%s) = %q, want %q", tt.url, res.Error, tt.want)
		}
	}
	if err := checkURL(c, "http://10.0.0.1/"); err == nil || err.Error() != "destination not allowed: 10.0.0.1 (private)" {
		t.Errorf("CheckHost(10.0.0.1) = %v", err)
	}

	// Relaxed tells the destinations only the list lets through.
	for host, want := range map[string]bool{"127.0.0.1": true, "[::1]": true, "localhost": true, "App.Localhost.": true,
		"10.0.0.1": false, "8.8.8.8": false, "example.com": false, "localtest.me": false} {
		if got := c.Relaxed(host, 8080); got != want {
			t.Errorf("Relaxed(%s) = %v, want %v", host, got, want)
		}
	}
	if c.Relaxed("localhost", 6379) {
		t.Error("Relaxed(localhost:6379): the port is refused")
	}
	if New(Options{}).Relaxed("127.0.0.1", 8080) {
		t.Error("Relaxed without an allow list")
	}
}

// #1: an exact pair lets a local name through on that address alone: the
// other loopback address is not dialled.
func TestSSRFAllowPairByName(t *testing.T) {
	t.Parallel()
	v4, v6 := listenPair(t)
	c := clientFor(t, Options{}, v4)
	u := "http://localhost:" + strconv.Itoa(int(v4.Addr().Port())) + "/ok"
	if res := c.Do(context.Background(), post(u)); res.Status != prikke.ExecutionStatusSuccess {
		t.Fatalf("%+v", res)
	}
	if err := checkURL(c, u); err != nil {
		t.Errorf("CheckHost = %v", err)
	}
	if !c.Relaxed("localhost", int(v4.Addr().Port())) {
		t.Error("Relaxed(localhost:P) = false")
	}
	if v4.Count() != 1 || v6.Conns() != 0 {
		t.Errorf("127.0.0.1 got %d requests, ::1 %d connections", v4.Count(), v6.Conns())
	}
	if err := c.CheckHost("localhost", int(v4.Addr().Port())+1); err == nil || err.Error() != "destination not allowed: localhost (loopback)" {
		t.Errorf("CheckHost(localhost, another port) = %v", err)
	}
}

func checkURL(c *Client, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	port := 80
	if p := u.Port(); p != "" {
		port, _ = strconv.Atoi(p)
	}
	return c.CheckHost(u.Hostname(), port)
}

type sinkCount struct {
	name string
	sink *sink.Sink
}

// TestSSRFAllowList proves the test switch does not weaken the guard:
// (i) an allowed pair receives, (iii) a different port on the same address,
// the same port on ::1, and a redirect to another loopback port get nothing.
func TestSSRFAllowList(t *testing.T) {
	t.Parallel()
	v4, v6 := listenPair(t)
	other := startSink(t, sink.Options{})
	c := clientFor(t, Options{}, v4)

	// (i) The allowed pair receives, signed.
	if res := c.Do(context.Background(), post(v4.URL("/ok"))); res.Status != prikke.ExecutionStatusSuccess {
		t.Fatalf("allowed sink: %+v", res)
	}
	if v4.Count() != 1 || !v4.Requests()[0].SignatureValid {
		t.Fatalf("allowed sink got %d requests", v4.Count())
	}

	// (ii) A client without the list refuses the same URL.
	plain := New(Options{})
	defer plain.Close()
	if res := plain.Do(context.Background(), post(v4.URL("/ok"))); res.Error != "destination not allowed: 127.0.0.1 (loopback)" {
		t.Errorf("no allow list: %+v", res)
	}

	// (iii) Exact pairs only.
	for _, u := range []string{other.URL("/ok"), v6.URL("/ok"), "http://127.0.0.2:" + strconv.Itoa(int(v4.Addr().Port())) + "/ok"} {
		res := c.Do(context.Background(), post(u))
		if res.Status != prikke.ExecutionStatusFailed || !strings.HasPrefix(res.Error, "destination not allowed: ") {
			t.Errorf("%s: %+v", u, res)
		}
	}
	// #24: redirects from the allowed sink to internal places are results,
	// not requests.
	for _, to := range []string{"http://169.254.169.254/", other.URL("/ok"), v6.URL("/ok")} {
		res := c.Do(context.Background(), post(v4.URL("/302?to="+url.QueryEscape(to))))
		if res.StatusCode != 302 || res.Error != "redirect not followed (302 to "+to+")" {
			t.Errorf("redirect to %s: %+v", to, res)
		}
	}
	if other.Conns() != 0 || v6.Conns() != 0 {
		t.Errorf("connections: other port %d, [::1] same port %d", other.Conns(), v6.Conns())
	}
	// CheckHost honours the list the same way.
	if err := c.CheckHost("127.0.0.1", int(v4.Addr().Port())); err != nil {
		t.Errorf("CheckHost(allowed) = %v", err)
	}
	if err := c.CheckHost("::1", int(v4.Addr().Port())); err == nil {
		t.Error("CheckHost([::1]:P) passed")
	}
}

// #27: proxy settings in the environment are ignored. The URL names a
// host that is not loopback, so net/http would send it to the proxy if
// the client consulted the environment.
func TestSSRFProxyEnvironmentIgnored(t *testing.T) {
	proxy := startSink(t, sink.Options{})
	target := startSink(t, sink.Options{})
	for _, name := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"} {
		t.Setenv(name, proxy.URL(""))
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	resolver := newFakeResolver()
	c := clientFor(t, Options{Resolver: resolver}, target)
	if c.transport.Proxy != nil {
		t.Fatal("Transport.Proxy is set")
	}
	u := "http://sink.test:" + strconv.Itoa(int(target.Addr().Port())) + "/ok"
	if res := c.Do(context.Background(), post(u)); res.Status != prikke.ExecutionStatusSuccess {
		t.Fatalf("%+v", res)
	}
	if proxy.Conns() != 0 || target.Count() != 1 {
		t.Errorf("proxy saw %d connections, target %d requests", proxy.Conns(), target.Count())
	}
}

// The resolver is consulted at every new connection, and every address it
// returns is checked.
func TestSSRFResolvedAtDial(t *testing.T) {
	t.Parallel()
	s := startSink(t, sink.Options{})
	resolver := newFakeResolver()
	c := clientFor(t, Options{Resolver: resolver}, s)
	u := "http://sink.test:" + strconv.Itoa(int(s.Addr().Port())) + "/ok"
	if res := c.Do(context.Background(), post(u)); res.Status != prikke.ExecutionStatusSuccess {
		t.Fatalf("%+v", res)
	}
	c.Close() // drop the pooled connection so the next attempt dials again
	resolver.set("sink.test", netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.168.0.10"))
	res := c.Do(context.Background(), post(u))
	if res.Error != "destination not allowed: 192.168.0.10 (private)" {
		t.Fatalf("%+v", res)
	}
	if s.Count() != 1 {
		t.Errorf("sink got %d requests", s.Count())
	}
}
