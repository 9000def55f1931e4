package controller

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// Membership condition reasons. Ready says whether the permissions are in
// effect and, when not, why (M4, M5).
const (
	ReasonGranted          = "Granted"
	ReasonUserNotFound     = "UserNotFound"
	ReasonEmailNotClaimed  = "EmailNotClaimed"
	ReasonIsOwner          = "IsOwner"
	ReasonDuplicate        = "Duplicate"
	ReasonExpired          = "Expired"
	ReasonNotAnAccount     = "NotAnAccountNamespace"
	ReasonAccountNotFound  = "AccountNotFound"
	membershipFinalizer    = "clientarea.dev/membership"
	indexMembershipUser    = "spec.user"
	membershipStateUnknown = ""
)

// MembershipReconciler turns each Membership's permissions into RoleBindings
// in the account namespace for the user's e-mail address, and nothing more (M2).
type MembershipReconciler struct {
	client.Client
	Clock    clock.PassiveClock
	Recorder events.EventRecorder
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=memberships,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=memberships/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=memberships/finalizers,verbs=update

// Reconcile grants or revokes one Membership's permissions.
func (r *MembershipReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	membership := &clientareav1alpha1.Membership{}
	if err := r.Get(ctx, req.NamespacedName, membership); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	defer patchStatusOnExit(ctx, r.Client, membership.DeepCopy(), membership, membershipStatus, &retErr)

	if !membership.DeletionTimestamp.IsZero() {
		// Access goes at once (M2), before the Membership itself.
		if err := r.grant(ctx, membership, nil); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{}, releaseFinalizer(ctx, r.Client, membership, membershipFinalizer)
	}
	if err := ensureFinalizer(ctx, r.Client, membership, membershipFinalizer); err != nil {
		return ctrl.Result{}, err
	}

	state, reason, message, email, err := r.evaluate(ctx, membership)
	if err != nil {
		return ctrl.Result{}, err
	}
	var grants []grant
	if state == clientareav1alpha1.MembershipActive {
		for _, permission := range membership.Spec.Permissions {
			grants = append(grants, grant{
				name:        boundedName("clientarea-membership", membership.Name, permissionWord(permission)),
				clusterRole: PermissionClusterRole(permission),
				user:        email,
			})
		}
	}
	if err := r.grant(ctx, membership, grants); err != nil {
		return ctrl.Result{}, err
	}

	membership.Status.State = state
	membership.Status.Email = email
	readyStatus := metav1.ConditionFalse
	if state == clientareav1alpha1.MembershipActive {
		readyStatus = metav1.ConditionTrue
	}
	// Granted, pending, expired, revoked: each change is an event for the
	// owner to see.
	setNotedCondition(r.Recorder, membership, &membership.Status.Conditions, membership.Generation, clientareav1alpha1.ConditionReady, readyStatus, reason, message,
		corev1.EventTypeNormal)
	membership.Status.ObservedGeneration = membership.Generation
	return r.requeueAtExpiry(membership, state), nil
}

func membershipStatus(obj client.Object) any { return obj.(*clientareav1alpha1.Membership).Status }

func permissionWord(permission clientareav1alpha1.Permission) string {
	return PermissionClusterRole(permission)[len(permissionClusterRolePrefix):]
}

// evaluate decides whether the membership grants anything, and to whom.
func (r *MembershipReconciler) evaluate(ctx context.Context, membership *clientareav1alpha1.Membership) (state clientareav1alpha1.MembershipState, reason, message, email string, err error) {
	account, err := r.accountOf(ctx, membership.Namespace)
	if err != nil || account == nil {
		return clientareav1alpha1.MembershipInactive, ReasonNotAnAccount, fmt.Sprintf("namespace %s is not an account namespace", membership.Namespace), "", err
	}
	if string(account.Spec.Owner) == string(membership.Spec.User) {
		return clientareav1alpha1.MembershipInactive, ReasonIsOwner, fmt.Sprintf("%s owns account %s and has every permission already", membership.Spec.User, account.Name), "", nil
	}
	if first, err := r.firstMembershipOf(ctx, membership); err != nil || first != membership.Name {
		return clientareav1alpha1.MembershipInactive, ReasonDuplicate, fmt.Sprintf("Membership %s already gives %s access to this account", first, membership.Spec.User), "", err
	}
	if expiresAt := membership.Spec.ExpiresAt; expiresAt != nil && !r.Clock.Now().Before(expiresAt.Time) {
		return clientareav1alpha1.MembershipExpired, ReasonExpired, fmt.Sprintf("expired at %s", expiresAt.UTC().Format(time.RFC3339)), "", nil
	}
	user := &clientareav1alpha1.User{}
	if err := r.Get(ctx, client.ObjectKey{Name: string(membership.Spec.User)}, user); err != nil {
		if apierrors.IsNotFound(err) {
			return clientareav1alpha1.MembershipPending, ReasonUserNotFound, fmt.Sprintf("invitation: User %s does not exist yet", membership.Spec.User), "", nil
		}
		return membershipStateUnknown, "", "", "", err
	}
	if user.Status.Email == "" || !user.DeletionTimestamp.IsZero() {
		return clientareav1alpha1.MembershipPending, ReasonEmailNotClaimed, fmt.Sprintf("User %s holds no e-mail address (see its EmailClaimed condition)", user.Name), "", nil
	}
	return clientareav1alpha1.MembershipActive, ReasonGranted, fmt.Sprintf("%s may use %v in account %s", user.Status.Email, membership.Spec.Permissions, account.Name), user.Status.Email, nil
}

// accountOf returns the Account whose namespace this is, or nil.
func (r *MembershipReconciler) accountOf(ctx context.Context, namespace string) (*clientareav1alpha1.Account, error) {
	ns := &corev1.Namespace{}
	if err := r.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
		return nil, client.IgnoreNotFound(err) // not in the cache: not an account namespace
	}
	name := ns.Labels[AccountLabel]
	account := &clientareav1alpha1.Account{}
	if err := r.Get(ctx, client.ObjectKey{Name: name}, account); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	if !metav1.IsControlledBy(ns, account) || !account.DeletionTimestamp.IsZero() {
		return nil, nil
	}
	return account, nil
}

