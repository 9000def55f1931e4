package controller

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

// Domain condition types and reasons (D2, D4, D5).
const (
	ConditionHolderResolved = "HolderResolved"
	ConditionRegistered     = "Registered"
	ConditionNameConflict   = "NameConflict"
	ConditionLoginReady     = "LoginReady"

	ReasonHolderFound        = "HolderFound"
	ReasonHolderNotFound     = "HolderNotFound"
	ReasonNameTaken          = "NameTaken"
	ReasonNameHeld           = "NameHeld"
	ReasonRegistered         = "Registered"
	ReasonRenewed            = "Renewed"
	ReasonRegistrationFailed = "RegistrationFailed"
	ReasonWaiting            = "Waiting"
	ReasonLoginCreated       = "LoginCreated"

	// HolderLabel on a Domain names its holder Contact, so that
	// `kubectl get domains -A -l clientarea.dev/holder=<contact>` lists one
	// holder's domains (D6).
	HolderLabel = "clientarea.dev/holder"

	domainFinalizer = "clientarea.dev/domain"
	indexDomainName = "status.domainName"
	// AuthCodeKey is the key of the auth code in the domain login Secret (D5).
	AuthCodeKey = "authCode"
	// authCodeLength is the length of a generated auth code (at least 16, D5).
	authCodeLength = 24
	// RenewBefore is how long before expiry an auto-renewing domain is renewed.
	RenewBefore = 30 * 24 * time.Hour
)

// DomainReconciler claims each Domain's name cluster-wide (D2), registers
// and renews it through a Registrar (D4), keeps its per-domain login (D5)
// and its holder label (D6).
type DomainReconciler struct {
	client.Client
	// APIReader reads a Domain past the cache before a registry call.
	APIReader client.Reader
	Registrar registrar.Registrar
	// RegistrarTimeout bounds each registrar call, so that a registry that
	// hangs holds up one domain for a while, not the controller for ever.
	RegistrarTimeout time.Duration
	Clock            clock.PassiveClock
	NamespacePrefix  string
	// InvoiceNumbers hands out invoice numbers (I2).
	InvoiceNumbers *Sequence
	Recorder       events.EventRecorder
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=domains,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=domains/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=domains/finalizers,verbs=update
// +kubebuilder:rbac:groups=clientarea.dev,resources=domainclaims,verbs=get;list;watch;create;delete
// The domain login's ServiceAccount, Role and Secret are written through
// OperatorNamespaceClusterRole, bound in each account namespace: cluster-wide
// the operator only reads its own (label-selected) ServiceAccounts and Roles,
// and no Secrets at all.
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get;list;watch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles,verbs=get;list;watch
// +kubebuilder:rbac:groups=clientarea.dev,resources=accounts,verbs=get;list;watch

// Reconcile brings one Domain's claim, registration and login up to date.
func (r *DomainReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	domain := &clientareav1alpha1.Domain{}
	if err := r.Get(ctx, req.NamespacedName, domain); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	stored := domain.DeepCopy()
	defer patchStatusOnExit(ctx, r.Client, stored, domain, domainStatus, &retErr)

	if !domain.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.reconcileDelete(ctx, domain, stored.Status.Billing)
	}
	if err := ensureFinalizer(ctx, r.Client, domain, domainFinalizer); err != nil {
		return ctrl.Result{}, err
	}
	domain.Status.DomainName = domainNameOf(domain)
	domain.Status.Account = strings.TrimPrefix(domain.Namespace, r.NamespacePrefix)
	domain.Status.ObservedGeneration = domain.Generation

	if err := r.reconcileHolder(ctx, domain); err != nil {
		return ctrl.Result{}, err
	}
	held, err := r.reconcileClaim(ctx, domain)
	if err != nil || !held {
		r.setReady(domain)
		return ctrl.Result{}, err
	}
	// A deleted account's access is revoked at once (A8), the domain
	// login's too: it is not made again while the account goes.
	deleting, err := r.accountDeleting(ctx, domain)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !deleting {
		if err := r.reconcileLogin(ctx, domain); err != nil {
			return ctrl.Result{}, err
		}
	}
	result, err = r.reconcileRegistration(ctx, domain)
	r.setReady(domain)
	if err == nil && !equality.Semantic.DeepEqual(stored.Status.Billing, domain.Status.Billing) {
		// A new period is billed only once it is stored with its
		// registration (I1): store it now, and bill it in this reconcile
		// rather than in the next, which would wait its turn in the queue.
		if err := patchStatusIfChanged(ctx, r.Client, stored, domain, domainStatus); err != nil {
			return result, err
		}
		domain.DeepCopyInto(stored) // what the exit patch compares with
	}
	return result, kerrors.NewAggregate([]error{err, r.reconcileBilling(ctx, domain, stored.Status.Billing)})
}

