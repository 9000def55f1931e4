package controller

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"clientarea.dev/clientarea-operator/internal/patch"
)

// phase is one step of a reconcile, in the style of Cluster API: every
// reconciler's phases share this signature, over the reconciler's own scope
// (the object, its patch helper, what earlier phases found).
type phase[S any] func(ctx context.Context, scope S) (ctrl.Result, error)

// runPhases runs the phases in order and stops at the first error: a later
// phase builds on what the earlier ones did (the owner's binding only after
// the operator's own, billing only after registration). The result is the
// soonest requeue any phase asked for.
func runPhases[S any](ctx context.Context, scope S, phases ...phase[S]) (ctrl.Result, error) {
	var result ctrl.Result
	for _, run := range phases {
		phaseResult, err := run(ctx, scope)
		if err != nil {
			return result, err
		}
		result = soonest(result, phaseResult)
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
