package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

// The registry lifecycle of a Domain (D4, R1-R4): Pending, registered once
// (or transferred in once), Active with registration and expiry times,
// renewed before expiry when auto-renew is on, else deleted at the registry
// at expiry and Expired. Each registration, transfer and renewal records
// its period in the status, in the same write: that period is the billable
// event that the invoicing phase bills (I1).

// PendingRecheck is how often a registration or transfer that the registry
// completes later is looked up, should its poll message be missed (R3).
const PendingRecheck = 5 * time.Minute

// register registers a Domain that holds its name and has its holder, or
// transfers it in, once; a registration the registry completes later is
// looked up until it is done (R3).
func (r *domainReconciler) register(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain := s.domain
	if !holdsName(domain) || domain.Status.RegisteredAt != nil || domain.Status.State == clientareav1alpha1.DomainTransferredAway {
		return ctrl.Result{}, nil
	}
	if !conditions.IsTrue(domain, clientareav1alpha1.DomainConditionHolderResolved) || s.holder == nil {
		domain.Status.State = clientareav1alpha1.DomainPending
		conditions.Set(domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse, clientareav1alpha1.DomainReasonWaiting,
			"waiting for the holder Contact")
		return ctrl.Result{}, nil
	}
	if err := r.adoptLiveRegistration(ctx, domain); err != nil || domain.Status.RegisteredAt != nil {
		return ctrl.Result{}, err
	}
	if transferRejected(domain) || registrationRefused(domain) {
		return ctrl.Result{}, nil // what the registry refused is not asked again
	}
	want, wasPending := wantedAtRegistry(domain, s.holder), registryPending(domain)
	registration, err := r.callRegistrar(ctx, func(ctx context.Context) (registrar.Registration, error) {
		switch {
		case wasPending:
			return r.pendingOutcome(ctx, domain)
		case domain.Spec.TransferIn != nil:
			// A transfer adds one year, whatever the period of the renewals.
			transfer := want
			transfer.Years = 1
			return r.Registrar.TransferIn(ctx, transfer, domain.Spec.TransferIn.AuthCode)
		default:
			return r.Registrar.Register(ctx, want)
		}
	})
	if err != nil {
		return r.registrationFailed(domain, err)
	}
	if registration.Pending {
		return r.registrationPending(domain), nil
	}
	if wasPending {
		// Only asked how it ended: the registrar lock, which a pending
		// registration could not take, is sent by syncRegistry.
		r.registered(domain, registration, nil)
	} else {
		r.registered(domain, registration, &want)
	}
	return ctrl.Result{}, nil
}

// registered records a completed registration or transfer and its billable
// period; synced is what the registration sent along, if anything.
func (r *domainReconciler) registered(domain *clientareav1alpha1.Domain, registration registrar.Registration, synced *registrar.Domain) {
	registeredAt := registration.RegisteredAt
	if registeredAt.IsZero() {
		registeredAt = r.Clock.Now().UTC().Truncate(time.Second)
	}
	domain.Status.RegisteredAt = &metav1.Time{Time: registeredAt}
	domain.Status.ExpiresAt = &metav1.Time{Time: registration.ExpiresAt}
	domain.Status.State = clientareav1alpha1.DomainActive
	event, reason, how := clientareav1alpha1.EventDomainRegistration, clientareav1alpha1.DomainReasonRegistered, "registered"
	start, years := *domain.Status.RegisteredAt, periodYears(domain)
	if domain.Spec.TransferIn != nil {
		// A transfer adds one year to the registration it takes over, and
		// brings the old registrar's name servers and holder, which
		// syncRegistry then replaces.
		event, reason, how = clientareav1alpha1.EventDomainTransfer, clientareav1alpha1.DomainReasonTransferred, "transferred in, registered"
		start, years = metav1.Time{Time: registration.ExpiresAt.AddDate(-1, 0, 0)}, 1
	} else if synced != nil {
		registryStatus(domain).SyncedDigest = syncDigest(*synced) // sent with the registration
	}
	recordPeriod(domain, event, start, *domain.Status.ExpiresAt, years)
	conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionTrue, reason,
		how+" until "+formatTime(registration.ExpiresAt), corev1.EventTypeNormal)
}