func domainStatus(obj client.Object) any { return obj.(*clientareav1alpha1.Domain).Status }

// domainNameOf is the domain name in effect: spec.domainName or metadata.name (D1).
func domainNameOf(domain *clientareav1alpha1.Domain) string {
	if domain.Spec.DomainName != "" {
		return string(domain.Spec.DomainName)
	}
	return domain.Name
}

// reconcileHolder resolves the holder Contact and keeps the holder label (D6).
func (r *DomainReconciler) reconcileHolder(ctx context.Context, domain *clientareav1alpha1.Domain) error {
	holderName := string(domain.Spec.HolderRef.Name)
	if domain.Labels[HolderLabel] != holderName {
		labelled := domain.DeepCopy()
		if labelled.Labels == nil {
			labelled.Labels = map[string]string{}
		}
		labelled.Labels[HolderLabel] = holderName
		if err := r.Patch(ctx, labelled, client.MergeFrom(domain)); err != nil {
			return err
		}
		domain.Labels, domain.ResourceVersion = labelled.Labels, labelled.ResourceVersion
	}
	holder := &clientareav1alpha1.Contact{}
	err := r.Get(ctx, client.ObjectKey{Namespace: domain.Namespace, Name: holderName}, holder)
	if apierrors.IsNotFound(err) {
		domain.Status.HolderName = ""
		setCondition(&domain.Status.Conditions, domain.Generation, ConditionHolderResolved, metav1.ConditionFalse, ReasonHolderNotFound,
			fmt.Sprintf("Contact %s does not exist in this account", holderName))
		return nil // the Contact watch brings us back
	}
	if err != nil {
		return err
	}
	domain.Status.HolderName = holder.Spec.Name
	setCondition(&domain.Status.Conditions, domain.Generation, ConditionHolderResolved, metav1.ConditionTrue, ReasonHolderFound,
		fmt.Sprintf("held by Contact %s (%s)", holder.Name, holder.Spec.Name))
	return nil
}

// reconcileClaim claims the domain name for this Domain; a Domain whose name
// another Domain holds is never registered or billed (D2).
func (r *DomainReconciler) reconcileClaim(ctx context.Context, domain *clientareav1alpha1.Domain) (bool, error) {
	name := domain.Status.DomainName
	claim := &clientareav1alpha1.DomainClaim{}
	err := r.Get(ctx, client.ObjectKey{Name: name}, claim)
	if apierrors.IsNotFound(err) {
		claim = &clientareav1alpha1.DomainClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{ManagedByLabel: ManagedByValue}},
			Spec:       clientareav1alpha1.DomainClaimSpec{Namespace: domain.Namespace, Name: domain.Name, UID: string(domain.UID)},
		}
		err = r.Create(ctx, claim)
		if apierrors.IsAlreadyExists(err) {
			err = r.Get(ctx, client.ObjectKey{Name: name}, claim)
		}
	}
	if err != nil {
		return false, err
	}
	if claim.Spec.UID != string(domain.UID) {
		domain.Status.State = clientareav1alpha1.DomainConflict
		if setNotedCondition(r.Recorder, domain, &domain.Status.Conditions, domain.Generation, ConditionNameConflict, metav1.ConditionTrue, ReasonNameTaken,
			fmt.Sprintf("%s is already held by Domain %s/%s; this Domain is not registered or billed", name, claim.Spec.Namespace, claim.Spec.Name),
			corev1.EventTypeWarning) {
			Conflicts.WithLabelValues(conflictDomainName).Inc()
		}
		return false, nil
	}
	setCondition(&domain.Status.Conditions, domain.Generation, ConditionNameConflict, metav1.ConditionFalse, ReasonNameHeld,
		fmt.Sprintf("this Domain holds %s", name))
	return true, nil
}

