package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/patch"
)

const (
	// previousOwnerMembershipPrefix names the Membership that keeps a
	// previous owner as a member with All.
	previousOwnerMembershipPrefix = "previous-owner"

	// waitForNewOwner is not a failure: the new owner's address is still
	// being claimed, or the account's namespace being made (both within
	// moments of their creation), and the transfer looks again after
	// newOwnerRecheck.
	waitForNewOwner = "WaitForNewOwner"
	newOwnerRecheck = time.Second
)

// ownershipTransferReconciler runs each OwnershipTransfer once (T1, T3): it
// checks the preconditions, moves spec.owner of the Account (the only path
// that may, A4), keeps or removes the previous owner, and records the result.
//
// Every step can be interrupted: status.previousOwner, written before the
// Account is touched, marks a transfer as started, so a restarted operator
// finishes it instead of judging its preconditions again.
type ownershipTransferReconciler struct {
	client.Client
	Clock    clock.PassiveClock
	Recorder events.EventRecorder
}

// transferScope is what the steps of one transfer share.
type transferScope struct {
	transfer *clientareav1alpha1.OwnershipTransfer
	account  *clientareav1alpha1.Account
	patcher  *patch.Helper
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=ownershiptransfers,verbs=get;list;watch
// +kubebuilder:rbac:groups=clientarea.dev,resources=ownershiptransfers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=memberships,verbs=create;delete

// Reconcile runs one transfer, or finishes one that was interrupted.
func (r *ownershipTransferReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	transfer := &clientareav1alpha1.OwnershipTransfer{}
	if err := r.Get(ctx, req.NamespacedName, transfer); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if finished(transfer) {
		return ctrl.Result{}, nil // a transfer runs once (T3)
	}
	s := &transferScope{transfer: transfer, account: &clientareav1alpha1.Account{}, patcher: patch.NewHelper(transfer, r.Client)}
	if err := r.Get(ctx, client.ObjectKey{Name: string(transfer.Spec.Account)}, s.account); err != nil {
		if apierrors.IsNotFound(err) && transfer.Status.PreviousOwner == "" {
			return ctrl.Result{}, r.fail(ctx, s, clientareav1alpha1.OwnershipTransferReasonAccountHasNoNamespace,
				fmt.Sprintf("Account %s does not exist", transfer.Spec.Account))
		}
		return ctrl.Result{}, err
	}
	// The steps of a transfer run in order until one fails, asks to come
	// back, or finishes the transfer (a precondition that does not hold).
	for _, step := range []phase[*transferScope]{r.start, r.moveOwner, r.settlePreviousOwner, r.complete} {
		result, err := step(ctx, s)
		if err != nil || result.RequeueAfter > 0 || finished(transfer) {
			return result, err
		}
	}
	return ctrl.Result{}, nil
}

func finished(transfer *clientareav1alpha1.OwnershipTransfer) bool {
	return transfer.Status.Phase == clientareav1alpha1.TransferCompleted || transfer.Status.Phase == clientareav1alpha1.TransferFailed
}

// start judges the preconditions of a transfer not yet started and, when
// they hold, records the previous owner before anything else changes.
func (r *ownershipTransferReconciler) start(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	transfer, account := s.transfer, s.account
	if transfer.Status.PreviousOwner != "" {
		return ctrl.Result{}, nil // started before an interruption
	}
	reason, message, err := r.checkPreconditions(ctx, transfer, account)
	switch {
	case err != nil:
		return ctrl.Result{}, err
	case reason == waitForNewOwner:
		return ctrl.Result{RequeueAfter: newOwnerRecheck}, nil
	case reason != "":
		return ctrl.Result{}, r.fail(ctx, s, reason, message)
	}
	transfer.Status.Phase = clientareav1alpha1.TransferPending
	transfer.Status.PreviousOwner = string(account.Spec.Owner)
	message = fmt.Sprintf("moving account %s from %s to %s", account.Name, account.Spec.Owner, transfer.Spec.NewOwner)
	conditions.Set(transfer, clientareav1alpha1.OwnershipTransferConditionSucceeded, metav1.ConditionUnknown, clientareav1alpha1.OwnershipTransferReasonInProgress, message)
	conditions.Set(transfer, clientareav1alpha1.ConditionReady, metav1.ConditionFalse, clientareav1alpha1.OwnershipTransferReasonInProgress, message)
	// Locked: a transfer read from a stale cache is never set back to Pending.
	return ctrl.Result{}, s.patcher.Patch(ctx, transfer, patch.WithObservedGeneration(), patch.WithOptimisticLock())
}

// checkPreconditions says why the transfer cannot run, or "" when it can.
func (r *ownershipTransferReconciler) checkPreconditions(ctx context.Context, transfer *clientareav1alpha1.OwnershipTransfer,
	account *clientareav1alpha1.Account) (reason clientareav1alpha1.OwnershipTransferConditionReason, message string, err error) {
	switch {
	case account.Spec.Owner != transfer.Spec.RequestedBy:
		return clientareav1alpha1.OwnershipTransferReasonRequesterNotOwner,
			fmt.Sprintf("%s asked for the transfer but %s owns account %s", transfer.Spec.RequestedBy, account.Spec.Owner, account.Name), nil
	case account.Spec.Owner == transfer.Spec.NewOwner:
		return clientareav1alpha1.OwnershipTransferReasonNewOwnerIsOwner, fmt.Sprintf("%s already owns account %s", transfer.Spec.NewOwner, account.Name), nil
	case !account.DeletionTimestamp.IsZero():
		return clientareav1alpha1.OwnershipTransferReasonAccountHasNoNamespace, fmt.Sprintf("account %s is being deleted", account.Name), nil
	case account.Status.Namespace == "" && conditions.IsFalse(account, clientareav1alpha1.AccountConditionNamespaceReady):
		return clientareav1alpha1.OwnershipTransferReasonAccountHasNoNamespace, fmt.Sprintf("account %s has no namespace of its own", account.Name), nil
	case account.Status.Namespace == "":
		return waitForNewOwner, "", nil // an Account created a moment ago: its namespace is being made
	}
	newOwner := &clientareav1alpha1.User{}
	if err := r.Get(ctx, client.ObjectKey{Name: string(transfer.Spec.NewOwner)}, newOwner); err != nil {
		if apierrors.IsNotFound(err) {
			return clientareav1alpha1.OwnershipTransferReasonNewOwnerNotFound, fmt.Sprintf("User %s does not exist", transfer.Spec.NewOwner), nil
		}
		return "", "", err
	}
	claimed := conditions.Get(newOwner, clientareav1alpha1.UserConditionEmailClaimed)
	if claimed == nil || claimed.ObservedGeneration != newOwner.Generation {
		return waitForNewOwner, "", nil // a User created a moment ago: its address is being claimed
	}
	if newOwner.Status.Email == "" || !newOwner.DeletionTimestamp.IsZero() {
		return clientareav1alpha1.OwnershipTransferReasonNewOwnerHasNoEmail,
			fmt.Sprintf("User %s holds no e-mail address (%s) or is being deleted", newOwner.Name, claimed.Message), nil
	}
	return "", "", nil
}

// moveOwner sets the account's owner, with the account's resourceVersion as
// read: if another transfer moved it meanwhile, the API server refuses the
// write, and this transfer fails without having changed anything.
func (r *ownershipTransferReconciler) moveOwner(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	transfer, account := s.transfer, s.account
	if account.Spec.Owner == transfer.Spec.NewOwner && account.Annotations[clientareav1alpha1.TransferAnnotation] == transfer.Name {
		return ctrl.Result{}, nil // done before an interruption
	}
	if string(account.Spec.Owner) != transfer.Status.PreviousOwner {
		return ctrl.Result{}, r.fail(ctx, s, clientareav1alpha1.OwnershipTransferReasonOwnerChangedMeanwhile,
			fmt.Sprintf("%s no longer owns account %s: %s does", transfer.Spec.RequestedBy, account.Name, account.Spec.Owner))
	}
	moved := account.DeepCopy()
	moved.Spec.Owner = transfer.Spec.NewOwner
	if moved.Annotations == nil {
		moved.Annotations = map[string]string{}
	}
	moved.Annotations[clientareav1alpha1.TransferAnnotation] = transfer.Name
	if err := r.Update(ctx, moved); err != nil {
		return ctrl.Result{}, err // a conflict comes back here and is judged on fresh data
	}
	*account = *moved
	return ctrl.Result{}, nil
}

// settlePreviousOwner keeps the previous owner as a member with All, or
// removes them, as the transfer asks (T1). Other Memberships of the previous
// owner, inert while they owned the account (M4), are removed either way, so
// that what they keep is exactly what the transfer says.
func (r *ownershipTransferReconciler) settlePreviousOwner(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	transfer, account := s.transfer, s.account
	previous := transfer.Status.PreviousOwner
	keep := boundedName(previousOwnerMembershipPrefix, previous)
	remove := transfer.Spec.PreviousOwner == clientareav1alpha1.PreviousOwnerRemove
	if account.Status.Namespace == "" {
		// A transfer resumed after a crash does not check the account
		// again, and a list in namespace "" is a list in every namespace:
		// the previous owner's Memberships in other accounts must stay.
		return ctrl.Result{}, fmt.Errorf("account %s has no namespace (yet) to settle its previous owner in", account.Name)
	}
	memberships := &clientareav1alpha1.MembershipList{}
	if err := r.List(ctx, memberships, client.InNamespace(account.Status.Namespace), client.MatchingFields{indexMembershipUser: previous}); err != nil {
		return ctrl.Result{}, err
	}
	for i := range memberships.Items {
		m := &memberships.Items[i]
		if m.Name == keep && !remove {
			continue
		}
		if err := client.IgnoreNotFound(r.Delete(ctx, m, client.Preconditions{UID: &m.UID})); err != nil {
			return ctrl.Result{}, err
		}
	}
	if remove {
		return ctrl.Result{}, nil
	}
	membership := &clientareav1alpha1.Membership{
		ObjectMeta: metav1.ObjectMeta{Name: keep, Namespace: account.Status.Namespace,
			Labels:      map[string]string{clientareav1alpha1.ManagedByLabel: clientareav1alpha1.ManagedByValue},
			Annotations: map[string]string{clientareav1alpha1.TransferAnnotation: transfer.Name}},
		Spec: clientareav1alpha1.MembershipSpec{User: clientareav1alpha1.ObjectName(previous), Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionAll}},
	}
	return ctrl.Result{}, client.IgnoreAlreadyExists(r.Create(ctx, membership))
}

