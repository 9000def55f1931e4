package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

// The registry lifecycle of a Domain (D4): Pending, registered once (Active,
// with registration and expiry times), renewed before expiry when
// auto-renew is on, else Expired. Each registration and renewal records its
// period in the status, in the same write: that period is the billable
// event that the invoicing phase bills (I1).

// register registers a Domain that holds its name and has its holder, once.
func (r *domainReconciler) register(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain := s.domain
	if !holdsName(domain) || domain.Status.RegisteredAt != nil {
		return ctrl.Result{}, nil
	}
	if !conditions.IsTrue(domain, clientareav1alpha1.DomainConditionHolderResolved) {
		domain.Status.State = clientareav1alpha1.DomainPending
		conditions.Set(domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse, clientareav1alpha1.DomainReasonWaiting,
			"waiting for the holder Contact")
		return ctrl.Result{}, nil
	}
	if err := r.adoptLiveRegistration(ctx, domain); err != nil || domain.Status.RegisteredAt != nil {
		return ctrl.Result{}, err
	}
	years := periodYears(domain)
	registration, err := r.callRegistrar(ctx, func(ctx context.Context) (registrar.Registration, error) {
		return r.Registrar.Register(ctx, domain.Status.DomainName, years)
	})
	if err != nil {
		domain.Status.State = clientareav1alpha1.DomainPending
		conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse,
			clientareav1alpha1.DomainReasonRegistrationFailed, err.Error(), corev1.EventTypeWarning)
		return ctrl.Result{}, fmt.Errorf("registering %s: %w", domain.Status.DomainName, err)
	}
	domain.Status.RegisteredAt = &metav1.Time{Time: registration.RegisteredAt}
	domain.Status.ExpiresAt = &metav1.Time{Time: registration.ExpiresAt}
	domain.Status.State = clientareav1alpha1.DomainActive
	recordPeriod(domain, clientareav1alpha1.EventDomainRegistration, *domain.Status.RegisteredAt, *domain.Status.ExpiresAt, years)
	conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionTrue, clientareav1alpha1.DomainReasonRegistered,
		"registered until "+formatTime(registration.ExpiresAt), corev1.EventTypeNormal)
	return ctrl.Result{}, nil
}

// renew renews a registered domain when its renewal is due and auto-renew
// is on, lets it expire when auto-renew is off, and comes back when the
// next of these is due.
func (r *domainReconciler) renew(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain := s.domain
	if !holdsName(domain) || domain.Status.RegisteredAt == nil {
		return ctrl.Result{}, nil
	}
	now, expiresAt := r.Clock.Now(), domain.Status.ExpiresAt.Time
	autoRenew := domain.Spec.AutoRenew == nil || *domain.Spec.AutoRenew
	switch {
	case autoRenew && now.Before(expiresAt.Add(-RenewBefore)):
		return ctrl.Result{RequeueAfter: expiresAt.Add(-RenewBefore).Sub(now)}, nil
	case autoRenew:
		return r.renewNow(ctx, domain)
	case now.Before(expiresAt):
		return ctrl.Result{RequeueAfter: expiresAt.Sub(now)}, nil
	}
	domain.Status.State = clientareav1alpha1.DomainExpired
	conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse, clientareav1alpha1.DomainReasonExpired,
		fmt.Sprintf("expired at %s without renewal", formatTime(expiresAt)), corev1.EventTypeWarning)
	return ctrl.Result{}, nil
}

// renewNow renews the registration that ends at status.expiresAt, once: a
// renewal recorded since the cache was filled is taken from the API server.
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
	}
	return nil
}

// periodYears is the registration period of each registration and renewal.
func periodYears(domain *clientareav1alpha1.Domain) int32 { return max(domain.Spec.PeriodYears, 1) }
