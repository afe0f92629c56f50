// Package metrics holds Prikke's Prometheus collectors, served at
// /metrics. One Metrics value per process, registered on its own registry
// (never the global one), so tests can run several engines side by side.
package metrics

import (
	"context"
	"net/http"
	"time"

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
	InFlight       prometheus.Gauge       // deliveries in flight on this node
	Workers        prometheus.Gauge       // worker goroutines on this node
	ClaimBatch     prometheus.Histogram   // executions per claim
	Settled        prometheus.Counter     // executions settled at claim without delivery
	Scheduled      prometheus.Counter     // occurrences written by the scheduler
	Rescued        prometheus.Counter     // lost attempts rescued
	Pruned         prometheus.Counter     // executions deleted by retention
	Leader         prometheus.Gauge       // 1 while this node leads the scheduler
	CompleteErrors prometheus.Counter     // failed result writes (retried)
	Notifications  *prometheus.CounterVec // notification sends by outcome

	// Flow control (flow.go), per project: never per key, whose names are
	// unbounded. Counted when the worker starts an execution, so an
	// execution released unstarted and claimed again counts once.
	FlowThrottled     *prometheus.CounterVec // executions started later than due by flow control, by project_id
	FlowThrottledSecs *prometheus.CounterVec // their throttled time (Execution.ThrottledMS), seconds, by project_id
	FlowHolds         prometheus.Counter     // holds written for a 429 or 503 with Retry-After
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
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "prikke_in_flight", Help: "Deliveries in flight on this node."}),
		Workers:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "prikke_workers", Help: "Delivery worker goroutines on this node."}),
		ClaimBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "prikke_claim_batch_size", Help: "Executions claimed per claim.",
			Buckets: []float64{1, 2, 5, 10, 25, 50, 100, 250, 500, 1000},
		}),
		Settled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prikke_executions_settled_total", Help: "Executions finished when claimed, without delivery (skipped by the overlap policy, or over the monthly quota).",
		}),
		Scheduled:      prometheus.NewCounter(prometheus.CounterOpts{Name: "prikke_occurrences_scheduled_total", Help: "Executions written by the scheduler."}),
		Rescued:        prometheus.NewCounter(prometheus.CounterOpts{Name: "prikke_executions_rescued_total", Help: "Attempts rescued from lost nodes."}),
		Pruned:         prometheus.NewCounter(prometheus.CounterOpts{Name: "prikke_executions_pruned_total", Help: "Executions deleted by retention."}),
		Leader:         prometheus.NewGauge(prometheus.GaugeOpts{Name: "prikke_scheduler_leader", Help: "1 while this node leads the scheduler."}),
		CompleteErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "prikke_complete_errors_total", Help: "Failed result writes (retried)."}),
		Notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prikke_notifications_total", Help: "Notification sends by outcome.",
		}, []string{"outcome"}),
		FlowThrottled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prikke_flow_throttled_total", Help: "Executions started later than due because their flow key's limits held them back, by project.",
		}, []string{"project_id"}),
		FlowThrottledSecs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "prikke_flow_throttled_seconds_total", Help: "Time executions were held back by their flow key's limits, seconds, by project.",
		}, []string{"project_id"}),
		FlowHolds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "prikke_flow_holds_total", Help: "Flow keys held because their endpoint answered 429 or 503 with Retry-After.",
		}),
	}
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.Deliveries, m.Lateness, m.DeliverySecs, m.InFlight, m.Workers, m.ClaimBatch,
		m.Settled, m.Scheduled, m.Rescued, m.Pruned, m.Leader, m.CompleteErrors, m.Notifications,
		m.FlowThrottled, m.FlowThrottledSecs, m.FlowHolds)
	return m
}

// QueueFunc reports the cluster's queue: pending executions that are due,
// and executions running on any node.
type QueueFunc func(ctx context.Context) (due, running int, err error)

// WatchQueue adds prikke_queue_depth and prikke_executions_running,
// read from the database by f at each scrape (bounded to two seconds; a
// failed read leaves both out of that scrape rather than report zero).
func (m *Metrics) WatchQueue(f QueueFunc) {
	m.Registry.MustRegister(&queueCollector{f: f})
}

var (
	queueDepthDesc = prometheus.NewDesc("prikke_queue_depth", "Pending executions that are due, all nodes.", nil, nil)
	runningDesc    = prometheus.NewDesc("prikke_executions_running", "Executions running, all nodes.", nil, nil)
)

type queueCollector struct{ f QueueFunc }

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- runningDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	due, running, err := c.f(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDepthDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(due))
	ch <- prometheus.MustNewConstMetric(runningDesc, prometheus.GaugeValue, float64(running))
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	// A collector that fails (the queue read while the database is down)
	// drops out of that scrape; the rest is still served.
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Throttled counts an execution of a project started ms milliseconds after
// its due instant because flow control held it back; nothing when ms is 0
// (an execution of an unlimited key, or one whose slot was free).
func (m *Metrics) Throttled(projectID string, ms int64) {
	if ms <= 0 {
		return
	}
	m.FlowThrottled.WithLabelValues(projectID).Inc()
	m.FlowThrottledSecs.WithLabelValues(projectID).Add(float64(ms) / 1000)
}
