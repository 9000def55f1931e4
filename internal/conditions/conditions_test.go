package conditions_test

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
)

// recorder records the events it is given, as `kubectl events` would list
// them.
type recorder struct{ events []string }

func (r *recorder) Eventf(regarding, _ runtime.Object, eventType, reason, action, note string, args ...any) {
	obj := regarding.(*clientareav1alpha1.Domain)
	r.events = append(r.events, fmt.Sprintf("%s %s %s %s: %s", obj.Name, eventType, reason, action, fmt.Sprintf(note, args...)))
}

func domain(generation int64, existing ...metav1.Condition) *clientareav1alpha1.Domain {
	return &clientareav1alpha1.Domain{
		ObjectMeta: metav1.ObjectMeta{Name: "example.com", Generation: generation},
		Status:     clientareav1alpha1.DomainStatus{Conditions: existing},
	}
}

var past = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))

// registered is a Registered=True condition set at generation 1, long ago.
func registered() metav1.Condition {
	return metav1.Condition{
		Type: string(clientareav1alpha1.DomainConditionRegistered), Status: metav1.ConditionTrue, ObservedGeneration: 1,
		Reason: string(clientareav1alpha1.DomainReasonRegistered), Message: "registered", LastTransitionTime: past,
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name       string
		status     metav1.ConditionStatus
		reason     clientareav1alpha1.DomainConditionReason
		message    string
		wantChange bool
		wantLTT    bool // lastTransitionTime kept
	}{
		{"same condition again", metav1.ConditionTrue, clientareav1alpha1.DomainReasonRegistered, "registered", false, true},
		{"new reason", metav1.ConditionTrue, clientareav1alpha1.DomainReasonRenewed, "registered", true, true},
		{"new message", metav1.ConditionTrue, clientareav1alpha1.DomainReasonRegistered, "registered again", true, true},
		{"status flips", metav1.ConditionFalse, clientareav1alpha1.DomainReasonExpired, "expired", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := domain(2, registered())
			changed := conditions.Set(obj, clientareav1alpha1.DomainConditionRegistered, tt.status, tt.reason, tt.message)
			if changed != tt.wantChange {
				t.Errorf("Set reported changed=%v, want %v", changed, tt.wantChange)
			}
			got := conditions.Get(obj, clientareav1alpha1.DomainConditionRegistered)
			if got == nil {
				t.Fatal("the condition is gone")
			}
			if got.Status != tt.status || got.Reason != string(tt.reason) || got.Message != tt.message {
				t.Errorf("got %s/%s/%q, want %s/%s/%q", got.Status, got.Reason, got.Message, tt.status, tt.reason, tt.message)
			}
			if got.ObservedGeneration != 2 {
				t.Errorf("observedGeneration is %d, want the object's generation 2", got.ObservedGeneration)
			}
			if kept := got.LastTransitionTime.Equal(&past); kept != tt.wantLTT {
				t.Errorf("lastTransitionTime kept=%v, want %v", kept, tt.wantLTT)
			}
			if len(obj.Status.Conditions) != 1 {
				t.Errorf("%d conditions, want 1", len(obj.Status.Conditions))
			}
		})
	}
}

func TestSetNew(t *testing.T) {
	obj := domain(3)
	if !conditions.Set(obj, clientareav1alpha1.DomainConditionLoginReady, metav1.ConditionTrue, clientareav1alpha1.DomainReasonLoginCreated, "created") {
		t.Error("a new condition is a change")
	}
	got := conditions.Get(obj, clientareav1alpha1.DomainConditionLoginReady)
	if got == nil || got.ObservedGeneration != 3 || got.LastTransitionTime.IsZero() {
		t.Fatalf("got %+v, want observedGeneration 3 and a lastTransitionTime", got)
	}
	if conditions.Set(obj, clientareav1alpha1.DomainConditionLoginReady, metav1.ConditionTrue, clientareav1alpha1.DomainReasonLoginCreated, "created") {
		t.Error("setting it again is no change")
	}
}

func TestSetNewGenerationOnly(t *testing.T) {
	obj := domain(5, registered())
	changed := conditions.Set(obj, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionTrue, clientareav1alpha1.DomainReasonRegistered, "registered")
	if changed {
		t.Error("a new observedGeneration alone is reported as a change")
	}
	if got := conditions.Get(obj, clientareav1alpha1.DomainConditionRegistered).ObservedGeneration; got != 5 {
		t.Errorf("observedGeneration is %d, want 5", got)
	}
}

func TestGetIsACopy(t *testing.T) {
	obj := domain(1, registered())
	conditions.Get(obj, clientareav1alpha1.DomainConditionRegistered).Message = "changed"
	if obj.Status.Conditions[0].Message != "registered" {
		t.Error("changing what Get returned changed the object")
	}
	if conditions.Get(obj, clientareav1alpha1.DomainConditionInvoiced) != nil {
		t.Error("Get of a missing condition is not nil")
	}
}

func TestIsTrueIsFalse(t *testing.T) {
	obj := domain(1, registered(),
		metav1.Condition{Type: string(clientareav1alpha1.DomainConditionInvoiced), Status: metav1.ConditionFalse},
		metav1.Condition{Type: string(clientareav1alpha1.DomainConditionLoginReady), Status: metav1.ConditionUnknown})
	tests := []struct {
		conditionType   clientareav1alpha1.DomainConditionType
		isTrue, isFalse bool
	}{
		{clientareav1alpha1.DomainConditionRegistered, true, false},
		{clientareav1alpha1.DomainConditionInvoiced, false, true},
		{clientareav1alpha1.DomainConditionLoginReady, false, false},
		{clientareav1alpha1.DomainConditionHolderResolved, false, false},
	}
	for _, tt := range tests {
		if got := conditions.IsTrue(obj, tt.conditionType); got != tt.isTrue {
			t.Errorf("IsTrue(%s) = %v, want %v", tt.conditionType, got, tt.isTrue)
		}
		if got := conditions.IsFalse(obj, tt.conditionType); got != tt.isFalse {
			t.Errorf("IsFalse(%s) = %v, want %v", tt.conditionType, got, tt.isFalse)
		}
	}
}

