package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/billing"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/numbering"
	"clientarea.dev/clientarea-operator/internal/patch"
)

// namespaceConflictRecheck is how often an Account whose namespace name is
// taken looks again whether it has become free.
const namespaceConflictRecheck = 5 * time.Minute

// errNamespaceConflict means a namespace of the account's name exists that the
// operator did not create for this account (A2).
var errNamespaceConflict = errors.New("namespace exists and does not belong to the account")

// accountReconciler gives each Account its namespace (A2) and its owner's
// access (A3), and reports the account's status (A6, A7).
type accountReconciler struct {
	client.Client
	// APIReader reads from the API server directly, for the questions the
	// caches cannot answer: whether an existing namespace that is not ours
	// exists (the namespace cache is label-selected), and whether a
	// namespace holds invoices (no Invoice is cached).
	APIReader client.Reader
	Recorder  events.EventRecorder
	// CustomerNumbers hands out customer numbers (A6).
	CustomerNumbers numbering.Numbers
	// OperatorUser is the operator's own user name, bound to
	// OperatorNamespaceClusterRole in every account namespace.
	OperatorUser string
	// BatchPeriod delays the reconciles that membership changes cause, so
	// that status.members is written once for a burst.
	BatchPeriod time.Duration
	namespaces  accountNamespaces
}

// accountScope is what the phases of one Account reconcile share.
type accountScope struct {
	account *clientareav1alpha1.Account
	patcher *patch.Helper
	// operatorGranted is set once the operator's own binding is in place:
	// the owner's comes only after it.
	operatorGranted bool
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=accounts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=accounts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=accounts/finalizers,verbs=update
// +kubebuilder:rbac:groups=clientarea.dev,resources=users,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=domains;invoices,verbs=get;list;watch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=rolebindings,verbs=deletecollection
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one Account's namespace, access and status up to date.
func (r *accountReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	account := &clientareav1alpha1.Account{}
	if err := r.Get(ctx, req.NamespacedName, account); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	s := &accountScope{account: account, patcher: patch.NewHelper(account, r.Client)}
	defer s.patcher.PatchOnExit(ctx, account, &retErr)

	if !account.DeletionTimestamp.IsZero() {
		return runPhases(ctx, s, r.revokeAndRelease)
	}
	if err := ensureFinalizer(ctx, s.patcher, account, accountFinalizer); err != nil {
		return ctrl.Result{}, err
	}
	// The operator's own binding before the owner's, so that no user can
	// create anything in the namespace before the operator can serve it.
	result, err := runPhases(ctx, s, r.ensureNamespace, r.resolveOwner, r.grantOperator, r.grantOwner, r.listMembers,
		r.assignCustomerNumber, r.resolveBillingContact)
	conditions.SetSummary(account, "ready", clientareav1alpha1.AccountConditionNamespaceReady, clientareav1alpha1.AccountConditionOwnerResolved,
		clientareav1alpha1.AccountConditionBillingContactResolved)
	return result, err
}

// ensureNamespace creates the account's namespace, labelled and controlled
// by the account, and never adopts one that it did not create (A2). A
// foreign namespace is not in the cache, so its removal sends no event: the
// account looks again from time to time (a read, not a write).
func (r *accountReconciler) ensureNamespace(ctx context.Context, s *accountScope) (ctrl.Result, error) {
	account, name := s.account, r.namespaces.of(s.account.Name)
	err := r.namespaceOf(ctx, account, name)
	if errors.Is(err, errNamespaceConflict) {
		account.Status.Namespace = ""
		if conditions.SetNoted(r.Recorder, account, clientareav1alpha1.AccountConditionNamespaceReady, metav1.ConditionFalse,
			clientareav1alpha1.AccountReasonNamespaceConflict,
			fmt.Sprintf("namespace %s already exists and was not created for this account; it is not used and nobody is granted access in it", name),
			corev1.EventTypeWarning) {
			Conflicts.WithLabelValues(conflictNamespace).Inc()
		}
		return ctrl.Result{RequeueAfter: namespaceConflictRecheck}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	account.Status.Namespace = name
	conditions.Set(account, clientareav1alpha1.AccountConditionNamespaceReady, metav1.ConditionTrue, clientareav1alpha1.AccountReasonNamespaceCreated,
		fmt.Sprintf("namespace %s belongs to the account", name))
	return ctrl.Result{}, nil
}

// namespaceOf makes sure the namespace exists and is the account's.
func (r *accountReconciler) namespaceOf(ctx context.Context, account *clientareav1alpha1.Account, name string) error {
	namespace := &corev1.Namespace{}
	err := r.Get(ctx, client.ObjectKey{Name: name}, namespace)
	if apierrors.IsNotFound(err) {
		// The cache holds only our namespaces. One it does not hold is
		// created; if it exists after all (someone else's, or ours made a
		// moment ago and not yet in the cache), the API server's copy says
		// whose it is. One request for a new account, not two.
		if err = r.createNamespace(ctx, account, name); !apierrors.IsAlreadyExists(err) {
			return err
		}
		err = r.APIReader.Get(ctx, client.ObjectKey{Name: name}, namespace)
	}
	if err != nil {
		return err
	}
	if !metav1.IsControlledBy(namespace, account) {
		return errNamespaceConflict
	}
	return nil
}

func (r *accountReconciler) createNamespace(ctx context.Context, account *clientareav1alpha1.Account, name string) error {
	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: name,
		Labels: map[string]string{
			clientareav1alpha1.ManagedByLabel: clientareav1alpha1.ManagedByValue, clientareav1alpha1.AccountLabel: account.Name},
	}}
	if err := controllerutil.SetControllerReference(account, namespace, r.Scheme()); err != nil {
		return err
	}
	err := r.Create(ctx, namespace)
	if err == nil {
		r.Recorder.Eventf(account, namespace, corev1.EventTypeNormal, string(clientareav1alpha1.AccountReasonNamespaceCreated), "Create", "created namespace %s", name)
	}
	return err
}