// reconcileRegistration registers, renews or expires the domain (D4), and
// comes back when the next of these is due.
func (r *DomainReconciler) reconcileRegistration(ctx context.Context, domain *clientareav1alpha1.Domain) (ctrl.Result, error) {
	if !meta.IsStatusConditionTrue(domain.Status.Conditions, ConditionHolderResolved) && domain.Status.RegisteredAt == nil {
		domain.Status.State = clientareav1alpha1.DomainPending
		setCondition(&domain.Status.Conditions, domain.Generation, ConditionRegistered, metav1.ConditionFalse, ReasonWaiting, "waiting for the holder Contact")
		return ctrl.Result{}, nil
	}
	years := max(domain.Spec.PeriodYears, 1)
	if err := r.adoptLiveRegistration(ctx, domain); err != nil {
		return ctrl.Result{}, err
	}
	if domain.Status.RegisteredAt == nil {
		callCtx, cancel := context.WithTimeout(ctx, r.RegistrarTimeout)
		registration, err := r.Registrar.Register(callCtx, domain.Status.DomainName, years)
		cancel()
		if err != nil {
			domain.Status.State = clientareav1alpha1.DomainPending
			setNotedCondition(r.Recorder, domain, &domain.Status.Conditions, domain.Generation, ConditionRegistered, metav1.ConditionFalse, ReasonRegistrationFailed,
				err.Error(), corev1.EventTypeWarning)
			return ctrl.Result{}, fmt.Errorf("registering %s: %w", domain.Status.DomainName, err)
		}
		domain.Status.RegisteredAt = &metav1.Time{Time: registration.RegisteredAt}
		domain.Status.ExpiresAt = &metav1.Time{Time: registration.ExpiresAt}
		domain.Status.State = clientareav1alpha1.DomainActive
		recordPeriod(domain, clientareav1alpha1.EventDomainRegistration, *domain.Status.RegisteredAt, *domain.Status.ExpiresAt, years)
		setNotedCondition(r.Recorder, domain, &domain.Status.Conditions, domain.Generation, ConditionRegistered, metav1.ConditionTrue, ReasonRegistered,
			fmt.Sprintf("registered until %s", registration.ExpiresAt.UTC().Format(time.RFC3339)), corev1.EventTypeNormal)
	}
	now := r.Clock.Now()
	expiresAt := domain.Status.ExpiresAt.Time
	autoRenew := domain.Spec.AutoRenew == nil || *domain.Spec.AutoRenew
	switch {
	case autoRenew && !now.Before(expiresAt.Add(-RenewBefore)):
		callCtx, cancel := context.WithTimeout(ctx, r.RegistrarTimeout)
		registration, err := r.Registrar.Renew(callCtx, domain.Status.DomainName, expiresAt, years)
		cancel()
		if err != nil {
			setNotedCondition(r.Recorder, domain, &domain.Status.Conditions, domain.Generation, ConditionRegistered, metav1.ConditionTrue, ReasonRegistrationFailed,
				"renewal failed: "+err.Error(), corev1.EventTypeWarning)
			return ctrl.Result{}, fmt.Errorf("renewing %s: %w", domain.Status.DomainName, err)
		}
		recordPeriod(domain, clientareav1alpha1.EventDomainRenewal, *domain.Status.ExpiresAt, metav1.Time{Time: registration.ExpiresAt}, years)
		domain.Status.ExpiresAt = &metav1.Time{Time: registration.ExpiresAt}
		domain.Status.State = clientareav1alpha1.DomainActive
		setNotedCondition(r.Recorder, domain, &domain.Status.Conditions, domain.Generation, ConditionRegistered, metav1.ConditionTrue, ReasonRenewed,
			fmt.Sprintf("renewed until %s", registration.ExpiresAt.UTC().Format(time.RFC3339)), corev1.EventTypeNormal)
		return ctrl.Result{RequeueAfter: registration.ExpiresAt.Add(-RenewBefore).Sub(now)}, nil
	case !autoRenew && !now.Before(expiresAt):
		domain.Status.State = clientareav1alpha1.DomainExpired
		setNotedCondition(r.Recorder, domain, &domain.Status.Conditions, domain.Generation, ConditionRegistered, metav1.ConditionFalse, ReasonExpired,
			fmt.Sprintf("expired at %s without renewal", expiresAt.UTC().Format(time.RFC3339)), corev1.EventTypeWarning)
		return ctrl.Result{}, nil
	case autoRenew:
		return ctrl.Result{RequeueAfter: expiresAt.Add(-RenewBefore).Sub(now)}, nil
	}
	return ctrl.Result{RequeueAfter: expiresAt.Sub(now)}, nil
}

