package controller

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// TestRecordNormalEventsOnce: a transition told twice by reconciles that
// read a stale cache is one event, so that no event series (and no late
// write for it) comes of it (G4); warnings and other transitions pass.
func TestRecordNormalEventsOnce(t *testing.T) {
	fake := events.NewFakeRecorder(100)
	recorder := recordNormalEventsOnce(fake).(*onceRecorder)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	recorder.now = func() time.Time { return now }
	anna := &clientareav1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: "anna", UID: types.UID("uid-anna")}}
	maxUser := &clientareav1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: "max", UID: types.UID("uid-max")}}

	steps := []struct {
		name      string
		regarding *clientareav1alpha1.User
		eventtype string
		note      string
		after     time.Duration
		recorded  bool
	}{
		{"first", anna, corev1.EventTypeNormal, "access is granted to %s", 0, true},
		{"the same again, from a stale reconcile", anna, corev1.EventTypeNormal, "access is granted to %s", time.Second, false},
		{"the same for another object", maxUser, corev1.EventTypeNormal, "access is granted to %s", 0, true},
		{"a warning, again and again", anna, corev1.EventTypeWarning, "conflict", 0, true},
		{"the warning again", anna, corev1.EventTypeWarning, "conflict", 0, true},
		{"the first again, a minute later", anna, corev1.EventTypeNormal, "access is granted to %s", repeatWindow, true},
	}
	for _, step := range steps {
		now = now.Add(step.after)
		recorder.Eventf(step.regarding, nil, step.eventtype, "Reason", "Action", step.note, step.regarding.Name)
		select {
		case <-fake.Events:
			if !step.recorded {
				t.Errorf("%s: recorded, want dropped", step.name)
			}
		default:
			if step.recorded {
				t.Errorf("%s: dropped, want recorded", step.name)
			}
		}
	}
}