// resolveOwner reports the owner's e-mail address (A6); the User watch
// brings the Account back when the owner appears or claims its address.
func (r *accountReconciler) resolveOwner(ctx context.Context, s *accountScope) (ctrl.Result, error) {
	account := s.account
	owner := &clientareav1alpha1.User{}
	err := r.Get(ctx, client.ObjectKey{Name: string(account.Spec.Owner)}, owner)
	switch {
	case apierrors.IsNotFound(err):
		account.Status.OwnerEmail = ""
		conditions.Set(account, clientareav1alpha1.AccountConditionOwnerResolved, metav1.ConditionFalse, clientareav1alpha1.AccountReasonOwnerNotFound,
			fmt.Sprintf("User %s does not exist", account.Spec.Owner))
	case err != nil:
		return ctrl.Result{}, err
	case owner.Status.Email == "" || !owner.DeletionTimestamp.IsZero():
		account.Status.OwnerEmail = ""
		conditions.Set(account, clientareav1alpha1.AccountConditionOwnerResolved, metav1.ConditionFalse, clientareav1alpha1.AccountReasonEmailNotClaimed,
			fmt.Sprintf("User %s holds no e-mail address (see its EmailClaimed condition)", owner.Name))
	default:
		account.Status.OwnerEmail = owner.Status.Email
		conditions.Set(account, clientareav1alpha1.AccountConditionOwnerResolved, metav1.ConditionTrue, clientareav1alpha1.AccountReasonOwnerFound,
			fmt.Sprintf("owned by User %s", owner.Name))
	}
	return ctrl.Result{}, nil
}

// grantOperator binds OperatorNamespaceClusterRole for the operator itself
// in the account namespace: the operator writes Secrets, ServiceAccounts
// and Roles only in the namespaces of its accounts, never elsewhere (G3).
func (r *accountReconciler) grantOperator(ctx context.Context, s *accountScope) (ctrl.Result, error) {
	grants := []grant{{name: OperatorNamespaceClusterRole, clusterRole: OperatorNamespaceClusterRole, user: r.OperatorUser}}
	err := r.grant(ctx, s.account, clientareav1alpha1.GrantOperator, grants)
	s.operatorGranted = err == nil
	return ctrl.Result{}, err
}

