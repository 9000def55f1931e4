package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/patch"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

const (
	domainFinalizer = "clientarea.dev/domain"
	// RenewBefore is how long before expiry an auto-renewing domain is renewed (D4).
	RenewBefore = 30 * 24 * time.Hour
)

// domainReconciler claims each Domain's name cluster-wide (D2) and registers,
// renews or expires it through a Registrar (D4); its invoicing is a phase of
// its own (invoicing.go). The domain login (D5) is another controller's.
type domainReconciler struct {
	client.Client
	// APIReader reads a Domain past the cache before a registry call, and
	// the latest Domain when its status patch meets the login controller's.
	APIReader client.Reader
	Registrar registrar.Registrar
	// RegistrarTimeout bounds each registrar call, so that a registry that
	// hangs holds up one domain for a while, not the controller for ever.
	RegistrarTimeout time.Duration
	Clock            clock.PassiveClock
	Recorder         events.EventRecorder
	// invoices issues the invoices of the domain's billable events (I1).
	invoices   *invoicer
	namespaces accountNamespaces
}

// domainScope is what the phases of one Domain reconcile share.
type domainScope struct {
	domain  *clientareav1alpha1.Domain
	patcher *patch.Helper
	// sharedStatus is the patch option of every status write: the domain
	// login controller writes its part of the same status.
	sharedStatus patch.Option
	// holder is the holder Contact, once resolveHolder found it.
	holder *clientareav1alpha1.Contact
	// message is the registry message this reconcile acts on, if any (R3).
	message *registrar.Message
	// claim is the Domain's own DomainClaim (nil: none of its own), once
	// ownClaim read it in this reconcile; claimRead says that it did.
	claim     *clientareav1alpha1.DomainClaim
	claimRead bool
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=domains,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=domains/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=domains/finalizers,verbs=update
// +kubebuilder:rbac:groups=clientarea.dev,resources=domainclaims,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=clientarea.dev,resources=accounts,verbs=get;list;watch

// Reconcile brings one Domain's name claim, registration and invoices up to date.
func (r *domainReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return r.reconcile(ctx, req, nil)
}

// reconcile is Reconcile, after a registry message about the Domain when
// message is not nil: the registry poller calls it, and acknowledges the
// message once it returned without error, that is once what the message
// changed is recorded (R3).
func (r *domainReconciler) reconcile(ctx context.Context, req ctrl.Request, message *registrar.Message) (result ctrl.Result, retErr error) {
	domain := &clientareav1alpha1.Domain{}
	if err := r.Get(ctx, req.NamespacedName, domain); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	s := &domainScope{domain: domain, patcher: patch.NewHelper(domain, r.Client), sharedStatus: patch.WithSharedStatus(r.APIReader), message: message}
	defer s.patcher.PatchOnExit(ctx, domain, &retErr, s.sharedStatus)

	if !domain.DeletionTimestamp.IsZero() {
		if !controllerutil.ContainsFinalizer(domain, domainFinalizer) {
			return ctrl.Result{}, nil
		}
		return runPhases(ctx, s, r.invoices.bill, r.deleteAtRegistry, r.releaseName)
	}
	if err := ensureFinalizer(ctx, s.patcher, domain, domainFinalizer); err != nil {
		return ctrl.Result{}, err
	}
	// Ready before billing, which may store the status mid-way; billing
	// runs whatever registration did: the periods stored before are billed
	// while the registry is down.
	result, err := runPhases(ctx, s, r.observe, r.resolveHolder, r.claimName, r.register, r.checkSponsor, r.renew,
		r.syncRegistry, r.issueTransferCode)
	summarizeDomain(domain)
	billed, billErr := r.invoices.bill(ctx, s)
	if err := kerrors.NewAggregate([]error{err, billErr}); err != nil {
		return ctrl.Result{}, err
	}
	return soonest(result, billed), nil
}

// domainNameOf is the domain name in effect: spec.domainName or metadata.name (D1).
func domainNameOf(domain *clientareav1alpha1.Domain) string {
	if domain.Spec.DomainName != "" {
		return string(domain.Spec.DomainName)
	}
	return domain.Name
}

// holdsName tells whether the Domain holds its name (D2): only then is it
// registered, billed, and given a login.
func holdsName(domain *clientareav1alpha1.Domain) bool {
	return conditions.IsFalse(domain, clientareav1alpha1.DomainConditionNameConflict)
}

// observe records what the status derives from the spec and the namespace,
// and the holder label (D6), which an admission policy sets on every write:
// the operator corrects a Domain made before the policy was installed.
func (r *domainReconciler) observe(_ context.Context, s *domainScope) (ctrl.Result, error) {
	domain := s.domain
	domain.Status.DomainName = domainNameOf(domain)
	domain.Status.Account, _ = r.namespaces.accountOf(domain.Namespace)
	if domain.Labels[clientareav1alpha1.HolderLabel] != string(domain.Spec.HolderRef.Name) {
		if domain.Labels == nil {
			domain.Labels = map[string]string{}
		}
		domain.Labels[clientareav1alpha1.HolderLabel] = string(domain.Spec.HolderRef.Name)
	}
	return ctrl.Result{}, nil
}

// resolveHolder finds the holder Contact (D1); the Contact watch brings the
// Domain back when it appears.
func (r *domainReconciler) resolveHolder(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain, holderName := s.domain, string(s.domain.Spec.HolderRef.Name)
	holder := &clientareav1alpha1.Contact{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: domain.Namespace, Name: holderName}, holder); err != nil {
		if client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, err
		}
		domain.Status.HolderName = ""
		conditions.Set(domain, clientareav1alpha1.DomainConditionHolderResolved, metav1.ConditionFalse, clientareav1alpha1.DomainReasonHolderNotFound,
			fmt.Sprintf("Contact %s does not exist in this account", holderName))
		return ctrl.Result{}, nil
	}
	domain.Status.HolderName = holder.Spec.Name
	s.holder = holder
	conditions.Set(domain, clientareav1alpha1.DomainConditionHolderResolved, metav1.ConditionTrue, clientareav1alpha1.DomainReasonHolderFound,
		fmt.Sprintf("held by Contact %s (%s)", holder.Name, holder.Spec.Name))
	return ctrl.Result{}, nil
}

