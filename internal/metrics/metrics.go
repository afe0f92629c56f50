// Package metrics holds Prikke's Prometheus collectors, served at
// /metrics. One Metrics value per process, registered on its own registry
// (never the global one), so tests can run several engines side by side.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the engine's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	Deliveries     *prometheus.CounterVec // by outcome
	Lateness       prometheus.Histogram   // start − due, seconds
	DeliverySecs   prometheus.Histogram   // request duration, seconds
	QueueDepth     prometheus.Gauge       // pending executions due now
	Running        prometheus.Gauge       // executions running cluster-wide
	InFlight       prometheus.Gauge       // deliveries in flight on this node
	Workers        prometheus.Gauge       // worker goroutines on this node
	ClaimBatch     prometheus.Histogram   // executions per claim
	Settled        *prometheus.CounterVec // executions settled without delivery, by status
	Scheduled      prometheus.Counter     // occurrences written by the scheduler
	Rescued        prometheus.Counter     // lost attempts rescued
	Pruned         prometheus.Counter     // executions deleted by retention
	Leader         prometheus.Gauge       // 1 while this node leads the scheduler
	CompleteErrors prometheus.Counter     // failed result writes (retried)
	Notifications  *prometheus.CounterVec // notification sends by outcome
}

// New returns collectors registered on a fresh registry, with Go runtime
// and process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prikke_deliveries_total", Help: "Delivery attempts by outcome (success, failed, timeout).",
		}, []string{"outcome"}),
		Lateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "prikke_delivery_lateness_seconds", Help: "How late deliveries start against their due instant.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}),
		DeliverySecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "prikke_delivery_duration_seconds", Help: "Duration of delivery attempts.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}),
		QueueDepth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "prikke_queue_depth", Help: "Pending executions that are due."}),
		Running:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "prikke_executions_running", Help: "Executions running, all nodes."}),
		InFlight:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "prikke_in_flight", Help: "Deliveries in flight on this node."}),
		Workers:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "prikke_workers", Help: "Delivery worker goroutines on this node."}),
		ClaimBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "prikke_claim_batch_size", Help: "Executions claimed per claim.",
			Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000},
		}),
		Settled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prikke_executions_settled_total", Help: "Executions finished without delivery, by status.",
		}, []string{"status"}),
		Scheduled:      prometheus.NewCounter(prometheus.CounterOpts{Name: "prikke_occurrences_scheduled_total", Help: "Executions written by the scheduler."}),
		Rescued:        prometheus.NewCounter(prometheus.CounterOpts{Name: "prikke_executions_rescued_total", Help: "Attempts rescued from lost nodes."}),
		Pruned:         prometheus.NewCounter(prometheus.CounterOpts{Name: "prikke_executions_pruned_total", Help: "Executions deleted by retention."}),
		Leader:         prometheus.NewGauge(prometheus.GaugeOpts{Name: "prikke_scheduler_leader", Help: "1 while this node leads the scheduler."}),
		CompleteErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "prikke_complete_errors_total", Help: "Failed result writes (retried)."}),
		Notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prikke_notifications_total", Help: "Notification sends by outcome.",
		}, []string{"outcome"}),
	}
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.Deliveries, m.Lateness, m.DeliverySecs, m.QueueDepth, m.Running, m.InFlight, m.Workers, m.ClaimBatch,
		m.Settled, m.Scheduled, m.Rescued, m.Pruned, m.Leader, m.CompleteErrors, m.Notifications)
	return m
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
