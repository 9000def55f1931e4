package controller

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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

// TestEventWriterQueue: a Normal event is built as client-go's recorder
// builds it and queued; a warning goes to the library's recorder; past the
// queue's length events are dropped and counted, never blocking a
// reconcile; a note longer than the API allows is cut on a character
// boundary.
func TestEventWriterQueue(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientareav1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	writer := newEventWriter(nil, scheme) // not started: nothing is written
	writer.instance = "host-1"
	warnings := events.NewFakeRecorder(10)
	recorder := writer.recorder("user-controller", warnings)
	anna := &clientareav1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: "anna", UID: types.UID("uid-anna")}}

	recorder.Eventf(anna, nil, corev1.EventTypeNormal, "Claimed", "Claim", "access is granted to %s", "anna@example.com")
	event := <-writer.queue
	if event.Namespace != metav1.NamespaceDefault || !strings.HasPrefix(event.Name, "anna.") || event.Regarding.Kind != "User" ||
		event.Regarding.Name != "anna" || event.Regarding.UID != "uid-anna" || event.Type != corev1.EventTypeNormal ||
		event.Reason != "Claimed" || event.Action != "Claim" || event.Note != "access is granted to anna@example.com" ||
		event.ReportingController != "user-controller" || event.ReportingInstance != "user-controller-host-1" || event.EventTime.IsZero() {
		t.Errorf("the event as built: %+v", event)
	}

	recorder.Eventf(anna, nil, corev1.EventTypeWarning, "EmailConflict", "Claim", "taken")
	if len(writer.queue) != 0 || len(warnings.Events) != 1 {
		t.Errorf("a warning: %d queued, %d passed to the library's recorder; want 0 and 1", len(writer.queue), len(warnings.Events))
	}

	dropped := testutil.ToFloat64(eventsDropped.WithLabelValues(eventDropQueueFull))
	for range eventQueueLength + 5 {
		recorder.Eventf(anna, nil, corev1.EventTypeNormal, "Claimed", "Claim", "%s", strings.Repeat("ü", maxNoteLength))
	}
	if got := testutil.ToFloat64(eventsDropped.WithLabelValues(eventDropQueueFull)) - dropped; got != 5 || len(writer.queue) != eventQueueLength {
		t.Errorf("%d queued, %v dropped; want %d and 5", len(writer.queue), got, eventQueueLength)
	}
	note := (<-writer.queue).Note
	if len(note) > maxNoteLength || !utf8.ValidString(note) || len(note) < maxNoteLength-1 {
		t.Errorf("a long note cut to %d bytes (valid UTF-8: %v)", len(note), utf8.ValidString(note))
	}
}
