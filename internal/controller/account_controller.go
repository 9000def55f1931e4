package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// Account condition types and reasons.
const (
	// ConditionNamespaceReady is True when the account's namespace exists and
	// belongs to the account.
	ConditionNamespaceReady = "NamespaceReady"
	// ConditionOwnerResolved is True when the User named by spec.owner exists.
	ConditionOwnerResolved = "OwnerResolved"

	ReasonNamespaceCreated  = "NamespaceCreated"
	ReasonNamespaceConflict = "NamespaceConflict"
	ReasonOwnerFound        = "OwnerFound"
	ReasonOwnerNotFound     = "OwnerNotFound"
	ReasonReady             = "Ready"
	ReasonNotReady          = "NotReady"
)

// namespaceConflictRecheck is how often an Account whose namespace name is
// taken looks again whether it has become free.
const namespaceConflictRecheck = 5 * time.Minute

// errNamespaceConflict means a namespace of the account's name exists that the
// operator did not create for this account (A2).
var errNamespaceConflict = errors.New("namespace exists and does not belong to the account")

// AccountReconciler gives each Account its namespace (A2) and reports the
// account's status (A6).
type AccountReconciler struct {
	client.Client
	// APIReader reads from the API server directly, for the one question the
	// label-selected namespace cache cannot answer: whether an existing
	// namespace that is not ours exists.
	APIReader       client.Reader
	NamespacePrefix string
	Recorder        events.EventRecorder
	// CustomerNumbers hands out customer numbers (A6).
	CustomerNumbers *Sequence
	// OperatorUser is the operator's own user name, bound to
	// OperatorNamespaceClusterRole in every account namespace.
	OperatorUser string
	// BatchPeriod delays the reconciles that membership changes cause, so
	// that status.members is written once for a burst.
	BatchPeriod time.Duration
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=accounts,verbs=get;list;watch;update
// +kubebuilder:rbac:groups=clientarea.dev,resources=accounts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=accounts/finalizers,verbs=update
// +kubebuilder:rbac:groups=clientarea.dev,resources=users,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=domains;invoices,verbs=get;list;watch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=rolebindings,verbs=deletecollection
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one Account's namespace and status up to date.
func (r *AccountReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	account := &clientareav1alpha1.Account{}
	if err := r.Get(ctx, req.NamespacedName, account); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	defer patchStatusOnExit(ctx, r.Client, account.DeepCopy(), account, accountStatus, &retErr)

	if !account.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.reconcileDelete(ctx, account)
	}
	if err := ensureFinalizer(ctx, r.Client, account, accountFinalizer); err != nil {
		return ctrl.Result{}, err
	}

	errs := []error{
		r.reconcileNamespace(ctx, account),
		r.reconcileOwner(ctx, account),
	}
	if err := r.reconcileOperatorAccess(ctx, account); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, r.reconcileOwnerAccess(ctx, account))
	}
	errs = append(errs, r.reconcileMembers(ctx, account), r.reconcileCustomerNumber(ctx, account), r.reconcileBillingContact(ctx, account))
	r.setReady(account)
	if err := kerrors.NewAggregate(errs); err != nil {
		return ctrl.Result{}, err
	}
	if account.Status.Namespace == "" {
		// A foreign namespace is not in the cache, so its removal sends no
		// event: look again from time to time (a read, not a write).
		return ctrl.Result{RequeueAfter: namespaceConflictRecheck}, nil
	}
	return ctrl.Result{}, nil
}

func accountStatus(obj client.Object) any { return obj.(*clientareav1alpha1.Account).Status }

// namespaceName is the name of an account's namespace.
func (r *AccountReconciler) namespaceName(account *clientareav1alpha1.Account) string {
	return r.NamespacePrefix + account.Name
}

// reconcileNamespace creates the account's namespace, labelled and controlled
// by the account, and never adopts one that it did not create (A2).
func (r *AccountReconciler) reconcileNamespace(ctx context.Context, account *clientareav1alpha1.Account) error {
	name := r.namespaceName(account)
	err := r.ensureNamespace(ctx, account, name)
	switch {
	case errors.Is(err, errNamespaceConflict):
		account.Status.Namespace = ""
		if setNotedCondition(r.Recorder, account, &account.Status.Conditions, account.Generation, ConditionNamespaceReady, metav1.ConditionFalse, ReasonNamespaceConflict,
			fmt.Sprintf("namespace %s already exists and was not created for this account; it is not used and nobody is granted access in it", name),
			corev1.EventTypeWarning) {
			Conflicts.WithLabelValues(conflictNamespace).Inc()
		}
		return nil // waiting for a person to act; Reconcile looks again from time to time
	case err != nil:
		return err
	}
	account.Status.Namespace = name
	setCondition(&account.Status.Conditions, account.Generation, ConditionNamespaceReady, metav1.ConditionTrue, ReasonNamespaceCreated,
		fmt.Sprintf("namespace %s belongs to the account", name))
	return nil
}

