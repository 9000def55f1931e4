package controller

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// claimName is the race-free claim of a cluster-wide unique name, shared by
// e-mail addresses (U1) and domain names (D2): the API server lets one
// object of a name exist, so whoever creates the claim holds the name, and
// no list-then-create check can let two through. It returns the claim in
// effect, want as created or the one that exists (ours from an earlier
// reconcile, or another holder's): the caller compares its holder UID.
// Reading first makes the common case, a claim already held, cost no write.
func claimName[T client.Object](ctx context.Context, c client.Client, want T) (T, error) {
	existing := want.DeepCopyObject().(T)
	err := c.Get(ctx, client.ObjectKeyFromObject(want), existing)
	if !apierrors.IsNotFound(err) {
		return existing, err
	}
	err = c.Create(ctx, want)
	if apierrors.IsAlreadyExists(err) {
		// Lost the race to another holder, or the cache lags behind our own.
		err = c.Get(ctx, client.ObjectKeyFromObject(want), existing)
		return existing, err
	}
	return want, err
}

// releaseClaim deletes a claim, with its UID as precondition: a claim that
// another holder made since it was read is never deleted.
func releaseClaim(ctx context.Context, c client.Client, claim client.Object) error {
	uid := claim.GetUID()
	return client.IgnoreNotFound(c.Delete(ctx, claim, client.Preconditions{UID: &uid}))
}
