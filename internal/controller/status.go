package controller

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// patchStatusIfChanged writes obj's status with a merge patch against before,
// and only when it changed: an idle operator writes nothing (G4).
func patchStatusIfChanged(ctx context.Context, c client.Client, before, obj client.Object, statusOf func(client.Object) any) error {
	if equality.Semantic.DeepEqual(statusOf(before), statusOf(obj)) {
		return nil
	}
	return c.Status().Patch(ctx, obj, client.MergeFrom(before))
}

// patchStatusOnExit is deferred by every Reconcile, with before taken when
// the object was read: it writes the status once, at the end, if it changed,
// and adds a failure to the reconcile's error.
func patchStatusOnExit(ctx context.Context, c client.Client, before, obj client.Object, statusOf func(client.Object) any, retErr *error) {
	if err := patchStatusIfChanged(ctx, c, before, obj, statusOf); err != nil && !apierrors.IsNotFound(err) {
		*retErr = kerrors.NewAggregate([]error{*retErr, fmt.Errorf("patching status: %w", err)})
	}
}

// ensureFinalizer adds a finalizer, writing only when it was missing.
func ensureFinalizer(ctx context.Context, c client.Client, obj client.Object, finalizer string) error {
	if !controllerutil.AddFinalizer(obj, finalizer) {
		return nil
	}
	return c.Update(ctx, obj)
}

// releaseFinalizer removes a finalizer, writing only when it was there.
func releaseFinalizer(ctx context.Context, c client.Client, obj client.Object, finalizer string) error {
	if !controllerutil.RemoveFinalizer(obj, finalizer) {
		return nil
	}
	return c.Update(ctx, obj)
}

// setCondition sets a condition for the object's current generation.
// meta.SetStatusCondition keeps lastTransitionTime unless the status flips,
// so setting the same condition again changes nothing.
func setCondition(conditions *[]metav1.Condition, generation int64, conditionType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conditions, metav1.Condition{
		Type:               conditionType,
		Status:             status,
		ObservedGeneration: generation,
		Reason:             reason,
		Message:            message,
	})
}

// setNotedCondition sets a condition like setCondition and, when it changes
// (status, reason or message), records the change as an event on obj: the
// state changes a person wants to see in `kubectl events`. Setting the same
// condition again records nothing. It reports whether it changed, so that a
// caller can count the change once.
func setNotedCondition(recorder events.EventRecorder, obj runtime.Object, conditions *[]metav1.Condition, generation int64,
	conditionType string, status metav1.ConditionStatus, reason, message, eventType string) bool {
	previous := meta.FindStatusCondition(*conditions, conditionType)
	changed := previous == nil || previous.Status != status || previous.Reason != reason || previous.Message != message
	setCondition(conditions, generation, conditionType, status, reason, message)
	if changed && recorder != nil {
		recorder.Eventf(obj, nil, eventType, reason, conditionType, "%s", message)
	}
	return changed
}

// setSummaryReady sets Ready to True when every one of the given conditions is
// True, and otherwise to False with the first one that is not, and why.
func setSummaryReady(conditions *[]metav1.Condition, generation int64, required ...string) {
	for _, conditionType := range required {
		condition := meta.FindStatusCondition(*conditions, conditionType)
		if condition == nil || condition.Status != metav1.ConditionTrue {
			reason, message := ReasonNotReady, conditionType+" is not known yet"
			if condition != nil {
				reason, message = condition.Reason, conditionType+": "+condition.Message
			}
			setCondition(conditions, generation, clientareav1alpha1.ConditionReady, metav1.ConditionFalse, reason, message)
			return
		}
	}
	setCondition(conditions, generation, clientareav1alpha1.ConditionReady, metav1.ConditionTrue, ReasonReady, "ready")
}
