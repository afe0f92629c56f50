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
		if err := benchRun(ctx, &rc, st, logger, tn, "burst", n, sk, &res); err != nil {
			return err
		}
		res.PeakRSSMB = peakRSSMB()
		b, _ := json.Marshal(res)
		fmt.Fprintln(out, string(b))
		if on {
			sum.OnPerSec = append(sum.OnPerSec, res.PerSecond)
		} else {
			sum.OffPerSec = append(sum.OffPerSec, res.PerSecond)
		}
	}
	for i := range rounds {
		r := 0.0
		if sum.OffPerSec[i] > 0 {
			r = math.Round(sum.OnPerSec[i]/sum.OffPerSec[i]*1000) / 1000
		}
		sum.Ratios = append(sum.Ratios, r)
	}
	sorted := slices.Sorted(slices.Values(sum.Ratios))
	if m := len(sorted); m%2 == 1 {
		sum.MedianRatio = sorted[m/2]
	} else {
		sum.MedianRatio = math.Round((sorted[m/2-1]+sorted[m/2])/2*1000) / 1000
	}
	b, _ := json.Marshal(sum)
	fmt.Fprintln(out, string(b))
	return nil
}
