// Package conditions sets and reads the conditions of this API's objects.
// A condition is always set for the object's current generation, and its
// lastTransitionTime moves only when its status flips, so that setting the
// same condition again changes nothing and an idle operator writes nothing
// (G4).
package conditions

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// Getter is an object with conditions.
type Getter interface {
	client.Object
	GetConditions() []metav1.Condition
}

// Setter is an object whose conditions can be set.
type Setter interface {
	Getter
	SetConditions([]metav1.Condition)
}

// Set sets a condition with ObservedGeneration = obj.GetGeneration();
// lastTransitionTime changes only when the status flips
// (meta.SetStatusCondition). It reports whether the status, reason or
// message changed: a new observedGeneration alone is not a change a person
// would want to hear about.
func Set[T, R ~string](obj Setter, conditionType T, status metav1.ConditionStatus, reason R, message string) bool {
	conditions := obj.GetConditions()
	previous := meta.FindStatusCondition(conditions, string(conditionType))
	changed := previous == nil || previous.Status != status || previous.Reason != string(reason) || previous.Message != message
	meta.SetStatusCondition(&conditions, metav1.Condition{
		Type:               string(conditionType),
		Status:             status,
		ObservedGeneration: obj.GetGeneration(),
		Reason:             string(reason),
		Message:            message,
	})
	obj.SetConditions(conditions)
	return changed
}

// SetNoted is Set, and records the change as an event on obj when it
// changed: the state changes a person wants to see in `kubectl events`.
// Setting the same condition again records nothing, and a nil recorder
// records nothing. It reports whether the condition changed, so that a
// caller can count the change once.
func SetNoted[T, R ~string](recorder events.EventRecorder, obj Setter, conditionType T, status metav1.ConditionStatus, reason R,
	message, eventType string) bool {
	changed := Set(obj, conditionType, status, reason, message)
	if changed && recorder != nil {
		recorder.Eventf(obj, nil, eventType, string(reason), string(conditionType), "%s", message)
	}
	return changed
}

// Get returns a copy of the condition of the given type, or nil when obj
// has none. It is a copy so that a change goes through Set.
func Get[T ~string](obj Getter, conditionType T) *metav1.Condition {
	condition := meta.FindStatusCondition(obj.GetConditions(), string(conditionType))
	if condition == nil {
		return nil
	}
	c := *condition
	return &c
}

// IsTrue reports whether obj has the condition, with status True.
func IsTrue[T ~string](obj Getter, conditionType T) bool {
	return meta.IsStatusConditionTrue(obj.GetConditions(), string(conditionType))
}

// IsFalse reports whether obj has the condition, with status False. A
// missing or Unknown condition is neither true nor false.
func IsFalse[T ~string](obj Getter, conditionType T) bool {
	return meta.IsStatusConditionFalse(obj.GetConditions(), string(conditionType))
}

// SetSummary sets Ready: True (reason Ready, readyMessage) when every
// required condition is True; otherwise False with the first one that is
// not, so that Ready says what holds the object up: that condition's reason
// and "<type>: <its message>", or reason NotReady and "<type> is not known
// yet" when it is missing.
func SetSummary[T ~string](obj Setter, readyMessage string, required ...T) {
	for _, conditionType := range required {
		condition := meta.FindStatusCondition(obj.GetConditions(), string(conditionType))
		if condition == nil || condition.Status != metav1.ConditionTrue {
			reason, message := clientareav1alpha1.ReasonNotReady, string(conditionType)+" is not known yet"
			if condition != nil {
				reason, message = condition.Reason, string(conditionType)+": "+condition.Message
			}
			Set(obj, clientareav1alpha1.ConditionReady, metav1.ConditionFalse, reason, message)
			return
		}
	}
	Set(obj, clientareav1alpha1.ConditionReady, metav1.ConditionTrue, clientareav1alpha1.ReasonReady, readyMessage)
}
