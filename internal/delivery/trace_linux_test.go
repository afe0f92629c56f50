package delivery

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestTraceSlowConnect slows the TCP handshake itself: the server listens
// with a backlog of 0 and one connection it has not accepted fills its
// accept queue, so Linux drops the client's SYN and the client sends it
// again (after its 1 s initial retransmission timeout). The server starts
// accepting after the delay, so the second SYN is answered.
func TestTraceSlowConnect(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "backlog0")
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	filler, err := net.Dial("tcp", addr)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	defer filler.Close()

	srv := &http.Server{Handler: http.HandlerFunc(ok)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(slow)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		ln.Close()
		<-done
	})

	c := New(Options{Allow: []netip.AddrPort{netip.MustParseAddrPort(addr)}})
	t.Cleanup(c.Close)
	res := c.Do(context.Background(), traced("http://"+addr+"/"))
	assertSlowest(t, res, "connect")
	if res.Trace.RemoteAddr != addr {
		t.Errorf("remote address %q, want %q", res.Trace.RemoteAddr, addr)
	}
}