// claimName claims the domain name for this Domain; a Domain whose name
// another Domain holds is never registered or billed (D2).
func (r *domainReconciler) claimName(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain, name := s.domain, s.domain.Status.DomainName
	claim, err := claimName(ctx, r.Client, &clientareav1alpha1.DomainClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{clientareav1alpha1.ManagedByLabel: clientareav1alpha1.ManagedByValue}},
		Spec:       clientareav1alpha1.DomainClaimSpec{Namespace: domain.Namespace, Name: domain.Name, UID: string(domain.UID)},
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	if claim.Spec.UID == string(domain.UID) && heldAtRegistryByOthers(domain) {
		return ctrl.Result{}, nil // the registry said so (R2); that stays
	}
	if claim.Spec.UID == string(domain.UID) {
		conditions.Set(domain, clientareav1alpha1.DomainConditionNameConflict, metav1.ConditionFalse, clientareav1alpha1.DomainReasonNameHeld,
			fmt.Sprintf("this Domain holds %s", name))
		return ctrl.Result{}, nil
	}
	domain.Status.State = clientareav1alpha1.DomainConflict
	if conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionNameConflict, metav1.ConditionTrue, clientareav1alpha1.DomainReasonNameTaken,
		fmt.Sprintf("%s is already held by Domain %s/%s; this Domain is not registered or billed", name, claim.Spec.Namespace, claim.Spec.Name),
		corev1.EventTypeWarning) {
		Conflicts.WithLabelValues(conflictDomainName).Inc()
	}
	return ctrl.Result{}, nil
}

