package controller

import (
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
)

// repeatWindow is how long a Normal event is not recorded again for the
// same object with the same text.
const repeatWindow = time.Minute

// onceRecorder records a Normal event (a transition: an address claimed,
// access granted, a domain registered, an invoice issued) once, however
// often it is told within repeatWindow. A reconcile that reads an object
// from a cache that has not yet seen its own last status write sees the
// transition again; recorded twice, the event would become a series, which
// the events library writes with one more request, up to seconds later
// (G4). Warnings are passed on as they come, so that a failure that repeats
// is counted in its series.
type onceRecorder struct {
	events.EventRecorder
	mu   sync.Mutex
	seen map[string]time.Time
	// pruneAt is the size at which expired entries are dropped: twice what
	// was left the last time, so that pruning costs O(1) per event.
	pruneAt int
	now     func() time.Time
}

func recordNormalEventsOnce(recorder events.EventRecorder) events.EventRecorder {
	return &onceRecorder{EventRecorder: recorder, seen: map[string]time.Time{}, pruneAt: minPruneSize, now: time.Now}
}

const minPruneSize = 1024

func (r *onceRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	if eventtype == corev1.EventTypeNormal && r.seenRecently(regarding, reason, action, fmt.Sprintf(note, args...)) {
		return
	}
	r.EventRecorder.Eventf(regarding, related, eventtype, reason, action, note, args...)
}

// seenRecently tells whether the event was recorded within repeatWindow,
// and remembers it if not.
func (r *onceRecorder) seenRecently(regarding runtime.Object, reason, action, text string) bool {
	object, err := meta.Accessor(regarding)
	if err != nil {
		return false
	}
	key := string(object.GetUID()) + "\x00" + reason + "\x00" + action + "\x00" + text
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if at, ok := r.seen[key]; ok && now.Sub(at) < repeatWindow {
		return true
	}
	if len(r.seen) >= r.pruneAt {
		for k, at := range r.seen {
			if now.Sub(at) >= repeatWindow {
				delete(r.seen, k)
			}
		}
		r.pruneAt = max(minPruneSize, 2*len(r.seen))
	}
	r.seen[key] = now
	return false
}