// registrationPending keeps the Domain Pending while the registry completes
// the registration or transfer; the poll queue brings it back (R3), and
// PendingRecheck in case a message is missed.
func (r *domainReconciler) registrationPending(domain *clientareav1alpha1.Domain) ctrl.Result {
	domain.Status.State = clientareav1alpha1.DomainPending
	reason, msg := clientareav1alpha1.DomainReasonRegistrationPending, "the registry accepted the registration and completes it later"
	if domain.Spec.TransferIn != nil {
		reason, msg = clientareav1alpha1.DomainReasonTransferPending, "the transfer waits for the old registrar or the registry"
	}
	conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse, reason, msg, corev1.EventTypeNormal)
	return ctrl.Result{RequeueAfter: PendingRecheck}
}

// pendingOutcome asks the registry how a pending registration or transfer
// ended, instead of asking for it again (R2, R3).
func (r *domainReconciler) pendingOutcome(ctx context.Context, domain *clientareav1alpha1.Domain) (registrar.Registration, error) {
	status, err := r.Registrar.Info(ctx, domain.Status.DomainName)
	switch {
	case err != nil:
		return registrar.Registration{}, err
	case status.Ours:
		return status.Registration, nil
	case status.Exists && status.Pending:
		return status.Registration, nil // a transfer in still waits
	}
	return registrar.Registration{}, &registrar.Error{Reason: registrar.ReasonRefused, Err: errors.New(rejectedMessage(domain))}
}

// rejectedMessage says that the registry or the old registrar refused.
func rejectedMessage(domain *clientareav1alpha1.Domain) string {
	if domain.Spec.TransferIn != nil {
		return "the transfer was refused: the transfer code is wrong or the old registrar said no"
	}
	return "the registry refused the pending registration"
}

// registrationFailed says why on the Domain. A name held at the registry
// by someone else is a conflict and never billed (R2); a refused transfer
// waits for a new Domain; everything else is retried with back-off.
func (r *domainReconciler) registrationFailed(domain *clientareav1alpha1.Domain, err error) (ctrl.Result, error) {
	domain.Status.State = clientareav1alpha1.DomainPending
	switch registrar.ReasonOf(err) {
	case registrar.ReasonNameTaken:
		domain.Status.State = clientareav1alpha1.DomainConflict
		conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionNameConflict, metav1.ConditionTrue, clientareav1alpha1.DomainReasonNameTaken,
			fmt.Sprintf("%s is registered at the registry by someone else; this Domain is not registered or billed", domain.Status.DomainName), corev1.EventTypeWarning)
		conditions.Set(domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse, clientareav1alpha1.DomainReasonNameTaken, err.Error())
		return ctrl.Result{}, nil
	case registrar.ReasonRefused:
		// Not tried again until the Domain changes (registrationRefused,
		// transferRejected): the registry would refuse the same command
		// again.
		reason := clientareav1alpha1.DomainReasonRegistryRefused
		if domain.Spec.TransferIn != nil {
			reason = clientareav1alpha1.DomainReasonTransferRejected
		}
		conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse, reason, err.Error(), corev1.EventTypeWarning)
		return ctrl.Result{}, nil
	}
	reason := registryReason(err)
	if reason == clientareav1alpha1.DomainReasonRegistryUnavailable {
		reason = clientareav1alpha1.DomainReasonRegistrationFailed // and tried again
	}
	conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse, reason, err.Error(), corev1.EventTypeWarning)
	return ctrl.Result{}, fmt.Errorf("registering %s: %w", domain.Status.DomainName, err)
}

