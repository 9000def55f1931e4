package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/patch"
)

const membershipFinalizer = "clientarea.dev/membership"

// membershipReconciler turns each Membership's permissions into RoleBindings
// in the account namespace for the user's e-mail address, and nothing more
// (M2); an invitation by e-mail address waits for a User to claim it (M6).
type membershipReconciler struct {
	client.Client
	Clock      clock.PassiveClock
	Recorder   events.EventRecorder
	namespaces accountNamespaces
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=memberships,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=memberships/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=memberships/finalizers,verbs=update

// Reconcile grants or revokes one Membership's permissions.
func (r *membershipReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	membership := &clientareav1alpha1.Membership{}
	if err := r.Get(ctx, req.NamespacedName, membership); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	patcher := patch.NewHelper(membership, r.Client)
	defer patcher.PatchOnExit(ctx, membership, &retErr)

	if !membership.DeletionTimestamp.IsZero() {
		// Access goes at once (M2), before the Membership itself.
		if err := r.grant(ctx, membership, nil); err != nil {
			return ctrl.Result{}, err
		}
		controllerutil.RemoveFinalizer(membership, membershipFinalizer)
		return ctrl.Result{}, nil
	}
	if err := ensureFinalizer(ctx, patcher, membership, membershipFinalizer); err != nil {
		return ctrl.Result{}, err
	}
	verdict, err := r.evaluate(ctx, membership)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.grant(ctx, membership, verdict.grants(membership)); err != nil {
		return ctrl.Result{}, err
	}
	membership.Status.State, membership.Status.Email, membership.Status.User = verdict.state, verdict.email, verdict.user
	if verdict.state == clientareav1alpha1.MembershipActive && membership.Status.AcceptedAt == nil {
		// Accepted: from now on spec.invitationExpiresAt no longer applies (M5).
		membership.Status.AcceptedAt = &metav1.Time{Time: r.Clock.Now()}
	}
	readyStatus := metav1.ConditionFalse
	if verdict.state == clientareav1alpha1.MembershipActive {
		readyStatus = metav1.ConditionTrue
	}
	// Granted, pending, expired, revoked: each change is an event for the
	// owner to see.
	conditions.SetNoted(r.Recorder, membership, clientareav1alpha1.ConditionReady, readyStatus, verdict.reason, verdict.message, corev1.EventTypeNormal)
	return r.requeueAtExpiry(membership), nil
}

// verdict is whether a membership grants anything, to whom, and why.
type verdict struct {
	state   clientareav1alpha1.MembershipState
	reason  clientareav1alpha1.MembershipConditionReason
	message string
	// email is the address granted, user the User the membership is for
	// (status.user), when known.
	email string
	user  string
}

// grants are the RoleBindings an active membership asks for: one per
// permission, for the user's address (M2).
func (v verdict) grants(membership *clientareav1alpha1.Membership) []grant {
	if v.state != clientareav1alpha1.MembershipActive {
		return nil
	}
	grants := make([]grant, 0, len(membership.Spec.Permissions))
	for _, permission := range membership.Spec.Permissions {
		grants = append(grants, grant{
			name:        boundedName("clientarea-membership", membership.Name, permissionWord(permission)),
			clusterRole: PermissionClusterRole(permission),
			user:        v.email,
		})
	}
	return grants
}

func inactive(reason clientareav1alpha1.MembershipConditionReason, format string, args ...any) verdict {
	return verdict{state: clientareav1alpha1.MembershipInactive, reason: reason, message: fmt.Sprintf(format, args...)}
}

// evaluate decides whether the membership grants anything, and to whom: the
// User it names, or for an invitation by e-mail address the User that
// claimed the address (M6). The owner and duplicate rules (M4) apply to that
// User, whichever way the membership names it.
func (r *membershipReconciler) evaluate(ctx context.Context, membership *clientareav1alpha1.Membership) (verdict, error) {
	account, err := accountOfNamespace(ctx, r.Client, membership.Namespace)
	if err != nil || account == nil || !account.DeletionTimestamp.IsZero() {
		return inactive(clientareav1alpha1.MembershipReasonNotAnAccountNamespace, "namespace %s is not an account namespace", membership.Namespace), err
	}
	invited, err := invitee(ctx, r.Client, membership)
	if err != nil {
		return verdict{}, err
	}
	v, err := r.decide(ctx, membership, account, invited)
	v.user = invited.user
	return v, err
}

// decide is evaluate's verdict for the person the membership resolved to.
func (r *membershipReconciler) decide(ctx context.Context, membership *clientareav1alpha1.Membership, account *clientareav1alpha1.Account,
	invited person) (verdict, error) {
	byEmail := membership.Spec.Email != ""
	who := invited.user
	if byEmail {
		who = invitedEmail(membership)
	}
	if invited.user != "" && string(account.Spec.Owner) == invited.user {
		return inactive(clientareav1alpha1.MembershipReasonIsOwner, "%s owns account %s and has every permission already", who, account.Name), nil
	}
	if counting, err := r.countingMembershipOf(ctx, membership); err != nil || counting != membership.Name {
		return inactive(clientareav1alpha1.MembershipReasonDuplicate, "Membership %s already gives %s access to this account", counting, who), err
	}
	if expiresAt := membership.Spec.ExpiresAt; expiresAt != nil && !r.Clock.Now().Before(expiresAt.Time) {
		return verdict{state: clientareav1alpha1.MembershipExpired, reason: clientareav1alpha1.MembershipReasonExpired,
			message: "expired at " + formatTime(expiresAt.Time)}, nil
	}
	if lapsed, at := r.invitationLapsed(membership); lapsed {
		// Pending (or not yet seen active) when the invitation lapsed: it
		// stays so, whoever appears later (M5).
		return verdict{state: clientareav1alpha1.MembershipExpired, reason: clientareav1alpha1.MembershipReasonInvitationExpired,
			message: fmt.Sprintf("the invitation of %s expired at %s before it was accepted; renew it with a later spec.invitationExpiresAt, or invite again",
				who, formatTime(at))}, nil
	}
	invitationPending := verdict{state: clientareav1alpha1.MembershipPending, reason: clientareav1alpha1.MembershipReasonInvitationPending,
		message: fmt.Sprintf("invitation: no User has claimed %s yet", who)}
	if invited.user == "" {
		return invitationPending, nil
	}
	user := &clientareav1alpha1.User{}
	if err := r.Get(ctx, client.ObjectKey{Name: invited.user}, user); err != nil {
		if !apierrors.IsNotFound(err) {
			return verdict{}, err
		}
		if byEmail {
			return invitationPending, nil // a claim whose User is gone: released soon
		}
		return verdict{state: clientareav1alpha1.MembershipPending, reason: clientareav1alpha1.MembershipReasonUserNotFound,
			message: fmt.Sprintf("invitation: User %s does not exist yet", invited.user)}, nil
	}
	if byEmail && (user.Status.Email != invited.email || !user.DeletionTimestamp.IsZero()) {
		// The claim's User does not hold the address (yet, or any more):
		// access goes to the address only while a User holds it (U1, U4).
		return invitationPending, nil
	}
	if user.Status.Email == "" || !user.DeletionTimestamp.IsZero() {
		return verdict{state: clientareav1alpha1.MembershipPending, reason: clientareav1alpha1.MembershipReasonEmailNotClaimed,
			message: fmt.Sprintf("User %s holds no e-mail address (see its EmailClaimed condition)", user.Name)}, nil
	}
	return verdict{state: clientareav1alpha1.MembershipActive, reason: clientareav1alpha1.MembershipReasonGranted, email: user.Status.Email,
		message: fmt.Sprintf("%s may use %v in account %s", user.Status.Email, membership.Spec.Permissions, account.Name)}, nil
}

// countingMembershipOf names the Membership that counts among those of the
// same person in the namespace, by user name or by address (M4, M6).
func (r *membershipReconciler) countingMembershipOf(ctx context.Context, membership *clientareav1alpha1.Membership) (string, error) {
	same, err := membershipsOfSamePerson(ctx, r.Client, membership)
	if err != nil {
		return "", err
	}
	return countingMembership(same, membership), nil
}

func (r *membershipReconciler) grant(ctx context.Context, membership *clientareav1alpha1.Membership, grants []grant) error {
	return syncRoleBindings(ctx, r.Client, r.Scheme(), membership, membership.Namespace,
		map[string]string{clientareav1alpha1.GrantLabel: clientareav1alpha1.GrantMembership, clientareav1alpha1.MembershipUIDLabel: string(membership.UID)}, grants)
}

// invitationLapsed tells whether the membership's invitation lapsed: it has
// an invitationExpiresAt that has passed, and it has never been active (M5).
// The operator's clock decides, as for expiresAt.
func (r *membershipReconciler) invitationLapsed(membership *clientareav1alpha1.Membership) (bool, time.Time) {
	at := membership.Spec.InvitationExpiresAt
	if at == nil || membership.Status.AcceptedAt != nil {
		return false, time.Time{}
	}
	return !r.Clock.Now().Before(at.Time), at.Time
}

// requeueAtExpiry comes back when an active or pending membership expires,
// and when a pending one's invitation lapses (M5).
func (r *membershipReconciler) requeueAtExpiry(membership *clientareav1alpha1.Membership) ctrl.Result {
	state := membership.Status.State
	var next time.Duration
	comeBackAt := func(at *metav1.Time) {
		if remaining := at.Sub(r.Clock.Now()); remaining > 0 && (next == 0 || remaining < next) {
			next = remaining
		}
	}
	if membership.Spec.ExpiresAt != nil && (state == clientareav1alpha1.MembershipActive || state == clientareav1alpha1.MembershipPending) {
		comeBackAt(membership.Spec.ExpiresAt)
	}
	if membership.Spec.InvitationExpiresAt != nil && membership.Status.AcceptedAt == nil && state == clientareav1alpha1.MembershipPending {
		comeBackAt(membership.Spec.InvitationExpiresAt)
	}
	return ctrl.Result{RequeueAfter: next}
}

// permissionWord is the permission as it appears in binding names.
func permissionWord(permission clientareav1alpha1.Permission) string {
	return PermissionClusterRole(permission)[len(permissionClusterRolePrefix):]
}

// SetupWithManager watches Memberships, their RoleBindings, their Users, the
// claims of invited addresses, and the Accounts whose owner decides whether
// a membership counts.
func (r *membershipReconciler) SetupWithManager(mgr ctrl.Manager) error {
	l := lookup{reader: r.Client, namespaces: r.namespaces}
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.Membership{}).
		// Which of several Memberships for one user counts (M4) depends on
		// the others: a change to one re-evaluates them all.
		Watches(&clientareav1alpha1.Membership{}, handler.EnqueueRequestsFromMapFunc(l.membershipsOfSameUser)).
		Owns(&rbacv1.RoleBinding{}).
		Watches(&clientareav1alpha1.User{}, handler.EnqueueRequestsFromMapFunc(l.membershipsOfUser)).
		// An invitation by e-mail waits for a User to claim its address (M6).
		Watches(&clientareav1alpha1.EmailClaim{}, handler.EnqueueRequestsFromMapFunc(l.membershipsInvitingClaimed)).
		Watches(&clientareav1alpha1.Account{}, handler.EnqueueRequestsFromMapFunc(l.membershipsOfAccount)).
		Named("membership").
		Complete(r)
}
