package delivery

import (
	"net/netip"
	"slices"
	"testing"

	"code.dny.dev/ssrf"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		// Allowed: public unicast.
		"8.8.8.8": "", "1.1.1.1": "", "93.184.215.14": "", "2606:4700:4700::1111": "", "2a00:1450:4001::200e": "",
		"::ffff:8.8.8.8": "",
		// Just outside special ranges (Smokescreen's edge cases).
		"100.63.255.255": "", "100.128.0.0": "", "172.15.255.255": "", "172.32.0.0": "", "198.17.255.255": "",
		"198.20.0.0": "", "223.255.255.255": "", "11.0.0.0": "", "9.255.255.255": "",
		// Refused.
		"0.0.0.0": "unspecified", "0.255.255.255": "this network", "10.255.255.255": "private",
		"100.64.0.0": "cgnat", "100.127.255.255": "cgnat", "100.100.100.200": "cgnat",
		"127.0.0.1": "loopback", "127.255.255.254": "loopback",
		"169.254.169.254": "metadata", "169.254.0.1": "link-local", "168.63.129.16": "metadata",
		"172.31.255.255": "private", "192.168.0.1": "private", "192.0.0.192": "reserved",
		"192.0.2.1": "documentation", "198.51.100.1": "documentation", "203.0.113.1": "documentation",
		"198.18.0.0": "benchmarking", "198.19.255.255": "benchmarking", "192.88.99.1": "reserved",
		"224.0.0.1": "multicast", "239.255.255.250": "multicast", "240.0.0.1": "reserved",
		"255.255.255.254": "reserved", "255.255.255.255": "broadcast",
		"::": "unspecified", "::1": "loopback", "::127.0.0.1": "reserved", "::ffff:10.0.0.1": "private",
		"::ffff:0.0.0.0": "unspecified", "64:ff9b::808:808": "nat64", "64:ff9b:1::1": "nat64",
		"100::1": "reserved", "2001::1": "teredo", "2001:db8::1": "documentation", "2001:10::1": "reserved",
		"2002:c000:0204::1": "6to4", "3fff::1": "documentation", "fd00:ec2::254": "metadata",
		"fc00::1": "private", "fdff::1": "private", "fe80::1": "link-local", "fe80::1%eth0": "link-local",
		"fec0::1": "private", "ff02::1": "multicast", "ff05::2": "multicast", "4000::1": "reserved",
		"1000::1": "reserved", "5f00::1": "reserved",
	}
	for in, want := range tests {
		if got := classify(netip.MustParseAddr(in)); got != want {
			t.Errorf("classify(%s) = %q, want %q", in, got, want)
		}
	}
}

// This package's table refuses at least everything code.dny.dev/ssrf
// refuses, so the library in the Control hook never overrules it with a
// vaguer message.
func TestClassifyCoversSSRFLists(t *testing.T) {
	t.Parallel()
	prefixes := append(append([]netip.Prefix{}, ssrf.IPv4DeniedPrefixes...), ssrf.IPv6DeniedPrefixes...)
	prefixes = append(prefixes, ssrf.IPv6NAT64Prefix)
	for _, p := range prefixes {
		first := p.Masked().Addr()
		last := lastAddr(p)
		for _, a := range []netip.Addr{first, last} {
			if classify(a) == "" {
				t.Errorf("%s (in %s) is allowed here but denied by ssrf", a, p)
			}
		}
	}
	g := ssrf.New(ssrf.WithAnyPort())
	for _, a := range []string{"8.8.8.8", "2606:4700:4700::1111", "93.184.215.14"} {
		if err := g.SafeAddr(netip.MustParseAddr(a)); err != nil {
			t.Errorf("ssrf refuses %s: %v", a, err)
		}
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func TestPortAllowed(t *testing.T) {
	t.Parallel()
	if !slices.IsSorted(deniedPorts) {
		t.Fatal("deniedPorts must be sorted")
	}
	for port, want := range map[int]bool{
		80: true, 443: true, 1024: true, 3000: true, 8080: true, 8443: true, 65535: true,
		0: false, 1: false, 22: false, 25: false, 53: false, 79: false, 81: false, 442: false, 444: false,
		587: false, 1023: false, 6379: false, 5432: false, 11211: false, 2375: false, 3306: false,
		27017: false, 65536: false, -1: false,
	} {
		if got := PortAllowed(port); got != want {
			t.Errorf("PortAllowed(%d) = %v", port, got)
		}
	}
}

func TestNumericHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"2130706433": true, "0x7f000001": true, "0X7F000001": true, "0177.0.0.1": true, "127.1": true,
		"127.0.0.1": true, "1.2.3.4.": true, "0x": true, "foo.0x10": true, "example.123": true,
		"example.com": false, "a1.b2": false, "0xg1": false, "": false, "localhost": false, "123.example": false,
		"x.": false,
	} {
		if got := numericHost(host); got != want {
			t.Errorf("numericHost(%q) = %v", host, got)
		}
	}
}

func TestCheckHost(t *testing.T) {
	t.Parallel()
	sinkAddr := netip.MustParseAddrPort("127.0.0.1:45678")
	c := New(Options{Allow: []netip.AddrPort{sinkAddr}})
	defer c.Close()
	tests := []struct {
		host string
		port int
		want string
	}{
		{"example.com", 443, ""},
		{"example.com", 0, ""},
		{"example.com", 8080, ""},
		{"example.com", 25, "destination port not allowed: 25"},
		{"example.com", 70000, "destination port not allowed: 70000"},
		{"8.8.8.8", 443, ""},
		{"[2606:4700:4700::1111]", 0, ""},
		{"8.8.8.8", 22, "destination port not allowed: 22"},
		{"127.0.0.1", 0, "destination not allowed: 127.0.0.1 (loopback)"},
		{"[::1]", 80, "destination not allowed: ::1 (loopback)"},
		{"fe80::1%eth0", 80, "destination not allowed: fe80::1%eth0 (link-local)"},
		{"2130706433", 80, "destination not allowed: 2130706433 (non-canonical IP address)"},
		{"①②⑦.0.0.1", 80, "destination not allowed: 127.0.0.1 (loopback)"},
		{"127。0。0。1", 0, "destination not allowed: 127.0.0.1 (loopback)"},
		{"bücher.example", 443, ""},
		// The allow list: exactly the pair.
		{"127.0.0.1", 45678, ""},
		{"127.0.0.1", 45679, "destination not allowed: 127.0.0.1 (loopback)"},
		{"::1", 45678, "destination not allowed: ::1 (loopback)"},
	}
	for _, tt := range tests {
		err := c.CheckHost(tt.host, tt.port)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckHost(%q, %d) = %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
}
