package controller

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

// DefaultPollInterval is how often a registry's message queue is read when
// it was empty.
const DefaultPollInterval = 30 * time.Second

// registryPoller reads one registry's message queue (R3): each message is
// acted on by reconciling the Domain it names, as the registry's message
// about it, and acknowledged only once that reconcile recorded what the
// message changed. A crash in between reads the message again, and the
// reconcile, being level-based, records nothing twice.
type registryPoller struct {
	poller   registrar.Poller
	domains  *domainReconciler
	reader   client.Reader
	interval time.Duration
}

// Start reads the queue until ctx ends: all of it, then again after the
// interval; after a failure, again with back-off.
func (p *registryPoller) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("registry-poller")
	backoff := wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: 8, Cap: 5 * time.Minute}
	for delay := time.Duration(0); ; {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		if err := p.drain(ctx); err != nil {
			delay = backoff.Step()
			log.Error(err, "reading the registry's message queue", "retryIn", delay)
			continue
		}
		backoff.Steps, backoff.Duration, delay = 8, time.Second, p.interval
	}
}

// drain acts on every message in the queue, oldest first.
func (p *registryPoller) drain(ctx context.Context) error {
	for ctx.Err() == nil {
		message, err := p.poller.Poll(ctx)
		if err != nil || message == nil {
			return err
		}
		if err := p.handle(ctx, message); err != nil {
			return err // not acknowledged: read again next round
		}
		if err := p.poller.Ack(ctx, message.ID); err != nil {
			return err
		}
		RegistryMessages.WithLabelValues(string(message.Kind)).Inc()
	}
	return nil
}

// handle reconciles the Domain that holds the message's domain name (its
// DomainClaim says which, D2). A message about a name no Domain holds has
// nothing to record.
func (p *registryPoller) handle(ctx context.Context, message *registrar.Message) error {
	if message.Domain == "" {
		return nil
	}
	claim := &clientareav1alpha1.DomainClaim{}
	if err := p.reader.Get(ctx, client.ObjectKey{Name: message.Domain}, claim); err != nil {
		return client.IgnoreNotFound(err)
	}
	key := client.ObjectKey{Namespace: claim.Spec.Namespace, Name: claim.Spec.Name}
	_, err := p.domains.reconcile(ctx, ctrl.Request{NamespacedName: key}, message)
	if err == nil {
		return nil
	}
	// The reconcile failed, perhaps in a phase the message has nothing to
	// do with (a name-server update the registry refuses, say): the message
	// is done with once what it says is recorded, so that one Domain's
	// trouble does not hold up the queue of every other.
	domain := &clientareav1alpha1.Domain{}
	if getErr := p.domains.APIReader.Get(ctx, key, domain); getErr != nil {
		return client.IgnoreNotFound(getErr)
	}
	if recorded(message, domain) {
		return nil
	}
	return err
}

// recorded tells whether the Domain's status holds what the message says.
func recorded(message *registrar.Message, domain *clientareav1alpha1.Domain) bool {
	switch message.Kind {
	case registrar.MessageRegistrationCompleted, registrar.MessageTransferCompleted:
		return domain.Status.RegisteredAt != nil
	case registrar.MessageRegistrationRejected, registrar.MessageTransferRejected:
		return domain.Status.RegisteredAt == nil && !registryPending(domain)
	case registrar.MessageTransferredAway:
		return domain.Status.State == clientareav1alpha1.DomainTransferredAway
	}
	return false
}

// pollersOf are the message queues of a registrar: its own, or those of
// the registrars it routes to.
func pollersOf(r registrar.Registrar) []registrar.Poller {
	switch r := r.(type) {
	case interface{ Pollers() []registrar.Poller }:
		return r.Pollers()
	case registrar.Poller:
		return []registrar.Poller{r}
	}
	return nil
}