// registryPending tells whether the registry holds a registration or
// transfer of this Domain that it completes later.
func registryPending(domain *clientareav1alpha1.Domain) bool {
	c := conditions.Get(domain, clientareav1alpha1.DomainConditionRegistered)
	return c != nil && (c.Reason == string(clientareav1alpha1.DomainReasonRegistrationPending) || c.Reason == string(clientareav1alpha1.DomainReasonTransferPending))
}

// transferRejected tells whether this Domain's transfer in was refused.
func transferRejected(domain *clientareav1alpha1.Domain) bool {
	c := conditions.Get(domain, clientareav1alpha1.DomainConditionRegistered)
	return domain.Spec.TransferIn != nil && c != nil && c.Reason == string(clientareav1alpha1.DomainReasonTransferRejected)
}

// registrationRefused tells whether the registry refused this Domain's
// registration, directly or when it ended a pending one, since the spec
// last changed: asked again, it would refuse again (and a pending one
// might be applied for, and rejected, for ever). A change of the Domain
// tries again.
func registrationRefused(domain *clientareav1alpha1.Domain) bool {
	c := conditions.Get(domain, clientareav1alpha1.DomainConditionRegistered)
	return domain.Spec.TransferIn == nil && c != nil && c.Reason == string(clientareav1alpha1.DomainReasonRegistryRefused) &&
		c.ObservedGeneration == domain.Generation
}

// renew renews a registered domain when its renewal is due and auto-renew
// is on; without auto-renew it deletes the domain at the registry at expiry,
// inside the registry's auto-renew grace period, so that the provider never
// pays for a year it cannot invoice (R4). It comes back when the next of
// these is due.
func (r *domainReconciler) renew(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain := s.domain
	if !holdsName(domain) || domain.Status.RegisteredAt == nil || domain.Status.State != clientareav1alpha1.DomainActive {
		return ctrl.Result{}, nil
	}
	now, expiresAt := r.Clock.Now(), domain.Status.ExpiresAt.Time
	autoRenew := domain.Spec.AutoRenew == nil || *domain.Spec.AutoRenew
	switch {
	case autoRenew && now.Before(expiresAt.Add(-RenewBefore)):
		return ctrl.Result{RequeueAfter: expiresAt.Add(-RenewBefore).Sub(now)}, nil
	case autoRenew:
		return r.renewNow(ctx, domain)
	case now.Before(expiresAt.Add(-r.deleteBefore(domain))):
		return ctrl.Result{RequeueAfter: expiresAt.Add(-r.deleteBefore(domain)).Sub(now)}, nil
	}
	return r.expire(ctx, domain)
}

// deleteBefore is how long before expiry a domain without auto-renew is
// deleted at its registry: a registry without an auto-renew grace period
// bills the renewal at expiry (R4).
func (r *domainReconciler) deleteBefore(domain *clientareav1alpha1.Domain) time.Duration {
	if reg, ok := r.Registrar.(interface{ DeleteBefore(string) time.Duration }); ok {
		return reg.DeleteBefore(domain.Status.DomainName)
	}
	return 0
}

// expire deletes an expired registration at the registry and marks the
// Domain Expired; a repeated delete of a deleted name is a no-op.
func (r *domainReconciler) expire(ctx context.Context, domain *clientareav1alpha1.Domain) (ctrl.Result, error) {
	if err := r.callRegistrarOnly(ctx, func(ctx context.Context) error { return r.Registrar.Delete(ctx, domain.Status.DomainName) }); err != nil {
		conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionTrue, registryReason(err),
			"expired, but the registry has not deleted it yet: "+err.Error(), corev1.EventTypeWarning)
		return ctrl.Result{}, fmt.Errorf("deleting expired %s at the registry: %w", domain.Status.DomainName, err)
	}
	domain.Status.State = clientareav1alpha1.DomainExpired
	conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse, clientareav1alpha1.DomainReasonExpired,
		fmt.Sprintf("expired at %s without renewal and deleted at the registry", formatTime(domain.Status.ExpiresAt.Time)), corev1.EventTypeWarning)
	return ctrl.Result{}, nil
}