// complete records the transfer on the account and on itself (T3, T4).
func (r *ownershipTransferReconciler) complete(ctx context.Context, s *transferScope) (ctrl.Result, error) {
	transfer, account := s.transfer, s.account
	now := metav1.NewTime(r.Clock.Now().Truncate(time.Second))
	if last := account.Status.LastTransfer; last == nil || last.Name != transfer.Name {
		// The Account's status is the Account controller's, but
		// lastTransfer is written only here, and with a merge patch of that
		// one field, so neither controller undoes the other's fields.
		accountPatcher := patch.NewHelper(account, r.Client)
		account.Status.LastTransfer = &clientareav1alpha1.TransferRecord{Name: transfer.Name, From: transfer.Status.PreviousOwner,
			To: string(transfer.Spec.NewOwner), CompletedAt: now}
		if err := accountPatcher.Patch(ctx, account); err != nil {
			return ctrl.Result{}, err
		}
	}
	message := fmt.Sprintf("account %s moved from %s to %s (ticket %s)", account.Name, transfer.Status.PreviousOwner, transfer.Spec.NewOwner, transfer.Spec.Ticket)
	if err := r.finish(ctx, s, clientareav1alpha1.TransferCompleted, metav1.ConditionTrue, clientareav1alpha1.OwnershipTransferReasonTransferred, message); err != nil {
		return ctrl.Result{}, err
	}
	transfersFinished.WithLabelValues(transferCompleted).Inc()
	r.Recorder.Eventf(account, transfer, corev1.EventTypeNormal, string(clientareav1alpha1.OwnershipTransferReasonTransferred), "TransferOwnership",
		"ownership moved from %s to %s by OwnershipTransfer %s (ticket %s)", transfer.Status.PreviousOwner, transfer.Spec.NewOwner, transfer.Name, transfer.Spec.Ticket)
	return ctrl.Result{}, nil
}