func (r *AccountReconciler) ensureNamespace(ctx context.Context, account *clientareav1alpha1.Account, name string) error {
	namespace := &corev1.Namespace{}
	err := r.Get(ctx, client.ObjectKey{Name: name}, namespace)
	if apierrors.IsNotFound(err) {
		// The cache holds only our namespaces: ask the API server whether
		// someone else's exists before trying to create it.
		err = r.APIReader.Get(ctx, client.ObjectKey{Name: name}, namespace)
		if apierrors.IsNotFound(err) {
			return r.createNamespace(ctx, account, name)
		}
	}
	if err != nil {
		return err
	}
	return r.checkNamespaceOwner(account, namespace)
}

func (r *AccountReconciler) createNamespace(ctx context.Context, account *clientareav1alpha1.Account, name string) error {
	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   name,
		Labels: map[string]string{ManagedByLabel: ManagedByValue, AccountLabel: account.Name},
	}}
	if err := controllerutil.SetControllerReference(account, namespace, r.Scheme()); err != nil {
		return err
	}
	err := r.Create(ctx, namespace)
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("namespace %s appeared while being created; checking again: %w", name, err)
	}
	if err == nil {
		r.Recorder.Eventf(account, namespace, corev1.EventTypeNormal, ReasonNamespaceCreated, "Create", "created namespace %s", name)
	}
	return err
}

func (r *AccountReconciler) checkNamespaceOwner(account *clientareav1alpha1.Account, namespace *corev1.Namespace) error {
	if metav1.IsControlledBy(namespace, account) {
		return nil
	}
	return errNamespaceConflict
}

// reconcileOwner reports the owner's e-mail address (A6).
func (r *AccountReconciler) reconcileOwner(ctx context.Context, account *clientareav1alpha1.Account) error {
	owner := &clientareav1alpha1.User{}
	err := r.Get(ctx, client.ObjectKey{Name: string(account.Spec.Owner)}, owner)
	if apierrors.IsNotFound(err) {
		account.Status.OwnerEmail = ""
		setCondition(&account.Status.Conditions, account.Generation, ConditionOwnerResolved, metav1.ConditionFalse, ReasonOwnerNotFound,
			fmt.Sprintf("User %s does not exist", account.Spec.Owner))
		return nil // the User watch brings us back when it appears
	}
	if err != nil {
		return err
	}
	if owner.Status.Email == "" || !owner.DeletionTimestamp.IsZero() {
		account.Status.OwnerEmail = ""
		setCondition(&account.Status.Conditions, account.Generation, ConditionOwnerResolved, metav1.ConditionFalse, ReasonEmailNotClaimed,
			fmt.Sprintf("User %s holds no e-mail address (see its EmailClaimed condition)", owner.Name))
		return nil
	}
	account.Status.OwnerEmail = owner.Status.Email
	setCondition(&account.Status.Conditions, account.Generation, ConditionOwnerResolved, metav1.ConditionTrue, ReasonOwnerFound,
		fmt.Sprintf("owned by User %s", owner.Name))
	return nil
}

// reconcileOperatorAccess binds OperatorNamespaceClusterRole for the
// operator itself in the account namespace: the operator writes Secrets,
// ServiceAccounts and Roles only in the namespaces of its accounts, never
// elsewhere (G3). It comes before the owner's binding, so that no user can
// create anything in the namespace before the operator can serve it.
func (r *AccountReconciler) reconcileOperatorAccess(ctx context.Context, account *clientareav1alpha1.Account) error {
	if account.Status.Namespace == "" {
		return nil
	}
	grants := []grant{{name: OperatorNamespaceClusterRole, clusterRole: OperatorNamespaceClusterRole, user: r.OperatorUser}}
	return syncRoleBindings(ctx, r.Client, r.Scheme(), account, account.Status.Namespace, map[string]string{GrantLabel: grantOperator}, grants)
}

// reconcileOwnerAccess binds the owner's ClusterRole in the account
// namespace for the owner's e-mail address (A3), and only there: in a
// namespace that is not the account's, nothing is written (A2).
func (r *AccountReconciler) reconcileOwnerAccess(ctx context.Context, account *clientareav1alpha1.Account) error {
	if account.Status.Namespace == "" {
		return nil
	}
	var grants []grant
	if account.Status.OwnerEmail != "" {
		grants = []grant{{name: OwnerClusterRole, clusterRole: OwnerClusterRole, user: account.Status.OwnerEmail}}
	}
	return syncRoleBindings(ctx, r.Client, r.Scheme(), account, account.Status.Namespace, map[string]string{GrantLabel: grantOwner}, grants)
}

