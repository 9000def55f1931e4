package controller

import (
	"context"
	"fmt"
	"os"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/record/util"
	"k8s.io/client-go/tools/reference"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// eventWriter writes the operator's Normal events (transitions: an address
// claimed, access granted, a domain registered, an invoice issued) itself,
// from a bounded queue, instead of through client-go's events broadcaster.
// The broadcaster keeps every event it wrote in a map for six to twelve
// minutes, to merge repeats into an event series
// (k8s.io/client-go/tools/events, eventBroadcasterImpl.eventCache), and
// offers no way to bound it: while 1,000 accounts converged that map held
// 12.5 MB of the manager's heap, and it grows with the rate of events, not
// with anything the operator keeps. A transition is told once
// (onceRecorder) and never becomes a series, so it needs none of that.
// Warnings, which repeat and should be counted in a series, still go
// through the broadcaster. No library writes events/v1 Events without that
// cache, hence this small writer: an event is built as client-go builds it
// (name, reference, reporting controller and instance) and created once,
// tried again a few times if the API server fails, and dropped and counted
// when the queue is full (the broadcaster drops past 1,000 queued too, but
// then writes each in a goroutine of its own, however many are waiting).
type eventWriter struct {
	client   client.Client
	scheme   *runtime.Scheme
	instance string
	queue    chan *eventsv1.Event
	now      func() time.Time
}

const (
	// eventQueueLength bounds the events waiting to be written: at about a
	// kilobyte each, at most 10 MB while the API server falls behind, and
	// nothing once it has caught up.
	eventQueueLength = 10000
	// eventWriters is the number of events created at once: as many as
	// reconciles of one kind (--max-concurrent-reconciles' default), which
	// kept up with 1,000 accounts converging (2 dropped half of them).
	eventWriters = 8
	// eventAttempts is how often an event's create is tried.
	eventAttempts = 3
	// maxNoteLength is the events/v1 API's limit of a note, in bytes.
	maxNoteLength = 1024
)

func newEventWriter(c client.Client, scheme *runtime.Scheme) *eventWriter {
	host, _ := os.Hostname()
	return &eventWriter{client: c, scheme: scheme, instance: host, queue: make(chan *eventsv1.Event, eventQueueLength), now: time.Now}
}

// NeedLeaderElection is false: whichever replica records an event writes
// it, as the broadcaster does.
func (w *eventWriter) NeedLeaderElection() bool { return false }

// Start writes queued events until ctx ends.
func (w *eventWriter) Start(ctx context.Context) error {
	done := make(chan struct{})
	for range eventWriters {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case <-ctx.Done():
					return
				case event := <-w.queue:
					w.write(ctx, event)
				}
			}
		}()
	}
	for range eventWriters {
		<-done
	}
	return nil
}

// write creates the event, trying again after a failure (1 s, then 2 s).
func (w *eventWriter) write(ctx context.Context, event *eventsv1.Event) {
	var err error
	for attempt := range eventAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(attempt) * time.Second):
			}
		}
		if err = w.client.Create(ctx, event.DeepCopy()); err == nil || apierrors.IsAlreadyExists(err) {
			return
		}
		if apierrors.IsForbidden(err) || apierrors.IsInvalid(err) || apierrors.IsNotFound(err) {
			break // its namespace is going, or it can never be written
		}
	}
	eventsDropped.WithLabelValues(eventDropFailed).Inc()
	logf.FromContext(ctx).Error(err, "an event could not be written", "regarding", event.Regarding, "reason", event.Reason)
}

// recorder is an events.EventRecorder for one controller: Normal events
// through this writer, others through warnings.
func (w *eventWriter) recorder(controller string, warnings events.EventRecorder) events.EventRecorder {
	return &splitRecorder{writer: w, controller: controller, warnings: warnings}
}

type splitRecorder struct {
	writer     *eventWriter
	controller string
	warnings   events.EventRecorder
}

func (r *splitRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	if eventtype != corev1.EventTypeNormal {
		r.warnings.Eventf(regarding, related, eventtype, reason, action, note, args...)
		return
	}
	r.writer.enqueue(r.controller, regarding, related, reason, action, fmt.Sprintf(note, args...))
}

// enqueue builds a Normal event and queues it, or drops it (counted) when
// the queue is full.
func (w *eventWriter) enqueue(controller string, regarding, related runtime.Object, reason, action, note string) {
	event, err := w.event(controller, regarding, related, reason, action, note)
	if err != nil {
		logf.Log.Error(err, "an event could not be built", "reason", reason)
		return
	}
	select {
	case w.queue <- event:
	default:
		eventsDropped.WithLabelValues(eventDropQueueFull).Inc()
	}
}

// event is a Normal events/v1 Event as client-go's recorder makes it.
func (w *eventWriter) event(controller string, regarding, related runtime.Object, reason, action, note string) (*eventsv1.Event, error) {
	ref, err := reference.GetReference(w.scheme, regarding)
	if err != nil {
		return nil, err
	}
	var relatedRef *corev1.ObjectReference
	if related != nil {
		if relatedRef, err = reference.GetReference(w.scheme, related); err != nil {
			return nil, err
		}
	}
	namespace := ref.Namespace
	if namespace == "" {
		namespace = metav1.NamespaceDefault
	}
	if len(note) > maxNoteLength {
		cut := maxNoteLength
		for cut > 0 && !utf8.RuneStart(note[cut]) {
			cut--
		}
		note = note[:cut]
	}
	now := w.now()
	return &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: util.GenerateEventName(ref.Name, now.UnixNano()), Namespace: namespace},
		EventTime:           metav1.NewMicroTime(now),
		ReportingController: controller,
		ReportingInstance:   controller + "-" + w.instance,
		Action:              action,
		Reason:              reason,
		Regarding:           *ref,
		Related:             relatedRef,
		Note:                note,
		Type:                corev1.EventTypeNormal,
	}, nil
}
