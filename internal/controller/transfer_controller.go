package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// OwnershipTransfer condition types and reasons (T3).
const (
	// ConditionSucceeded is True once a transfer completed, False with the
	// reason when it failed.
	ConditionSucceeded = "Succeeded"

	ReasonTransferred           = "Transferred"
	ReasonTransferPending       = "InProgress"
	ReasonNotOwner              = "RequesterNotOwner"
	ReasonNewOwnerNotFound      = "NewOwnerNotFound"
	ReasonNewOwnerNotUsable     = "NewOwnerHasNoEmail"
	ReasonAlreadyOwner          = "NewOwnerIsOwner"
	ReasonAccountNotReady       = "AccountHasNoNamespace"
	ReasonOwnerChangedMeanwhile = "OwnerChangedMeanwhile"

	// TransferAnnotation on an Account names the OwnershipTransfer that set
	// its owner; the admission policy of A4 lets the operator change
	// spec.owner only together with it.
	TransferAnnotation = "clientarea.dev/ownership-transfer"
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

// OwnershipTransferReconciler runs each OwnershipTransfer once (T1, T3): it
// checks the preconditions, moves spec.owner of the Account (the only path
// that may, A4), keeps or removes the previous owner, and records the result.
//
// Every step can be interrupted: status.previousOwner, written before the
// Account is touched, marks a transfer as started, so a restarted operator
// finishes it instead of judging its preconditions again.
type OwnershipTransferReconciler struct {
	client.Client
	Clock    clock.PassiveClock
	Recorder events.EventRecorder
}

// +kubebuilder:rbac:groups=clientarea.dev,resources=ownershiptransfers,verbs=get;list;watch
// +kubebuilder:rbac:groups=clientarea.dev,resources=ownershiptransfers/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=memberships,verbs=create;delete

// Reconcile runs one transfer, or finishes one that was interrupted.
func (r *OwnershipTransferReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	transfer := &clientareav1alpha1.OwnershipTransfer{}
	if err := r.Get(ctx, req.NamespacedName, transfer); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if finished(transfer) {
		return ctrl.Result{}, nil // a transfer runs once (T3)
	}
	account := &clientareav1alpha1.Account{}
	if err := r.Get(ctx, client.ObjectKey{Name: string(transfer.Spec.Account)}, account); err != nil {
		if apierrors.IsNotFound(err) && transfer.Status.PreviousOwner == "" {
			return ctrl.Result{}, r.fail(ctx, transfer, ReasonAccountNotReady, fmt.Sprintf("Account %s does not exist", transfer.Spec.Account))
		}
		return ctrl.Result{}, err
	}
	if transfer.Status.PreviousOwner == "" {
		reason, message, err := r.checkPreconditions(ctx, transfer, account)
		switch {
		case err != nil:
			return ctrl.Result{}, err
		case reason == waitForNewOwner:
			return ctrl.Result{RequeueAfter: newOwnerRecheck}, nil
		case reason != "":
			return ctrl.Result{}, r.fail(ctx, transfer, reason, message)
		}
		if err := r.markStarted(ctx, transfer, account); err != nil {
			return ctrl.Result{}, err
		}
	}
	if err := r.moveOwner(ctx, transfer, account); err != nil {
		return ctrl.Result{}, err
	}
	if finished(transfer) {
		return ctrl.Result{}, nil // failed: another transfer moved the account first
	}
	if err := r.settlePreviousOwner(ctx, transfer, account); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, r.complete(ctx, transfer, account)
}

func finished(transfer *clientareav1alpha1.OwnershipTransfer) bool {
	return transfer.Status.Phase == clientareav1alpha1.TransferCompleted || transfer.Status.Phase == clientareav1alpha1.TransferFailed
}

// checkPreconditions says why the transfer cannot run, or "" when it can.
func (r *OwnershipTransferReconciler) checkPreconditions(ctx context.Context, transfer *clientareav1alpha1.OwnershipTransfer, account *clientareav1alpha1.Account) (reason, message string, err error) {
	if account.Spec.Owner != transfer.Spec.RequestedBy {
		return ReasonNotOwner, fmt.Sprintf("%s asked for the transfer but %s owns account %s", transfer.Spec.RequestedBy, account.Spec.Owner, account.Name), nil
	}
	if account.Spec.Owner == transfer.Spec.NewOwner {
		return ReasonAlreadyOwner, fmt.Sprintf("%s already owns account %s", transfer.Spec.NewOwner, account.Name), nil
	}
	if !account.DeletionTimestamp.IsZero() {
		return ReasonAccountNotReady, fmt.Sprintf("account %s is being deleted", account.Name), nil
	}
	if account.Status.Namespace == "" {
		if meta.IsStatusConditionFalse(account.Status.Conditions, ConditionNamespaceReady) {
			return ReasonAccountNotReady, fmt.Sprintf("account %s has no namespace of its own", account.Name), nil
		}
		return waitForNewOwner, "", nil // an Account created a moment ago: its namespace is being made
	}
	newOwner := &clientareav1alpha1.User{}
	if err := r.Get(ctx, client.ObjectKey{Name: string(transfer.Spec.NewOwner)}, newOwner); err != nil {
		if apierrors.IsNotFound(err) {
			return ReasonNewOwnerNotFound, fmt.Sprintf("User %s does not exist", transfer.Spec.NewOwner), nil
		}
		return "", "", err
	}
	claimed := meta.FindStatusCondition(newOwner.Status.Conditions, ConditionEmailClaimed)
	if claimed == nil || claimed.ObservedGeneration != newOwner.Generation {
		return waitForNewOwner, "", nil // a User created a moment ago: its address is being claimed
	}
	if newOwner.Status.Email == "" || !newOwner.DeletionTimestamp.IsZero() {
		return ReasonNewOwnerNotUsable, fmt.Sprintf("User %s holds no e-mail address (%s) or is being deleted", newOwner.Name, claimed.Message), nil
	}
	return "", "", nil
}

// markStarted records the previous owner before anything else changes.
func (r *OwnershipTransferReconciler) markStarted(ctx context.Context, transfer *clientareav1alpha1.OwnershipTransfer, account *clientareav1alpha1.Account) error {
	before := transfer.DeepCopy()
	transfer.Status.Phase = clientareav1alpha1.TransferPending
	transfer.Status.PreviousOwner = string(account.Spec.Owner)
	transfer.Status.ObservedGeneration = transfer.Generation
	setCondition(&transfer.Status.Conditions, transfer.Generation, ConditionSucceeded, metav1.ConditionUnknown, ReasonTransferPending,
		fmt.Sprintf("moving account %s from %s to %s", account.Name, account.Spec.Owner, transfer.Spec.NewOwner))
	return r.Status().Patch(ctx, transfer, client.MergeFrom(before))
}

// moveOwner sets the account's owner, with the account's resourceVersion as
// read: if another transfer moved it meanwhile, the API server refuses the
// write, and this transfer fails without having changed anything.
func (r *OwnershipTransferReconciler) moveOwner(ctx context.Context, transfer *clientareav1alpha1.OwnershipTransfer, account *clientareav1alpha1.Account) error {
	if account.Spec.Owner == transfer.Spec.NewOwner && account.Annotations[TransferAnnotation] == transfer.Name {
		return nil // done before an interruption
	}
	if string(account.Spec.Owner) != transfer.Status.PreviousOwner {
		return r.fail(ctx, transfer, ReasonOwnerChangedMeanwhile,
			fmt.Sprintf("%s no longer owns account %s: %s does", transfer.Spec.RequestedBy, account.Name, account.Spec.Owner))
	}
	moved := account.DeepCopy()
	moved.Spec.Owner = transfer.Spec.NewOwner
	if moved.Annotations == nil {
		moved.Annotations = map[string]string{}
	}
	moved.Annotations[TransferAnnotation] = transfer.Name
	if err := r.Update(ctx, moved); err != nil {
		return err // a conflict comes back here and is judged on fresh data
	}
	*account = *moved
	return nil
}

// settlePreviousOwner keeps the previous owner as a member with All, or
// removes them, as the transfer asks (T1). Other Memberships of the previous
// owner, inert while they owned the account (M4), are removed either way, so
// that what they keep is exactly what the transfer says.
func (r *OwnershipTransferReconciler) settlePreviousOwner(ctx context.Context, transfer *clientareav1alpha1.OwnershipTransfer, account *clientareav1alpha1.Account) error {
	previous := transfer.Status.PreviousOwner
	keep := boundedName(previousOwnerMembershipPrefix, previous)
	memberships := &clientareav1alpha1.MembershipList{}
	if err := r.List(ctx, memberships, client.InNamespace(account.Status.Namespace), client.MatchingFields{indexMembershipUser: previous}); err != nil {
		return err
	}
	for i := range memberships.Items {
		m := &memberships.Items[i]
		if m.Name == keep && transfer.Spec.PreviousOwner != clientareav1alpha1.PreviousOwnerRemove {
			continue
		}
		if err := client.IgnoreNotFound(r.Delete(ctx, m, client.Preconditions{UID: &m.UID})); err != nil {
			return err
		}
	}
	if transfer.Spec.PreviousOwner == clientareav1alpha1.PreviousOwnerRemove {
		return nil
	}
	membership := &clientareav1alpha1.Membership{
		ObjectMeta: metav1.ObjectMeta{Name: keep, Namespace: account.Status.Namespace,
			Labels: map[string]string{ManagedByLabel: ManagedByValue}, Annotations: map[string]string{TransferAnnotation: transfer.Name}},
		Spec: clientareav1alpha1.MembershipSpec{User: clientareav1alpha1.ObjectName(previous), Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionAll}},
	}
	return client.IgnoreAlreadyExists(r.Create(ctx, membership))
}

