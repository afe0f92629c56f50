package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"

	"github.com/prikke/prikke/internal/config"
	"github.com/prikke/prikke/internal/sink"
	"github.com/prikke/prikke/internal/store"
)

// abSummary is the last line `prikke bench --ab` prints: each round's
// deliveries per second with tracing and request-body recording off and
// on, and the median of the rounds' on/off ratios.
type abSummary struct {
	Mode        string    `json:"mode"`
	Store       string    `json:"store"`
	Jobs        int       `json:"jobs"`
	Rounds      int       `json:"rounds"`
	OffPerSec   []float64 `json:"off_per_second"`
	OnPerSec    []float64 `json:"on_per_second"`
	Ratios      []float64 `json:"on_off_ratios"`
	MedianRatio float64   `json:"median_on_off_ratio"`
	// CPU is this process's CPU time per delivery (engine, client and
	// sink; not the database's), in µs: on a machine shared with other
	// work it varies far less than the rate does.
	OffCPU         []float64 `json:"off_cpu_us_per_job"`
	OnCPU          []float64 `json:"on_cpu_us_per_job"`
	MedianCPURatio float64   `json:"median_on_off_cpu_ratio"`
}

// benchAB runs the same burst rounds×2 times in this process and store,
// alternating tracing and request-body recording off and on (off, on,
// off, on, …: a trend such as the database growing falls on both), each
// round with a tenant of its own. It prints every run's figures as a line
// and then the summary. The bar: on within 10% of off.
func benchAB(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger, secret string, n, rounds int, sk *sink.Sink, out io.Writer) error {
	sum := abSummary{Mode: "burst", Store: st.Dialect(), Jobs: n, Rounds: rounds}
	for i := range 2 * rounds {
		on := i%2 == 1
		rc := *cfg
		rc.Trace, rc.RecordRequestBody = on, on
		tn, err := benchTenant(ctx, st, secret)
		if err != nil {
			return err
		}
		sk.Reset()
		res := benchResult{Mode: "burst", Store: st.Dialect(), Jobs: n, WorkersMax: rc.WorkersMax, HTTPTrace: on, RecordBody: on, Round: i/2 + 1}
		cpu := cpuTime()
		if err := benchRun(ctx, &rc, st, logger, tn, "burst", n, sk, &res); err != nil {
			return err
		}
		res.CPUPerJob = math.Round(float64((cpuTime()-cpu).Microseconds())/float64(n)*10) / 10
		res.PeakRSSMB = peakRSSMB()
		b, _ := json.Marshal(res)
		fmt.Fprintln(out, string(b))
		if on {
			sum.OnPerSec = append(sum.OnPerSec, res.PerSecond)
			sum.OnCPU = append(sum.OnCPU, res.CPUPerJob)
		} else {
			sum.OffPerSec = append(sum.OffPerSec, res.PerSecond)
			sum.OffCPU = append(sum.OffCPU, res.CPUPerJob)
		}
	}
	var cpuRatios []float64
	for i := range rounds {
		sum.Ratios = append(sum.Ratios, ratio(sum.OnPerSec[i], sum.OffPerSec[i]))
		cpuRatios = append(cpuRatios, ratio(sum.OnCPU[i], sum.OffCPU[i]))
	}
	sum.MedianRatio, sum.MedianCPURatio = median(sum.Ratios), median(cpuRatios)
	b, _ := json.Marshal(sum)
	fmt.Fprintln(out, string(b))
	return nil
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return math.Round(a/b*1000) / 1000
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	m := len(s)
	if m%2 == 1 {
		return s[m/2]
	}
	return math.Round((s[m/2-1]+s[m/2])/2*1000) / 1000
}
