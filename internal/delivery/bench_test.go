package delivery

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/sink"
)

func benchRequest(s *sink.Sink) Request {
	return Request{
		Method:       "POST",
		URL:          s.URL("/ok"),
		Headers:      []prikke.Header{{Name: "Content-Type", Value: "application/json"}},
		Body:         []byte(`{"job":"nightly-report","n":1}`),
		Timeout:      10 * time.Second,
		WebhookID:    "msg_2Zf1XbJ0oV5Q",
		Secrets:      []string{testSecret},
		JobID:        "job_0192b2a4",
		ExecutionID:  "exe_0192b2a5",
		ScheduledFor: time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC),
		Attempt:      1,
	}
}

// BenchmarkDo is one delivery at a time to a loopback sink over a kept-alive
// connection: the client's and the sink's cost per request, and the
// client-side allocations (the sink runs in the same process, so its
// allocations are counted too).
func BenchmarkDo(b *testing.B) {
	s := startSink(b, sink.Options{})
	c := clientFor(b, Options{}, s)
	req := benchRequest(s)
	ctx := context.Background()
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if res := c.Do(ctx, req); res.Status != prikke.ExecutionStatusSuccess {
			b.Fatal(res.Error)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkDoTraced is BenchmarkDo with tracing and body recording on,
// as in production: the difference is their cost.
func BenchmarkDoTraced(b *testing.B) {
	s := startSink(b, sink.Options{})
	c := clientFor(b, Options{}, s)
	req := benchRequest(s)
	req.Trace, req.RecordBody = true, true
	ctx := context.Background()
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if res := c.Do(ctx, req); res.Status != prikke.ExecutionStatusSuccess || res.Trace == nil {
			b.Fatal(res.Error)
		}
	}
	reportCPU(b, cpu)
}

// cpuTime is the process's user+system CPU time. Reported per op it is
// the cost of a delivery (client and sink together), which stays
// meaningful when other processes compete for the cores and wall-clock
// ns/op does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDoParallel is many concurrent deliveries, as the worker pool
// makes them; ns/op is the inverse of throughput.
func BenchmarkDoParallel(b *testing.B) {
	s := startSink(b, sink.Options{})
	c := clientFor(b, Options{}, s)
	req := benchRequest(s)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(32)
	cpu := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := c.Do(ctx, req); res.Status != prikke.ExecutionStatusSuccess {
				b.Error(res.Error)
				return
			}
		}
	})
	b.StopTimer()
	reportCPU(b, cpu)
	b.ReportMetric(float64(s.Conns()), "conns")
}

// BenchmarkSign is the signature alone, with the pooled signer Do uses.
func BenchmarkSign(b *testing.B) {
	ss := new(signers)
	body := []byte(`{"job":"nightly-report","n":1}`)
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		s, err := ss.get(testSecret)
		if err != nil {
			b.Fatal(err)
		}
		buf = s.append(buf[:0], "msg_2Zf1XbJ0oV5Q", 1614265330, body)
	}
}