// grantOwner binds the owner's ClusterRole in the account namespace for the
// owner's e-mail address (A3), and only there.
func (r *accountReconciler) grantOwner(ctx context.Context, s *accountScope) (ctrl.Result, error) {
	if !s.operatorGranted {
		return ctrl.Result{}, nil
	}
	var grants []grant
	if email := s.account.Status.OwnerEmail; email != "" {
		grants = []grant{{name: ownerClusterRole, clusterRole: ownerClusterRole, user: email}}
	}
	return ctrl.Result{}, r.grant(ctx, s.account, clientareav1alpha1.GrantOwner, grants)
}

// grant keeps the account's bindings of one kind; in a namespace that is not
// the account's, nothing is written (A2).
func (r *accountReconciler) grant(ctx context.Context, account *clientareav1alpha1.Account, kind string, grants []grant) error {
	if account.Status.Namespace == "" {
		return nil
	}
	return syncRoleBindings(ctx, r.Client, r.Scheme(), account, account.Status.Namespace, map[string]string{clientareav1alpha1.GrantLabel: kind}, grants)
}

// assignCustomerNumber gives the account its customer number once; it never
// changes (A6).
func (r *accountReconciler) assignCustomerNumber(ctx context.Context, s *accountScope) (ctrl.Result, error) {
	account := s.account
	if account.Status.CustomerNumber != 0 {
		return ctrl.Result{}, nil
	}
	claim, err := r.CustomerNumbers.NumberFor(ctx, numbering.Holder{Kind: "Account", Name: account.Name, UID: string(account.UID)})
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("customer number: %w", err)
	}
	account.Status.CustomerNumber = claim.Number
	return ctrl.Result{}, nil
}

// resolveBillingContact says whether the account's invoices can be addressed
// (A7), and if not, why: its billable events wait meanwhile.
func (r *accountReconciler) resolveBillingContact(ctx context.Context, s *accountScope) (ctrl.Result, error) {
	account := s.account
	recipient, err := recipientOf(ctx, r.Client, account)
	if hold, ok := billing.AsHold(err); ok {
		conditions.SetNoted(r.Recorder, account, clientareav1alpha1.AccountConditionBillingContactResolved, metav1.ConditionFalse, hold.Reason,
			hold.Message+"; invoices wait until it is corrected", corev1.EventTypeWarning)
		return ctrl.Result{}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	reason, message := clientareav1alpha1.AccountReasonBillingContactFound, fmt.Sprintf("invoices go to %s (%s)", recipient.Name, recipient.Source)
	if account.Spec.BillingContactRef == nil {
		reason, message = clientareav1alpha1.AccountReasonAccountContact, "invoices go to the account's own contact, "+recipient.Name
	}
	conditions.Set(account, clientareav1alpha1.AccountConditionBillingContactResolved, metav1.ConditionTrue, reason, message)
	return ctrl.Result{}, nil
}

// SetupWithManager watches Accounts, their namespaces and bindings, the
// Users that own them, and what their status shows.
func (r *accountReconciler) SetupWithManager(mgr ctrl.Manager) error {
	l := lookup{reader: r.Client, namespaces: r.namespaces}
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.Account{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Owns(&corev1.Namespace{}).
		Owns(&rbacv1.RoleBinding{}).
		Watches(&clientareav1alpha1.User{}, handler.EnqueueRequestsFromMapFunc(l.accountsOwnedBy)).
		// status.members (A6): a burst of membership changes is written once.
		Watches(&clientareav1alpha1.Membership{}, enqueueBatched(r.BatchPeriod, l.accountOfNamespace)).
		// An account being deleted waits for its active domains (A8).
		Watches(&clientareav1alpha1.Domain{}, handler.EnqueueRequestsFromMapFunc(l.deletingAccountOfNamespace)).
		// The billing contact (A7): the Contact itself, and the owner of the
		// account that holds it.
		Watches(&clientareav1alpha1.Contact{}, handler.EnqueueRequestsFromMapFunc(l.accountsBillingTo)).
		Watches(&clientareav1alpha1.Account{}, handler.EnqueueRequestsFromMapFunc(l.accountsBillingToAccount),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("account").
		Complete(r)
}
