package controller

import (
	"context"

	kerrors "k8s.io/apimachinery/pkg/util/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"clientarea.dev/clientarea-operator/internal/patch"
)

// phase is one step of a reconcile, in the style of Cluster API: every
// reconciler's phases share this signature, over the reconciler's own scope
// (the object, its patch helper, what earlier phases found).
type phase[S any] func(ctx context.Context, scope S) (ctrl.Result, error)

// runPhases runs every phase in order and aggregates their errors, as
// Cluster API does: a transient failure of one part (a registry that
// hangs) does not hold up the others (the invoices of periods already
// registered). A phase that builds on an earlier one checks, in the object
// or its scope, that the earlier one did its part. The result is the
// soonest requeue any phase asked for, and none with an error, which
// requeues on its own.
func runPhases[S any](ctx context.Context, scope S, phases ...phase[S]) (ctrl.Result, error) {
	var result ctrl.Result
	var errs []error
	for _, run := range phases {
		phaseResult, err := run(ctx, scope)
		if err != nil {
			errs = append(errs, err)
		}
		result = soonest(result, phaseResult)
	}
	if err := kerrors.NewAggregate(errs); err != nil {
		return ctrl.Result{}, err
	}
	return result, nil
}

// soonest is the result that comes back first; zero means "not at all".
func soonest(a, b ctrl.Result) ctrl.Result {
	switch {
	case a.RequeueAfter == 0:
		return b
	case b.RequeueAfter == 0 || a.RequeueAfter < b.RequeueAfter:
		return a
	}
	return b
}

// ensureFinalizer adds a finalizer and, when it was missing, writes it at
// once, before the reconcile makes anything that must not outlive the
// object. Admission sets the operator's finalizers when an object is
// created (config/policies/finalizers.yaml), so this writes only for
// objects made before that policy.
func ensureFinalizer(ctx context.Context, patcher *patch.Helper, obj client.Object, finalizer string) error {
	if !controllerutil.AddFinalizer(obj, finalizer) {
		return nil
	}
	return patcher.Patch(ctx, obj)
}
