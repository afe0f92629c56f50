package worker

import (
	"context"
	"log/slog"
	"testing"

	"github.com/prikke/prikke"
	"github.com/prikke/prikke/internal/delivery"
	"github.com/prikke/prikke/internal/metrics"
	"github.com/prikke/prikke/internal/store"
	"github.com/prikke/prikke/internal/store/storetest"
)

// Crossings wait one per organization, month and threshold, oldest first,
// the one with the higher usage kept; an 80% and a 100% crossing both wait
// (each has its mail); past quotaPendingMax crossings a new one is
// dropped, and queueing never blocks.
func TestQuotaQueueCoalesces(t *testing.T) {
	t.Parallel()
	client := delivery.New(delivery.Options{})
	t.Cleanup(client.Close)
	w := New(storetest.OpenSQLite(t), client, Config{Node: "n1"}, metrics.New(), slog.New(slog.DiscardHandler))
	w.OnQuota = func(context.Context, store.QuotaCrossing) {}
	a, b := prikke.NewID(), prikke.NewID()
	w.queueQuota(store.QuotaCrossing{OrganizationID: a, Month: "2026-12", Used: 4000, Limit: 5000})
	w.queueQuota(store.QuotaCrossing{OrganizationID: b, Month: "2026-12", Used: 4000, Limit: 5000})
	w.queueQuota(store.QuotaCrossing{OrganizationID: a, Month: "2026-12", Used: 5000, Limit: 5000})
	w.queueQuota(store.QuotaCrossing{OrganizationID: a, Month: "2026-12", Used: 4200, Limit: 5000}) // a later 80% crossing
	w.queueQuota(store.QuotaCrossing{OrganizationID: a, Month: "2026-12", Used: 4000, Limit: 5000}) // older news
	for range quotaPendingMax {
		w.queueQuota(store.QuotaCrossing{OrganizationID: prikke.NewID(), Month: "2026-12", Used: 4000, Limit: 5000})
	}
	q, ok, _ := w.quotas.next()
	if !ok || q.OrganizationID != a || q.Used != 4200 {
		t.Fatalf("first = %+v; want a's crossing of 80%%, at its highest", q)
	}
	if q, _, _ = w.quotas.next(); q.OrganizationID != b {
		t.Fatalf("second = %+v; want b's", q)
	}
	if q, _, _ = w.quotas.next(); q.OrganizationID != a || q.Used != 5000 {
		t.Fatalf("third = %+v; want a's crossing of 100%%", q)
	}
	n := 0
	for {
		if _, ok, _ := w.quotas.next(); !ok {
			break
		}
		n++
	}
	if n != quotaPendingMax-3 {
		t.Fatalf("%d more waited; want %d (the rest dropped at the bound)", n, quotaPendingMax-3)
	}
	w.quotas.close()
	if _, ok, closed := w.quotas.next(); ok || !closed {
		t.Fatal("closed and empty, next should say so")
	}
}
