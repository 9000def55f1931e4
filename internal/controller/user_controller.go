package controller

import (
	"context"
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
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/patch"
)

// userFinalizer releases the User's e-mail claim and waits for its accounts
// to move before the User goes (U3).
const userFinalizer = "clientarea.dev/user"

// userReconciler decides which User holds each e-mail address (U1, U4),
// lists the user's accounts (U2) and holds deletion of an owner (U3).
type userReconciler struct {
	client.Client
	// APIReader confirms, past the cache, that a deleted user owns nothing.
	APIReader client.Reader
	Recorder  events.EventRecorder
	// BatchPeriod delays the reconciles that account and membership
	// changes cause, so that status.accounts is written once for a burst.
	BatchPeriod time.Duration
	namespaces  accountNamespaces
}

// userScope is what the phases of one User reconcile share.
type userScope struct {
	user    *clientareav1alpha1.User
	patcher *patch.Helper
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=users,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=users/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=users/finalizers,verbs=update
// +kubebuilder:rbac:groups=clientarea.dev,resources=emailclaims,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=clientarea.dev,resources=memberships,verbs=get;list;watch

// Reconcile brings one User's claim and status up to date.
func (r *userReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	user := &clientareav1alpha1.User{}
	if err := r.Get(ctx, req.NamespacedName, user); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	s := &userScope{user: user, patcher: patch.NewHelper(user, r.Client)}
	defer s.patcher.PatchOnExit(ctx, user, &retErr)

	if !user.DeletionTimestamp.IsZero() {
		return runPhases(ctx, s, r.holdOwnerDeletion)
	}
	if err := ensureFinalizer(ctx, s.patcher, user, userFinalizer); err != nil {
		return ctrl.Result{}, err
	}
	result, err := runPhases(ctx, s, r.claimEmail, r.listAccounts)
	conditions.SetSummary(user, "ready", clientareav1alpha1.UserConditionEmailClaimed)
	return result, err
}

// claimEmail claims the user's address, releases any address it held before
// (U4), and grants nothing while another User holds it (U1).
func (r *userReconciler) claimEmail(ctx context.Context, s *userScope) (ctrl.Result, error) {
	user, email := s.user, normalizedEmail(s.user)
	name := clientareav1alpha1.EmailClaimName(email)
	if err := r.releaseClaims(ctx, user, name); err != nil {
		return ctrl.Result{}, err
	}
	claim, err := claimName(ctx, r.Client, &clientareav1alpha1.EmailClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			clientareav1alpha1.ManagedByLabel: clientareav1alpha1.ManagedByValue, clientareav1alpha1.ClaimUserUIDLabel: string(user.UID)}},
		Spec: clientareav1alpha1.EmailClaimSpec{Email: clientareav1alpha1.EmailAddress(email), User: clientareav1alpha1.ObjectName(user.Name), UserUID: string(user.UID)},
	})
	if err != nil {
		return ctrl.Result{}, err
	}
	if claim.Spec.UserUID != string(user.UID) {
		return ctrl.Result{}, r.conflict(ctx, user, claim)
	}
	if user.Status.Email != email {
		r.Recorder.Eventf(user, nil, corev1.EventTypeNormal, string(clientareav1alpha1.UserReasonClaimed), "Claim", "access is granted to %s", email)
	}
	user.Status.Email = email
	conditions.Set(user, clientareav1alpha1.UserConditionEmailClaimed, metav1.ConditionTrue, clientareav1alpha1.UserReasonClaimed, "holds "+email)
	return ctrl.Result{}, nil
}

// conflict reports that another User holds the address (U1), unless that
// claim is stale: then it is released, and the claim watch brings us back.
func (r *userReconciler) conflict(ctx context.Context, user *clientareav1alpha1.User, claim *clientareav1alpha1.EmailClaim) error {
	if stale, err := r.releaseIfStale(ctx, claim); err != nil || stale {
		return err
	}
	user.Status.Email = ""
	if conditions.SetNoted(r.Recorder, user, clientareav1alpha1.UserConditionEmailClaimed, metav1.ConditionFalse, clientareav1alpha1.UserReasonEmailConflict,
		fmt.Sprintf("User %s already has the e-mail address %s; this User is granted nothing", claim.Spec.User, claim.Spec.Email), corev1.EventTypeWarning) {
		Conflicts.WithLabelValues(conflictEmail).Inc()
	}
	return nil
}

