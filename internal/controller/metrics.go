package controller

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The product's metrics, served on the manager's /metrics beside
// controller-runtime's own (reconciles, work queues, API client requests).
var (
	// invoicesIssued counts the invoices the operator created (I1), by
	// currency. An invoice found again after a restart is not counted twice.
	invoicesIssued = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clientarea_invoices_issued_total",
		Help: "Invoices issued by the operator, by currency.",
	}, []string{"currency"})
	// transfersFinished counts OwnershipTransfers that finished, by result
	// (completed or failed) (T3).
	transfersFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clientarea_ownership_transfers_total",
		Help: "Ownership transfers finished, by result: completed or failed.",
	}, []string{"result"})
	// Conflicts counts the conflicts the operator found, each once when it
	// appears: an e-mail address another User holds (U1), a namespace that is
	// not the account's (A2), a domain name another Domain holds (D2).
	Conflicts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clientarea_conflicts_total",
		Help: "Conflicts found, by kind: email, namespace or domain_name.",
	}, []string{"kind"})
	// billingHolds counts billable events that started to wait for a price
	// or a billing contact (I5, A7), by reason.
	billingHolds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clientarea_billing_holds_total",
		Help: "Billable events that started to wait for their invoice, by reason.",
	}, []string{"reason"})
	// RegistryMessages counts the registry messages acted on and
	// acknowledged (R3), by kind.
	RegistryMessages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clientarea_registry_messages_total",
		Help: "Registry poll messages acted on and acknowledged, by kind.",
	}, []string{"kind"})
	// eventsDropped counts the Normal events the operator did not write, by
	// reason: queue_full (the API server fell behind) or failed (it refused
	// them, or failed three times).
	eventsDropped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clientarea_events_dropped_total",
		Help: "Normal events not written, by reason: queue_full or failed.",
	}, []string{"reason"})
)

func init() {
	metrics.Registry.MustRegister(invoicesIssued, transfersFinished, Conflicts, billingHolds, RegistryMessages, eventsDropped)
}

const (
	conflictEmail      = "email"
	conflictNamespace  = "namespace"
	conflictDomainName = "domain_name"
	transferCompleted  = "completed"
	transferFailed     = "failed"
	eventDropQueueFull = "queue_full"
	eventDropFailed    = "failed"
)