// fail ends the transfer as Failed; nothing was changed.
func (r *ownershipTransferReconciler) fail(ctx context.Context, s *transferScope, reason clientareav1alpha1.OwnershipTransferConditionReason, message string) error {
	if err := r.finish(ctx, s, clientareav1alpha1.TransferFailed, metav1.ConditionFalse, reason, message); err != nil {
		return err
	}
	transfersFinished.WithLabelValues(transferFailed).Inc()
	r.Recorder.Eventf(s.transfer, nil, corev1.EventTypeWarning, string(reason), "TransferOwnership", "the transfer failed and changed nothing: %s", message)
	return nil
}

// finish records the outcome: Succeeded says it, and Ready follows it, True
// only for a completed transfer, so that `kubectl wait --for=condition=Ready`
// never takes a failure for success. The status is written only if the
// transfer is still as it was read: a reconcile that read it from a cache
// that had not yet seen it finish gets a conflict instead of finishing it a
// second time (and counting and announcing it twice).
func (r *ownershipTransferReconciler) finish(ctx context.Context, s *transferScope, phase clientareav1alpha1.TransferPhase,
	status metav1.ConditionStatus, reason clientareav1alpha1.OwnershipTransferConditionReason, message string) error {
	transfer := s.transfer
	now := metav1.NewTime(r.Clock.Now().Truncate(time.Second))
	transfer.Status.Phase = phase
	transfer.Status.CompletedAt = &now
	conditions.Set(transfer, clientareav1alpha1.OwnershipTransferConditionSucceeded, status, reason, message)
	readyMessage := "the transfer is complete"
	if status != metav1.ConditionTrue {
		readyMessage = "the transfer failed and changed nothing: " + message
	}
	conditions.Set(transfer, clientareav1alpha1.ConditionReady, status, reason, readyMessage)
	return s.patcher.Patch(ctx, transfer, patch.WithObservedGeneration(), patch.WithOptimisticLock())
}

// SetupWithManager watches OwnershipTransfers. A transfer waits for nothing
// else: a precondition that does not hold ends it as Failed.
func (r *ownershipTransferReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.OwnershipTransfer{}).
		Named("ownershiptransfer").
		Complete(r)
}