// releaseClaims deletes the user's claims other than keep: the addresses it
// no longer has (U4).
func (r *userReconciler) releaseClaims(ctx context.Context, user *clientareav1alpha1.User, keep string) error {
	claims := &clientareav1alpha1.EmailClaimList{}
	if err := r.List(ctx, claims, client.MatchingFields{indexClaimUserUID: string(user.UID)}); err != nil {
		return err
	}
	var errs []error
	for i := range claims.Items {
		claim := &claims.Items[i]
		if claim.Name != keep && claim.Spec.UserUID == string(user.UID) {
			errs = append(errs, releaseClaim(ctx, r.Client, claim))
		}
	}
	return kerrors.NewAggregate(errs)
}

// releaseIfStale deletes a claim whose User no longer exists (say, deleted
// while the operator was down), so that the address is free again.
func (r *userReconciler) releaseIfStale(ctx context.Context, claim *clientareav1alpha1.EmailClaim) (bool, error) {
	holder := &clientareav1alpha1.User{}
	err := r.Get(ctx, client.ObjectKey{Name: string(claim.Spec.User)}, holder)
	if err == nil && string(holder.UID) == claim.Spec.UserUID && normalizedEmail(holder) == string(claim.Spec.Email) {
		return false, nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return false, err
	}
	return true, releaseClaim(ctx, r.Client, claim)
}

// listAccounts lists every account the user owns or is a member of (U2):
// by a membership that names it, or by an invitation to the address it
// holds (M6); each with the account's display name, customer number and
// owner's address (A6), for the choice after login and User Management (W4).
func (r *userReconciler) listAccounts(ctx context.Context, s *userScope) (ctrl.Result, error) {
	owned := &clientareav1alpha1.AccountList{}
	if err := r.List(ctx, owned, client.MatchingFields{indexAccountOwner: s.user.Name}); err != nil {
		return ctrl.Result{}, err
	}
	memberships, err := r.membershipsOf(ctx, s.user)
	if err != nil {
		return ctrl.Result{}, err
	}
	accounts := make([]clientareav1alpha1.UserAccount, 0, len(owned.Items)+len(memberships))
	for _, account := range owned.Items {
		accounts = append(accounts, clientareav1alpha1.UserAccount{Account: account.Name, Namespace: account.Status.Namespace, Role: clientareav1alpha1.RoleOwner,
			DisplayName: account.Spec.DisplayName, CustomerNumber: account.Status.CustomerNumber, OwnerEmail: account.Status.OwnerEmail})
	}
	for _, membership := range memberships {
		name, ok := r.namespaces.accountOf(membership.Namespace)
		if !ok || membership.Status.State != clientareav1alpha1.MembershipActive || membership.Status.User != s.user.Name {
			continue
		}
		entry := clientareav1alpha1.UserAccount{Account: name, Namespace: membership.Namespace, Role: clientareav1alpha1.RoleMember,
			Permissions: slices.Clone(membership.Spec.Permissions)}
		account := &clientareav1alpha1.Account{}
		if err := r.Get(ctx, client.ObjectKey{Name: name}, account); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, err
		} else if err == nil {
			entry.DisplayName, entry.CustomerNumber, entry.OwnerEmail = account.Spec.DisplayName, account.Status.CustomerNumber, account.Status.OwnerEmail
		}
		accounts = append(accounts, entry)
	}
	// Owner before member for the same account, so that the one entry per
	// account kept below is the same on every reconcile, and an owner's own
	// (inert) membership does not list the account twice.
	slices.SortStableFunc(accounts, func(a, b clientareav1alpha1.UserAccount) int {
		if c := strings.Compare(a.Account, b.Account); c != 0 {
			return c
		}
		return strings.Compare(string(b.Role), string(a.Role)) // Owner before Member
	})
	s.user.Status.Accounts = slices.CompactFunc(accounts, func(a, b clientareav1alpha1.UserAccount) bool { return a.Account == b.Account })
	return ctrl.Result{}, nil
}