// adoptLiveRegistration takes the registration times from the API server
// when the cache lags behind them, so that a registration or renewal that
// just happened is not asked of the registry a second time.
func (r *DomainReconciler) adoptLiveRegistration(ctx context.Context, domain *clientareav1alpha1.Domain) error {
	now := r.Clock.Now()
	dueForCall := domain.Status.RegisteredAt == nil ||
		!now.Before(domain.Status.ExpiresAt.Add(-RenewBefore))
	if !dueForCall {
		return nil
	}
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

func (r *DomainReconciler) setReady(domain *clientareav1alpha1.Domain) {
	if domain.Status.State == "" {
		domain.Status.State = clientareav1alpha1.DomainPending
	}
	if domain.Status.State == clientareav1alpha1.DomainActive {
		setCondition(&domain.Status.Conditions, domain.Generation, clientareav1alpha1.ConditionReady, metav1.ConditionTrue, ReasonReady, "the domain is registered")
		return
	}
	setSummaryReady(&domain.Status.Conditions, domain.Generation, ConditionHolderResolved, ConditionRegistered)
	if domain.Status.State == clientareav1alpha1.DomainConflict {
		setCondition(&domain.Status.Conditions, domain.Generation, clientareav1alpha1.ConditionReady, metav1.ConditionFalse, ReasonNameTaken, "the domain name is held by another Domain")
	}
}

// loginName names the ServiceAccount, Role, RoleBinding and Secret of a
// domain login.
func loginName(domain *clientareav1alpha1.Domain) string {
	return boundedName("domain-login", domain.Name)
}

// accountDeleting tells whether the domain's account is being deleted.
func (r *DomainReconciler) accountDeleting(ctx context.Context, domain *clientareav1alpha1.Domain) (bool, error) {
	account := &clientareav1alpha1.Account{}
	err := r.Get(ctx, client.ObjectKey{Name: domain.Status.Account}, account)
	if err != nil {
		return false, client.IgnoreNotFound(err)
	}
	return !account.DeletionTimestamp.IsZero(), nil
}

// reconcileLogin keeps the domain login (D5): a ServiceAccount bound to a
// Role that reaches this one Domain and reads its holder, and a Secret with
// the auth code. All are controlled by the Domain.
func (r *DomainReconciler) reconcileLogin(ctx context.Context, domain *clientareav1alpha1.Domain) error {
	name := loginName(domain)
	labels := map[string]string{ManagedByLabel: ManagedByValue}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace, Labels: labels}}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace, Labels: labels},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"domains"}, ResourceNames: []string{domain.Name}, Verbs: []string{"get", "update", "patch"}},
			{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"contacts"}, ResourceNames: []string{string(domain.Spec.HolderRef.Name)}, Verbs: []string{"get"}},
		},
	}
	for _, obj := range []client.Object{sa, role} {
		if err := controllerutil.SetControllerReference(domain, obj, r.Scheme()); err != nil {
			return err
		}
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace, Labels: labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: domain.Namespace}},
	}
	if err := controllerutil.SetControllerReference(domain, binding, r.Scheme()); err != nil {
		return err
	}
	// Three independent writes at once, one round trip instead of four;
	// the binding follows its Role, since the API server checks the
	// binding against the Role's rules.
	err := concurrently(
		func() error { return r.createIfMissing(ctx, sa) },
		func() error {
			if err := r.ensureRole(ctx, role); err != nil {
				return err
			}
			return r.createIfMissing(ctx, binding)
		},
		func() error {
			if domain.Status.AuthCodeSecret != "" {
				return nil
			}
			return r.createAuthCode(ctx, domain, name)
		},
	)
	if err != nil {
		return err
	}
	domain.Status.LoginServiceAccount = name
	domain.Status.AuthCodeSecret = name
	setCondition(&domain.Status.Conditions, domain.Generation, ConditionLoginReady, metav1.ConditionTrue, ReasonLoginCreated,
		fmt.Sprintf("ServiceAccount %s administers this domain only; its auth code is in Secret %s", name, name))
	return nil
}

func (r *DomainReconciler) createIfMissing(ctx context.Context, obj client.Object) error {
	existing := obj.DeepCopyObject().(client.Object)
	err := r.Get(ctx, client.ObjectKeyFromObject(obj), existing)
	if apierrors.IsNotFound(err) {
		return client.IgnoreAlreadyExists(r.Create(ctx, obj))
	}
	return err
}

// ensureRole creates the login Role, and corrects it when its rules differ
// (the holder changed).
func (r *DomainReconciler) ensureRole(ctx context.Context, role *rbacv1.Role) error {
	existing := &rbacv1.Role{}
	err := r.Get(ctx, client.ObjectKeyFromObject(role), existing)
	if apierrors.IsNotFound(err) {
		return client.IgnoreAlreadyExists(r.Create(ctx, role))
	}
	if err != nil || equality.Semantic.DeepEqual(existing.Rules, role.Rules) {
		return err
	}
	existing.Rules = role.Rules
	return r.Update(ctx, existing)
}