// renewNow renews the registration that ends at status.expiresAt, once: a
// renewal recorded since the cache was filled is taken from the API server,
// and the registrar pins the renewal to that expiry (R2).
func (r *domainReconciler) renewNow(ctx context.Context, domain *clientareav1alpha1.Domain) (ctrl.Result, error) {
	if err := r.adoptLiveRegistration(ctx, domain); err != nil {
		return ctrl.Result{}, err
	}
	if now := r.Clock.Now(); now.Before(domain.Status.ExpiresAt.Add(-RenewBefore)) {
		return ctrl.Result{RequeueAfter: domain.Status.ExpiresAt.Add(-RenewBefore).Sub(now)}, nil // renewed meanwhile
	}
	years, expiresAt := periodYears(domain), domain.Status.ExpiresAt.Time
	registration, err := r.callRegistrar(ctx, func(ctx context.Context) (registrar.Registration, error) {
		return r.Registrar.Renew(ctx, domain.Status.DomainName, expiresAt, years)
	})
	if err != nil {
		conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionTrue,
			clientareav1alpha1.DomainReasonRegistrationFailed, "renewal failed: "+err.Error(), corev1.EventTypeWarning)
		return ctrl.Result{}, fmt.Errorf("renewing %s: %w", domain.Status.DomainName, err)
	}
	recordPeriod(domain, clientareav1alpha1.EventDomainRenewal, *domain.Status.ExpiresAt, metav1.Time{Time: registration.ExpiresAt}, years)
	domain.Status.ExpiresAt = &metav1.Time{Time: registration.ExpiresAt}
	domain.Status.State = clientareav1alpha1.DomainActive
	conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionTrue, clientareav1alpha1.DomainReasonRenewed,
		"renewed until "+formatTime(registration.ExpiresAt), corev1.EventTypeNormal)
	return ctrl.Result{RequeueAfter: registration.ExpiresAt.Add(-RenewBefore).Sub(r.Clock.Now())}, nil
}

// callRegistrar makes one registrar call, bounded by RegistrarTimeout.
func (r *domainReconciler) callRegistrar(ctx context.Context, call func(context.Context) (registrar.Registration, error)) (registrar.Registration, error) {
	ctx, cancel := context.WithTimeout(ctx, r.RegistrarTimeout)
	defer cancel()
	return call(ctx)
}

// callRegistrarOnly makes one registrar call that returns only an error.
func (r *domainReconciler) callRegistrarOnly(ctx context.Context, call func(context.Context) error) error {
	_, err := r.callRegistrar(ctx, func(ctx context.Context) (registrar.Registration, error) { return registrar.Registration{}, call(ctx) })
	return err
}

// adoptLiveRegistration takes the registration times from the API server
// when the cache lags behind them, so that a registration or renewal that
// just happened is not asked of the registry a second time.
func (r *domainReconciler) adoptLiveRegistration(ctx context.Context, domain *clientareav1alpha1.Domain) error {
	live := &clientareav1alpha1.Domain{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(domain), live); err != nil {
		return err
	}
	if live.Status.RegisteredAt != nil && (domain.Status.ExpiresAt == nil || live.Status.ExpiresAt.After(domain.Status.ExpiresAt.Time)) {
		domain.Status.RegisteredAt = live.Status.RegisteredAt
		domain.Status.ExpiresAt = live.Status.ExpiresAt
		domain.Status.State = live.Status.State
		domain.Status.Billing = live.Status.Billing // with the periods of those calls
		domain.Status.Registry = live.Status.Registry
	}
	return nil
}

// periodYears is the registration period of each registration and renewal.
func periodYears(domain *clientareav1alpha1.Domain) int32 { return max(domain.Spec.PeriodYears, 1) }