// releaseName frees the name once every period is invoiced, and lets the
// Domain go (D2, I1); the Invoiced condition says what a deletion waits for.
func (r *domainReconciler) releaseName(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain := s.domain
	if billingHeld(domain) || heldAtRegistry(domain) {
		return ctrl.Result{}, nil // the last invoice, or the deletion at the registry, first
	}
	claim, err := r.ownClaim(ctx, s)
	if err != nil {
		return ctrl.Result{}, err
	}
	if claim != nil && registrationUncertain(domain) {
		return ctrl.Result{}, nil // deleted at the registry first (deleteAtRegistry)
	}
	if claim != nil {
		if err := releaseClaim(ctx, r.Client, claim); err != nil {
			return ctrl.Result{}, err
		}
	}
	controllerutil.RemoveFinalizer(domain, domainFinalizer)
	return ctrl.Result{}, nil
}

// ownClaim is the DomainClaim of the Domain's name if it is this Domain's,
// else nil, read once per reconcile (deleteAtRegistry and releaseName both
// ask). The cache may not hold a claim made a moment ago: where it shows
// none of this Domain's, the API server is asked (a claim left behind
// would keep the name from every later Domain).
func (r *domainReconciler) ownClaim(ctx context.Context, s *domainScope) (*clientareav1alpha1.DomainClaim, error) {
	if s.claimRead {
		return s.claim, nil
	}
	domain := s.domain
	claim := &clientareav1alpha1.DomainClaim{}
	key := client.ObjectKey{Name: domainNameOf(domain)}
	err := r.Get(ctx, key, claim)
	if apierrors.IsNotFound(err) || (err == nil && claim.Spec.UID != string(domain.UID)) {
		err = r.APIReader.Get(ctx, key, claim)
	}
	if client.IgnoreNotFound(err) != nil {
		return nil, err
	}
	s.claimRead = true
	if err == nil && claim.Spec.UID == string(domain.UID) {
		s.claim = claim
	}
	return s.claim, nil
}

// heldAtRegistryByOthers tells whether the registry refused the name because
// another registrar's customer holds it (R2): the Domain is a conflict for
// good, never registered or billed; a new Domain tries again.
func heldAtRegistryByOthers(domain *clientareav1alpha1.Domain) bool {
	c := conditions.Get(domain, clientareav1alpha1.DomainConditionRegistered)
	return domain.Status.State == clientareav1alpha1.DomainConflict && c != nil && c.Reason == string(clientareav1alpha1.DomainReasonNameTaken)
}

// summarizeDomain sets the state a new Domain starts in, and Ready.
func summarizeDomain(domain *clientareav1alpha1.Domain) {
	switch domain.Status.State {
	case "":
		domain.Status.State = clientareav1alpha1.DomainPending
	case clientareav1alpha1.DomainConflict:
		conditions.Set(domain, clientareav1alpha1.ConditionReady, metav1.ConditionFalse, clientareav1alpha1.DomainReasonNameTaken,
			"the domain name is held by another Domain")
		return
	case clientareav1alpha1.DomainActive:
		conditions.Set(domain, clientareav1alpha1.ConditionReady, metav1.ConditionTrue, clientareav1alpha1.ReasonReady, "the domain is registered")
		return
	}
	conditions.SetSummary(domain, "ready", clientareav1alpha1.DomainConditionHolderResolved, clientareav1alpha1.DomainConditionRegistered)
}

// SetupWithManager watches Domains, their holders, the claims of their
// names, and what their waiting billable events wait for.
func (r *domainReconciler) SetupWithManager(mgr ctrl.Manager) error {
	l := lookup{reader: r.Client, namespaces: r.namespaces}
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.Domain{}).
		Watches(&clientareav1alpha1.Contact{}, handler.EnqueueRequestsFromMapFunc(l.domainsHeldBy)).
		Watches(&clientareav1alpha1.DomainClaim{}, handler.EnqueueRequestsFromMapFunc(l.domainsNamed)).
		Watches(&clientareav1alpha1.PriceList{}, handler.EnqueueRequestsFromMapFunc(l.domainsWaitingForBilling)).
		Watches(&clientareav1alpha1.Account{}, handler.EnqueueRequestsFromMapFunc(l.accountDomainsWaitingForBilling)).
		Named("domain").
		Complete(r)
}