// firstMembershipOf returns the name of the oldest Membership for the same
// user in the namespace: the one that counts when there are several (M4).
func (r *MembershipReconciler) firstMembershipOf(ctx context.Context, membership *clientareav1alpha1.Membership) (string, error) {
	same := &clientareav1alpha1.MembershipList{}
	if err := r.List(ctx, same, client.InNamespace(membership.Namespace), client.MatchingFields{indexMembershipUser: string(membership.Spec.User)}); err != nil {
		return "", err
	}
	candidates := slices.DeleteFunc(same.Items, func(m clientareav1alpha1.Membership) bool { return !m.DeletionTimestamp.IsZero() })
	first := slices.MinFunc(append(candidates, *membership), func(a, b clientareav1alpha1.Membership) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmpStrings(a.Name, b.Name)
	})
	return first.Name, nil
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (r *MembershipReconciler) grant(ctx context.Context, membership *clientareav1alpha1.Membership, grants []grant) error {
	return syncRoleBindings(ctx, r.Client, r.Scheme(), membership, membership.Namespace,
		map[string]string{GrantLabel: grantMembership, MembershipUIDLabel: string(membership.UID)}, grants)
}

// requeueAtExpiry comes back when an active or pending membership expires (M5).
func (r *MembershipReconciler) requeueAtExpiry(membership *clientareav1alpha1.Membership, state clientareav1alpha1.MembershipState) ctrl.Result {
	if membership.Spec.ExpiresAt == nil || (state != clientareav1alpha1.MembershipActive && state != clientareav1alpha1.MembershipPending) {
		return ctrl.Result{}
	}
	remaining := membership.Spec.ExpiresAt.Sub(r.Clock.Now())
	if remaining <= 0 {
		return ctrl.Result{}
	}
	return ctrl.Result{RequeueAfter: remaining}
}

// SetupWithManager watches Memberships, their RoleBindings, their Users, and
// the Accounts whose owner decides whether a membership counts.
func (r *MembershipReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.Membership{}).
		// Which of several Memberships for one user counts (M4) depends on
		// the others: a change to one re-evaluates them all.
		Watches(&clientareav1alpha1.Membership{}, handler.EnqueueRequestsFromMapFunc(r.membershipsOfSameUser)).
		Owns(&rbacv1.RoleBinding{}).
		Watches(&clientareav1alpha1.User{}, handler.EnqueueRequestsFromMapFunc(r.membershipsOfUser)).
		Watches(&clientareav1alpha1.Account{}, handler.EnqueueRequestsFromMapFunc(r.membershipsOfAccount)).
		Named("membership").
		Complete(r)
}

func (r *MembershipReconciler) membershipsOfUser(ctx context.Context, user client.Object) []reconcile.Request {
	return r.requestsFor(ctx, client.MatchingFields{indexMembershipUser: user.GetName()})
}

func (r *MembershipReconciler) membershipsOfSameUser(ctx context.Context, membership client.Object) []reconcile.Request {
	return r.requestsFor(ctx, client.InNamespace(membership.GetNamespace()),
		client.MatchingFields{indexMembershipUser: string(membership.(*clientareav1alpha1.Membership).Spec.User)})
}

func (r *MembershipReconciler) membershipsOfAccount(ctx context.Context, account client.Object) []reconcile.Request {
	namespace := account.(*clientareav1alpha1.Account).Status.Namespace
	if namespace == "" {
		return nil
	}
	return r.requestsFor(ctx, client.InNamespace(namespace))
}

func (r *MembershipReconciler) requestsFor(ctx context.Context, opts ...client.ListOption) []reconcile.Request {
	return listRequests(ctx, r.Client, &clientareav1alpha1.MembershipList{}, opts...)
}