// complete records the transfer on the account and on itself (T3, T4).
func (r *OwnershipTransferReconciler) complete(ctx context.Context, transfer *clientareav1alpha1.OwnershipTransfer, account *clientareav1alpha1.Account) error {
	now := metav1.NewTime(r.Clock.Now().Truncate(time.Second))
	record := &clientareav1alpha1.TransferRecord{Name: transfer.Name, From: transfer.Status.PreviousOwner, To: string(transfer.Spec.NewOwner), CompletedAt: now}
	if last := account.Status.LastTransfer; last == nil || last.Name != transfer.Name {
		before := account.DeepCopy()
		account.Status.LastTransfer = record
		if err := r.Status().Patch(ctx, account, client.MergeFrom(before)); err != nil {
			return err
		}
	}
	before := transfer.DeepCopy()
	transfer.Status.Phase = clientareav1alpha1.TransferCompleted
	transfer.Status.CompletedAt = &now
	transfer.Status.ObservedGeneration = transfer.Generation
	setCondition(&transfer.Status.Conditions, transfer.Generation, ConditionSucceeded, metav1.ConditionTrue, ReasonTransferred,
		fmt.Sprintf("account %s moved from %s to %s (ticket %s)", account.Name, transfer.Status.PreviousOwner, transfer.Spec.NewOwner, transfer.Spec.Ticket))
	setCondition(&transfer.Status.Conditions, transfer.Generation, clientareav1alpha1.ConditionReady, metav1.ConditionTrue, ReasonTransferred, "the transfer is complete")
	if err := r.Status().Patch(ctx, transfer, finishOnce(before)); err != nil {
		return err
	}
	TransfersFinished.WithLabelValues(transferCompleted).Inc()
	r.Recorder.Eventf(account, transfer, corev1.EventTypeNormal, ReasonTransferred, "TransferOwnership",
		"ownership moved from %s to %s by OwnershipTransfer %s (ticket %s)", transfer.Status.PreviousOwner, transfer.Spec.NewOwner, transfer.Name, transfer.Spec.Ticket)
	return nil
}

