package controller

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// DefaultStatusBatchPeriod is how long the changes that feed an aggregate
// status wait to be written together (--status-batch-period).
const DefaultStatusBatchPeriod = time.Second

// listRequests lists objects from the cache (an index narrows it) and
// returns a reconcile request for each: the body of every watch that maps
// one object to the others it concerns.
func listRequests(ctx context.Context, c client.Reader, list client.ObjectList, opts ...client.ListOption) []reconcile.Request {
	if err := c.List(ctx, list, opts...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing objects for a watch", "list", list.GetObjectKind().GroupVersionKind().Kind)
		return nil
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "reading a list for a watch")
		return nil
	}
	requests := make([]reconcile.Request, 0, len(items))
	for _, item := range items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(item.(client.Object))})
	}
	return requests
}

// enqueueBatched is handler.EnqueueRequestsFromMapFunc for the watches that
// feed an aggregate status (a User's accounts, an Account's members, a
// Contact's uses): its requests wait period in the queue, so that the
// changes arriving meanwhile join one reconcile and the status is written
// once for a burst of changes, not once per change (as kube-controller-manager
// batches endpoint updates). A request already waiting keeps its earlier
// time, so a change shows in the status at most period late. Zero enqueues
// at once.
func enqueueBatched(period time.Duration, mapFn handler.MapFunc) handler.EventHandler {
	add := func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request], objects ...client.Object) {
		for _, obj := range objects {
			for _, request := range mapFn(ctx, obj) {
				if period > 0 {
					q.AddAfter(request, period)
				} else {
					q.Add(request)
				}
			}
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, q, e.Object)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, q, e.ObjectOld, e.ObjectNew)
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, q, e.Object)
		},
		GenericFunc: func(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(ctx, q, e.Object)
		},
	}
}

// concurrently runs the steps at once and returns their errors, aggregated.
func concurrently(steps ...func() error) error {
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, step := range steps {
		wg.Go(func() { errs[i] = step() })
	}
	wg.Wait()
	return kerrors.NewAggregate(errs)
}

// itself maps an object to its own reconcile request.
func itself(_ context.Context, obj client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: client.ObjectKeyFromObject(obj)}}
}

// formatTime is how times are written in conditions and events.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