// membershipsOf lists the memberships that name the user and the
// invitations to the address it holds (M6), from the cache.
func (r *userReconciler) membershipsOf(ctx context.Context, user *clientareav1alpha1.User) ([]clientareav1alpha1.Membership, error) {
	byUser := &clientareav1alpha1.MembershipList{}
	if err := r.List(ctx, byUser, client.MatchingFields{indexMembershipUser: user.Name}); err != nil {
		return nil, err
	}
	if user.Status.Email == "" {
		return byUser.Items, nil
	}
	byEmail := &clientareav1alpha1.MembershipList{}
	if err := r.List(ctx, byEmail, client.MatchingFields{indexMembershipEmail: user.Status.Email}); err != nil {
		return nil, err
	}
	return append(byUser.Items, byEmail.Items...), nil
}

// holdOwnerDeletion holds the deletion of an owner until its accounts have
// moved (U3), then releases the user's address: access stops at once.
func (r *userReconciler) holdOwnerDeletion(ctx context.Context, s *userScope) (ctrl.Result, error) {
	user := s.user
	if !controllerutil.ContainsFinalizer(user, userFinalizer) {
		return ctrl.Result{}, nil
	}
	owned, err := r.ownedAccounts(ctx, user)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(owned) > 0 {
		conditions.Set(user, clientareav1alpha1.UserConditionDeletionBlocked, metav1.ConditionTrue, clientareav1alpha1.UserReasonOwnsAccounts,
			fmt.Sprintf("the user owns accounts %s; transfer them with an OwnershipTransfer first", strings.Join(owned, ", ")))
		return ctrl.Result{}, nil // the Account watch brings us back when ownership moves
	}
	if err := r.releaseClaims(ctx, user, ""); err != nil {
		return ctrl.Result{}, err
	}
	controllerutil.RemoveFinalizer(user, userFinalizer)
	return ctrl.Result{}, nil
}

// ownedAccounts names the accounts a user owns. It asks the API server, not
// the cache, which may not have seen an Account created a moment ago: a user
// let go while owning one would leave it without an owner (A1). The API
// server selects them (spec.owner is a selectable field of Accounts), so a
// User's deletion reads its own accounts, not every Account of the cluster.
func (r *userReconciler) ownedAccounts(ctx context.Context, user *clientareav1alpha1.User) ([]string, error) {
	accounts := &clientareav1alpha1.AccountList{}
	if err := r.APIReader.List(ctx, accounts, client.MatchingFields{indexAccountOwner: user.Name}); err != nil {
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
func (r *userReconciler) SetupWithManager(mgr ctrl.Manager) error {
	l := lookup{reader: r.Client, namespaces: r.namespaces}
	return ctrl.NewControllerManagedBy(mgr).
		// Every update, deletion included; our own status writes come back
		// as no-op reconciles.
		For(&clientareav1alpha1.User{}).
		Watches(&clientareav1alpha1.EmailClaim{}, handler.EnqueueRequestsFromMapFunc(l.usersWithEmailOf)).
		// status.accounts (U2): a burst of account and membership changes
		// is written once.
		// An account's owner, and its members, whose entries show the
		// account's display name and customer number (A6).
		Watches(&clientareav1alpha1.Account{}, enqueueBatched(r.BatchPeriod, l.usersOfAccount), builder.WithPredicates(accountListedChange)).
		Watches(&clientareav1alpha1.Membership{}, enqueueBatched(r.BatchPeriod, func(_ context.Context, obj client.Object) []reconcile.Request {
			return userOfMembership(obj.(*clientareav1alpha1.Membership))
		})).
		Named("user").
		Complete(r)
}

// userOfMembership maps a Membership to the User it names or, for an
// invitation by e-mail, the User that claimed the address (M6).
func userOfMembership(membership *clientareav1alpha1.Membership) []reconcile.Request {
	user := string(membership.Spec.User)
	if user == "" {
		user = membership.Status.User
	}
	if user == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: user}}}
}

// accountListedChange lets through the Account changes that a User's
// status.accounts shows or depends on: creation and deletion, the owner,
// the namespace, the display name, the customer number and the owner's
// address (U2, A6), and no other status write.
var accountListedChange = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		old, cur := e.ObjectOld.(*clientareav1alpha1.Account), e.ObjectNew.(*clientareav1alpha1.Account)
		return old.Spec.Owner != cur.Spec.Owner || old.Spec.DisplayName != cur.Spec.DisplayName ||
			old.Status.Namespace != cur.Status.Namespace || old.Status.CustomerNumber != cur.Status.CustomerNumber ||
			old.Status.OwnerEmail != cur.Status.OwnerEmail ||
			old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero() || !slices.Equal(old.Finalizers, cur.Finalizers)
	},
}