func TestSetNoted(t *testing.T) {
	rec := &recorder{}
	obj := domain(1)
	set := func(status metav1.ConditionStatus, reason clientareav1alpha1.DomainConditionReason, message string) bool {
		return conditions.SetNoted(rec, obj, clientareav1alpha1.DomainConditionRegistered, status, reason, message, "Normal")
	}
	steps := []struct {
		status     metav1.ConditionStatus
		reason     clientareav1alpha1.DomainConditionReason
		message    string
		wantChange bool
	}{
		{metav1.ConditionFalse, clientareav1alpha1.DomainReasonWaiting, "waiting", true},
		{metav1.ConditionFalse, clientareav1alpha1.DomainReasonWaiting, "waiting", false},
		{metav1.ConditionTrue, clientareav1alpha1.DomainReasonRegistered, "registered", true},
		{metav1.ConditionTrue, clientareav1alpha1.DomainReasonRegistered, "registered", false},
		{metav1.ConditionTrue, clientareav1alpha1.DomainReasonRegistered, "registered until 2027", true},
	}
	for i, step := range steps {
		if got := set(step.status, step.reason, step.message); got != step.wantChange {
			t.Errorf("step %d: changed=%v, want %v", i, got, step.wantChange)
		}
	}
	want := []string{
		"example.com Normal Waiting Registered: waiting",
		"example.com Normal Registered Registered: registered",
		"example.com Normal Registered Registered: registered until 2027",
	}
	if fmt.Sprint(rec.events) != fmt.Sprint(want) {
		t.Errorf("events:\n%q\nwant one per change:\n%q", rec.events, want)
	}
	// A message with a verb is the note, not a format.
	conditions.SetNoted(rec, obj, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionTrue, clientareav1alpha1.DomainReasonRenewed, "100%", "Normal")
	if last := rec.events[len(rec.events)-1]; last != "example.com Normal Renewed Registered: 100%" {
		t.Errorf("last event %q", last)
	}
}

func TestSetNotedNilRecorder(t *testing.T) {
	obj := domain(1)
	if !conditions.SetNoted(nil, obj, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionTrue, clientareav1alpha1.DomainReasonRegistered, "registered", "Normal") {
		t.Error("the change is reported without a recorder too")
	}
	if !conditions.IsTrue(obj, clientareav1alpha1.DomainConditionRegistered) {
		t.Error("the condition is not set")
	}
}

func TestSetSummary(t *testing.T) {
	required := []clientareav1alpha1.DomainConditionType{
		clientareav1alpha1.DomainConditionHolderResolved, clientareav1alpha1.DomainConditionRegistered,
	}
	condition := func(conditionType clientareav1alpha1.DomainConditionType, status metav1.ConditionStatus, reason, message string) metav1.Condition {
		return metav1.Condition{Type: string(conditionType), Status: status, Reason: reason, Message: message, LastTransitionTime: past}
	}
	holder := condition(clientareav1alpha1.DomainConditionHolderResolved, metav1.ConditionTrue, "HolderFound", "found")
	tests := []struct {
		name        string
		existing    []metav1.Condition
		wantStatus  metav1.ConditionStatus
		wantReason  string
		wantMessage string
	}{
		{"all true", []metav1.Condition{holder, condition(clientareav1alpha1.DomainConditionRegistered, metav1.ConditionTrue, "Registered", "ok")},
			metav1.ConditionTrue, clientareav1alpha1.ReasonReady, "the domain is registered"},
		{"one false", []metav1.Condition{holder, condition(clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse, "Waiting", "waiting for the holder")},
			metav1.ConditionFalse, "Waiting", "Registered: waiting for the holder"},
		{"one unknown", []metav1.Condition{holder, condition(clientareav1alpha1.DomainConditionRegistered, metav1.ConditionUnknown, "Checking", "checking")},
			metav1.ConditionFalse, "Checking", "Registered: checking"},
		{"one missing", []metav1.Condition{holder},
			metav1.ConditionFalse, clientareav1alpha1.ReasonNotReady, "Registered is not known yet"},
		{"the first that is not true", []metav1.Condition{condition(clientareav1alpha1.DomainConditionHolderResolved, metav1.ConditionFalse, "HolderNotFound", "no contact")},
			metav1.ConditionFalse, "HolderNotFound", "HolderResolved: no contact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := domain(4, tt.existing...)
			conditions.SetSummary(obj, "the domain is registered", required...)
			got := conditions.Get(obj, clientareav1alpha1.ConditionReady)
			if got == nil {
				t.Fatal("no Ready condition")
			}
			if got.Status != tt.wantStatus || got.Reason != tt.wantReason || got.Message != tt.wantMessage {
				t.Errorf("Ready is %s/%s/%q, want %s/%s/%q", got.Status, got.Reason, got.Message, tt.wantStatus, tt.wantReason, tt.wantMessage)
			}
			if got.ObservedGeneration != 4 {
				t.Errorf("Ready's observedGeneration is %d, want 4", got.ObservedGeneration)
			}
		})
	}
}

func TestSetSummaryNoRequired(t *testing.T) {
	obj := domain(1)
	conditions.SetSummary[clientareav1alpha1.DomainConditionType](obj, "the contact is valid")
	if !conditions.IsTrue(obj, clientareav1alpha1.ConditionReady) {
		t.Error("Ready with nothing required is not True")
	}
}
