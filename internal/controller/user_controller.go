package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// User condition types and reasons.
const (
	// ConditionEmailClaimed is True when the User holds its e-mail address;
	// False with reason EmailConflict when another User holds it (U1).
	ConditionEmailClaimed = "EmailClaimed"
	// ConditionDeletionBlocked is True while the User is being deleted but
	// still owns accounts (U3).
	ConditionDeletionBlocked = "DeletionBlocked"

	ReasonEmailClaimed  = "Claimed"
	ReasonEmailConflict = "EmailConflict"
	ReasonOwnsAccounts  = "OwnsAccounts"

	// userFinalizer releases the User's e-mail claim and waits for its
	// accounts to move before the User goes (U3).
	userFinalizer = "clientarea.dev/user"
	// ClaimUserUIDLabel is the UID of the User that holds an EmailClaim (a
	// UID, not the name: a label value has at most 63 characters).
	ClaimUserUIDLabel = "clientarea.dev/user-uid"

	indexUserEmail = "spec.email.lower"
)

// UserReconciler decides which User holds each e-mail address (U1, U4),
// lists the user's accounts (U2) and holds deletion of an owner (U3).
type UserReconciler struct {
	client.Client
	// APIReader confirms, past the cache, that a deleted user owns nothing.
	APIReader       client.Reader
	NamespacePrefix string
	Recorder        events.EventRecorder
	// BatchPeriod delays the reconciles that account and membership
	// changes cause, so that status.accounts is written once for a burst.
	BatchPeriod time.Duration
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=users,verbs=get;list;watch;update
// +kubebuilder:rbac:groups=clientarea.dev,resources=users/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=users/finalizers,verbs=update
// +kubebuilder:rbac:groups=clientarea.dev,resources=emailclaims,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=clientarea.dev,resources=memberships,verbs=get;list;watch

// Reconcile brings one User's claim and status up to date.
func (r *UserReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	user := &clientareav1alpha1.User{}
	if err := r.Get(ctx, req.NamespacedName, user); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	defer patchStatusOnExit(ctx, r.Client, user.DeepCopy(), user, userStatus, &retErr)

	if !user.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.reconcileDelete(ctx, user)
	}
	if err := ensureFinalizer(ctx, r.Client, user, userFinalizer); err != nil {
		return ctrl.Result{}, err
	}
	errs := []error{r.reconcileClaim(ctx, user), r.reconcileAccounts(ctx, user)}
	setSummaryReady(&user.Status.Conditions, user.Generation, ConditionEmailClaimed)
	user.Status.ObservedGeneration = user.Generation
	return ctrl.Result{}, kerrors.NewAggregate(errs)
}

func userStatus(obj client.Object) any { return obj.(*clientareav1alpha1.User).Status }

// normalizedEmail is the form in which addresses are compared and granted:
// case-insensitively (U1), as lower case.
func normalizedEmail(user *clientareav1alpha1.User) string {
	return strings.ToLower(string(user.Spec.Email))
}

// claimName is the EmailClaim name for an address: a hash, because an address
// is not a valid object name, and of the lower-cased address, so that
// Anna@X and anna@x collide.
func claimName(email string) string {
	sum := sha256.Sum256([]byte(email))
	return "email-" + hex.EncodeToString(sum[:20])
}