// finishOnce patches a transfer's status to finished only if it is still as
// it was read: a reconcile that read the transfer from a cache that had not
// yet seen it finish gets a conflict, instead of finishing it a second time
// (and counting and announcing it twice).
func finishOnce(before *clientareav1alpha1.OwnershipTransfer) client.Patch {
	return client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
}

// fail ends the transfer as Failed; nothing was changed.
func (r *OwnershipTransferReconciler) fail(ctx context.Context, transfer *clientareav1alpha1.OwnershipTransfer, reason, message string) error {
	before := transfer.DeepCopy()
	now := metav1.NewTime(r.Clock.Now().Truncate(time.Second))
	transfer.Status.Phase = clientareav1alpha1.TransferFailed
	transfer.Status.CompletedAt = &now
	transfer.Status.ObservedGeneration = transfer.Generation
	setCondition(&transfer.Status.Conditions, transfer.Generation, ConditionSucceeded, metav1.ConditionFalse, reason, message)
	setCondition(&transfer.Status.Conditions, transfer.Generation, clientareav1alpha1.ConditionReady, metav1.ConditionTrue, reason, "the transfer has finished: it failed and changed nothing")
	if err := r.Status().Patch(ctx, transfer, finishOnce(before)); err != nil {
		return err
	}
	TransfersFinished.WithLabelValues(transferFailed).Inc()
	r.Recorder.Eventf(transfer, nil, corev1.EventTypeWarning, reason, "TransferOwnership", "the transfer failed and changed nothing: %s", message)
	return nil
}

// SetupWithManager watches OwnershipTransfers. A transfer waits for nothing
// else: a precondition that does not hold ends it as Failed.
func (r *OwnershipTransferReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.OwnershipTransfer{}).
		Named("ownershiptransfer").
		Complete(r)
}
