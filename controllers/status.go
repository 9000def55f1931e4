package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// patchStatusIfChanged writes obj's status with a merge patch against before,
// and only when it changed: an idle operator writes nothing (G4).
func patchStatusIfChanged(ctx context.Context, c client.Client, before, obj client.Object, statusOf func(client.Object) any) error {
	if equality.Semantic.DeepEqual(statusOf(before), statusOf(obj)) {
		return nil
	}
	return c.Status().Patch(ctx, obj, client.MergeFrom(before))
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
			setCondition(conditions, generation, v1.ConditionReady, metav1.ConditionFalse, reason, message)
			return
		}
	}
	setCondition(conditions, generation, v1.ConditionReady, metav1.ConditionTrue, ReasonReady, "ready")
}