// reconcileClaim claims the user's address, releases any address it held
// before (U4), and grants nothing while another User holds it (U1).
func (r *UserReconciler) reconcileClaim(ctx context.Context, user *clientareav1alpha1.User) error {
	email := normalizedEmail(user)
	name := claimName(email)
	if err := r.releaseClaims(ctx, user, name); err != nil {
		return err
	}
	claim := &clientareav1alpha1.EmailClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{ManagedByLabel: ManagedByValue, ClaimUserUIDLabel: string(user.UID)}},
		Spec:       clientareav1alpha1.EmailClaimSpec{Email: clientareav1alpha1.EmailAddress(email), User: clientareav1alpha1.ObjectName(user.Name), UserUID: string(user.UID)},
	}
	// Read first: the common case, a claim we already hold, costs no write.
	err := r.Get(ctx, client.ObjectKey{Name: name}, claim)
	if apierrors.IsNotFound(err) {
		err = r.Create(ctx, claim)
		if apierrors.IsAlreadyExists(err) {
			err = r.Get(ctx, client.ObjectKey{Name: name}, claim) // lost the race, or the cache lags
		}
	}
	if err != nil {
		return err
	}
	if claim.Spec.UserUID != string(user.UID) {
		if stale, err := r.releaseIfStale(ctx, claim); err != nil || stale {
			return err // a stale claim is gone: the claim watch brings us back
		}
		user.Status.Email = ""
		if setNotedCondition(r.Recorder, user, &user.Status.Conditions, user.Generation, ConditionEmailClaimed, metav1.ConditionFalse, ReasonEmailConflict,
			fmt.Sprintf("User %s already has the e-mail address %s; this User is granted nothing", claim.Spec.User, email), corev1.EventTypeWarning) {
			Conflicts.WithLabelValues(conflictEmail).Inc()
		}
		return nil
	}
	if user.Status.Email != email {
		r.Recorder.Eventf(user, nil, corev1.EventTypeNormal, ReasonEmailClaimed, "Claim", "access is granted to %s", email)
	}
	user.Status.Email = email
	setCondition(&user.Status.Conditions, user.Generation, ConditionEmailClaimed, metav1.ConditionTrue, ReasonEmailClaimed,
		fmt.Sprintf("holds %s", email))
	return nil
}

// releaseClaims deletes the user's claims other than keep: the addresses it
// no longer has (U4).
func (r *UserReconciler) releaseClaims(ctx context.Context, user *clientareav1alpha1.User, keep string) error {
	claims := &clientareav1alpha1.EmailClaimList{}
	if err := r.List(ctx, claims, client.MatchingLabels{ClaimUserUIDLabel: string(user.UID)}); err != nil {
		return err
	}
	var errs []error
	for i := range claims.Items {
		claim := &claims.Items[i]
		if claim.Name == keep || claim.Spec.UserUID != string(user.UID) {
			continue
		}
		errs = append(errs, client.IgnoreNotFound(r.Delete(ctx, claim, client.Preconditions{UID: &claim.UID})))
	}
	return kerrors.NewAggregate(errs)
}

// releaseIfStale deletes a claim whose User no longer exists (say, deleted
// while the operator was down), so that the address is free again.
func (r *UserReconciler) releaseIfStale(ctx context.Context, claim *clientareav1alpha1.EmailClaim) (bool, error) {
	holder := &clientareav1alpha1.User{}
	err := r.Get(ctx, client.ObjectKey{Name: string(claim.Spec.User)}, holder)
	if err == nil && string(holder.UID) == claim.Spec.UserUID && normalizedEmail(holder) == string(claim.Spec.Email) {
		return false, nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return false, err
	}
	return true, client.IgnoreNotFound(r.Delete(ctx, claim, client.Preconditions{UID: &claim.UID}))
}