// createAuthCode writes the Secret with a new auth code, once. The operator
// creates it but never reads Secrets.
func (r *DomainReconciler) createAuthCode(ctx context.Context, domain *clientareav1alpha1.Domain, name string) error {
	code, err := newAuthCode()
	if err != nil {
		return err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace, Labels: map[string]string{ManagedByLabel: ManagedByValue}},
		Type:       corev1.SecretTypeOpaque,
		StringData: map[string]string{AuthCodeKey: code},
	}
	if err := controllerutil.SetControllerReference(domain, secret, r.Scheme()); err != nil {
		return err
	}
	return client.IgnoreAlreadyExists(r.Create(ctx, secret))
}

// authCodeAlphabet avoids characters that registries commonly refuse.
const authCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789+-_"

// newAuthCode returns an auth code from a cryptographic random source (D5),
// each character uniform over the alphabet (bytes past the last whole
// multiple of the alphabet are drawn again, so there is no modulo bias).
func newAuthCode() (string, error) {
	limit := 256 - 256%len(authCodeAlphabet)
	code := make([]byte, 0, authCodeLength)
	buf := make([]byte, authCodeLength)
	for len(code) < authCodeLength {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(code) < authCodeLength {
				code = append(code, authCodeAlphabet[int(b)%len(authCodeAlphabet)])
			}
		}
	}
	return string(code), nil
}

// SetupWithManager watches Domains, their login objects, their holders, and
// the claims of their names.
func (r *DomainReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.Domain{}).
		Owns(&corev1.ServiceAccount{}).
		Owns(&rbacv1.Role{}).
		Owns(&rbacv1.RoleBinding{}).
		Watches(&clientareav1alpha1.Contact{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, contact client.Object) []reconcile.Request {
			return r.domainsMatching(ctx, client.InNamespace(contact.GetNamespace()), client.MatchingFields{indexDomainHolder: contact.GetName()})
		})).
		Watches(&clientareav1alpha1.DomainClaim{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, claim client.Object) []reconcile.Request {
			// When a name is released, a Domain waiting for it takes it (D2).
			return r.domainsMatching(ctx, client.MatchingFields{indexDomainName: claim.GetName()})
		})).
		// A price or an invoice recipient that appears releases the billable
		// events that wait for it (I5, A7).
		Watches(&clientareav1alpha1.PriceList{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, _ client.Object) []reconcile.Request {
			return r.domainsMatching(ctx, client.MatchingFields{indexDomainBillingHeld: "true"})
		})).
		Watches(&clientareav1alpha1.Account{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, account client.Object) []reconcile.Request {
			return r.domainsMatching(ctx, client.InNamespace(r.NamespacePrefix+account.GetName()), client.MatchingFields{indexDomainBillingHeld: "true"})
		})).
		Named("domain").
		Complete(r)
}

func (r *DomainReconciler) domainsMatching(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	return listRequests(ctx, r.Client, &clientareav1alpha1.DomainList{}, opts...)
}

// reconcileDelete releases the name and removes the login with the Domain,
// once every period it was registered for is invoiced (I1).
func (r *DomainReconciler) reconcileDelete(ctx context.Context, domain *clientareav1alpha1.Domain, stored []clientareav1alpha1.BillingPeriod) error {
	if !controllerutil.ContainsFinalizer(domain, domainFinalizer) {
		return nil
	}
	if err := r.reconcileBilling(ctx, domain, stored); err != nil || billingHeld(domain) {
		return err // the Invoiced condition says what the deletion waits for
	}
	claim := &clientareav1alpha1.DomainClaim{}
	err := r.Get(ctx, client.ObjectKey{Name: domainNameOf(domain)}, claim)
	if err == nil && claim.Spec.UID == string(domain.UID) {
		err = client.IgnoreNotFound(r.Delete(ctx, claim, client.Preconditions{UID: &claim.UID}))
	}
	if client.IgnoreNotFound(err) != nil {
		return err
	}
	name := loginName(domain)
	for _, obj := range []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace}},
	} {
		if err := client.IgnoreNotFound(r.Delete(ctx, obj)); err != nil {
			return err
		}
	}
	return releaseFinalizer(ctx, r.Client, domain, domainFinalizer)
}