// reconcileCustomerNumber gives the account its customer number once; it
// never changes (A6).
func (r *AccountReconciler) reconcileCustomerNumber(ctx context.Context, account *clientareav1alpha1.Account) error {
	if account.Status.CustomerNumber != 0 {
		return nil
	}
	claim, err := r.CustomerNumbers.NumberFor(ctx, NumberHolder{Kind: "Account", Name: account.Name, UID: string(account.UID)})
	if err != nil {
		return fmt.Errorf("customer number: %w", err)
	}
	account.Status.CustomerNumber = claim.Spec.Number
	return nil
}

// reconcileBillingContact says whether the account's invoices can be
// addressed (A7), and if not, why: its billable events wait meanwhile.
func (r *AccountReconciler) reconcileBillingContact(ctx context.Context, account *clientareav1alpha1.Account) error {
	recipient, hold, err := resolveRecipient(ctx, r.Client, account)
	switch {
	case err != nil:
		return err
	case hold != nil:
		setNotedCondition(r.Recorder, account, &account.Status.Conditions, account.Generation, ConditionBillingContactResolved, metav1.ConditionFalse, hold.reason,
			hold.message+"; invoices wait until it is corrected", corev1.EventTypeWarning)
	case account.Spec.BillingContactRef == nil:
		setCondition(&account.Status.Conditions, account.Generation, ConditionBillingContactResolved, metav1.ConditionTrue, ReasonAccountContact,
			fmt.Sprintf("invoices go to the account's own contact, %s", recipient.Name))
	default:
		setCondition(&account.Status.Conditions, account.Generation, ConditionBillingContactResolved, metav1.ConditionTrue, ReasonBillingContactFound,
			fmt.Sprintf("invoices go to %s (%s)", recipient.Name, recipient.Source))
	}
	return nil
}

// setReady summarises the other conditions in Ready.
func (r *AccountReconciler) setReady(account *clientareav1alpha1.Account) {
	setSummaryReady(&account.Status.Conditions, account.Generation, ConditionNamespaceReady, ConditionOwnerResolved, ConditionBillingContactResolved)
	account.Status.ObservedGeneration = account.Generation
}

// SetupWithManager watches Accounts, their namespaces, and the Users that own them.
func (r *AccountReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.Account{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		Owns(&corev1.Namespace{}).
		Owns(&rbacv1.RoleBinding{}).
		Watches(&clientareav1alpha1.User{}, handler.EnqueueRequestsFromMapFunc(r.accountsOwnedBy)).
		// status.members (A6): a burst of membership changes is written once.
		Watches(&clientareav1alpha1.Membership{}, enqueueBatched(r.BatchPeriod, r.accountOfNamespace)).
		// An account being deleted waits for its active domains (A8).
		Watches(&clientareav1alpha1.Domain{}, handler.EnqueueRequestsFromMapFunc(r.deletingAccountOfNamespace)).
		// The billing contact (A7): the Contact itself, and the owner of the
		// account that holds it.
		Watches(&clientareav1alpha1.Contact{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, contact client.Object) []reconcile.Request {
			target := strings.TrimPrefix(contact.GetNamespace(), r.NamespacePrefix) + "/" + contact.GetName()
			return listRequests(ctx, r.Client, &clientareav1alpha1.AccountList{}, client.MatchingFields{indexAccountBillingTarget: target})
		})).
		Watches(&clientareav1alpha1.Account{}, handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, other client.Object) []reconcile.Request {
			return listRequests(ctx, r.Client, &clientareav1alpha1.AccountList{}, client.MatchingFields{indexAccountBillingAccount: other.GetName()})
		}), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("account").
		Complete(r)
}

// indexAccountBillingAccount indexes Accounts by the other account whose
// Contact they bill to.
const indexAccountBillingAccount = "spec.billingContactRef.account"

// billingAccount is the other account an Account bills to, for the index.
func billingAccount(account *clientareav1alpha1.Account) []string {
	ref := account.Spec.BillingContactRef
	if ref == nil || ref.Account == "" || string(ref.Account) == account.Name {
		return nil
	}
	return []string{string(ref.Account)}
}

// accountsOwnedBy maps a User to the Accounts it owns, through the owner index.
func (r *AccountReconciler) accountsOwnedBy(ctx context.Context, user client.Object) []reconcile.Request {
	return listRequests(ctx, r.Client, &clientareav1alpha1.AccountList{}, client.MatchingFields{indexAccountOwner: user.GetName()})
}