// reconcileAccounts lists every account the user owns or is a member of (U2).
func (r *UserReconciler) reconcileAccounts(ctx context.Context, user *clientareav1alpha1.User) error {
	owned := &clientareav1alpha1.AccountList{}
	if err := r.List(ctx, owned, client.MatchingFields{indexAccountOwner: user.Name}); err != nil {
		return err
	}
	memberships := &clientareav1alpha1.MembershipList{}
	if err := r.List(ctx, memberships, client.MatchingFields{indexMembershipUser: user.Name}); err != nil {
		return err
	}
	accounts := make([]clientareav1alpha1.UserAccount, 0, len(owned.Items)+len(memberships.Items))
	for _, account := range owned.Items {
		accounts = append(accounts, clientareav1alpha1.UserAccount{Account: account.Name, Namespace: account.Status.Namespace, Role: clientareav1alpha1.RoleOwner})
	}
	for _, membership := range memberships.Items {
		account, ok := strings.CutPrefix(membership.Namespace, r.NamespacePrefix)
		if !ok || membership.Status.State != clientareav1alpha1.MembershipActive {
			continue
		}
		accounts = append(accounts, clientareav1alpha1.UserAccount{Account: account, Namespace: membership.Namespace, Role: clientareav1alpha1.RoleMember,
			Permissions: slices.Clone(membership.Spec.Permissions)})
	}
	// Owner before member for the same account, so the dedupe below keeps
	// the same entry on every reconcile.
	slices.SortStableFunc(accounts, func(a, b clientareav1alpha1.UserAccount) int {
		if c := strings.Compare(a.Account, b.Account); c != 0 {
			return c
		}
		return strings.Compare(string(b.Role), string(a.Role)) // Owner before Member
	})
	// One entry per account: an owner's own (inert) membership does not list
	// the account twice.
	user.Status.Accounts = slices.CompactFunc(accounts, func(a, b clientareav1alpha1.UserAccount) bool { return a.Account == b.Account })
	return nil
}

// reconcileDelete holds the deletion of an owner until its accounts have
// moved (U3), then releases the user's address.
func (r *UserReconciler) reconcileDelete(ctx context.Context, user *clientareav1alpha1.User) error {
	owned, err := r.ownedAccounts(ctx, user)
	if err != nil {
		return err
	}
	if len(owned) > 0 {
		setCondition(&user.Status.Conditions, user.Generation, ConditionDeletionBlocked, metav1.ConditionTrue, ReasonOwnsAccounts,
			fmt.Sprintf("the user owns accounts %s; transfer them with an OwnershipTransfer first", strings.Join(owned, ", ")))
		return nil // the Account watch brings us back when ownership moves
	}
	// Access stops at once: the claim goes, and with it every grant (U3).
	if err := r.releaseClaims(ctx, user, ""); err != nil {
		return err
	}
	return releaseFinalizer(ctx, r.Client, user, userFinalizer)
}

// ownedAccounts names the accounts a user owns. It asks the API server, not
// the cache, which may not have seen an Account created a moment ago: a user
// let go while owning one would leave it without an owner (A1).
func (r *UserReconciler) ownedAccounts(ctx context.Context, user *clientareav1alpha1.User) ([]string, error) {
	accounts := &clientareav1alpha1.AccountList{}
	if err := r.APIReader.List(ctx, accounts); err != nil {
		return nil, err
	}
	var names []string
	for _, account := range accounts.Items {
		if string(account.Spec.Owner) == user.Name {
			names = append(names, account.Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// SetupWithManager watches Users, their claims, and the accounts and
// memberships listed in their status.
func (r *UserReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		// Every update, deletion included; our own status writes come back
		// as no-op reconciles.
		For(&clientareav1alpha1.User{}).
		Watches(&clientareav1alpha1.EmailClaim{}, handler.EnqueueRequestsFromMapFunc(r.usersWithClaimEmail)).
		// status.accounts (U2): a burst of account and membership changes
		// is written once.
		Watches(&clientareav1alpha1.Account{}, enqueueBatched(r.BatchPeriod, func(_ context.Context, obj client.Object) []reconcile.Request {
			return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: string(obj.(*clientareav1alpha1.Account).Spec.Owner)}}}
		})).
		Watches(&clientareav1alpha1.Membership{}, enqueueBatched(r.BatchPeriod, func(_ context.Context, obj client.Object) []reconcile.Request {
			return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: string(obj.(*clientareav1alpha1.Membership).Spec.User)}}}
		})).
		Named("user").
		Complete(r)
}

// usersWithClaimEmail maps a claim to every User with its address, so that
// when the holder lets go, a waiting User takes it over.
func (r *UserReconciler) usersWithClaimEmail(ctx context.Context, claim client.Object) []reconcile.Request {
	return listRequests(ctx, r.Client, &clientareav1alpha1.UserList{}, client.MatchingFields{indexUserEmail: string(claim.(*clientareav1alpha1.EmailClaim).Spec.Email)})
}
