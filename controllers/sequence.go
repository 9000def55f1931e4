package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

const (
	// SeriesLabel and HolderUIDLabel let a holder find its NumberClaim.
	SeriesLabel    = "clientarea.dev/series"
	HolderUIDLabel = "clientarea.dev/holder-uid"

	// maxClaimAttempts bounds the numbers tried in one allocation: each
	// failed attempt means another holder took that number just before.
	maxClaimAttempts = 64
)

// +kubebuilder:rbac:groups=clientarea.dev,resources=numberclaims,verbs=get;list;watch;create

// Sequence hands out the numbers of one series: unique (the API server lets
// one NumberClaim have a name), consecutive, and assigned once: a holder that
// was given a number finds it again after any crash.
type Sequence struct {
	// Client reads the claims from the cache and creates them.
	Client client.Client
	// APIReader reads a holder's own claim from the API server, which the
	// cache may not have seen yet right after it was created.
	APIReader client.Reader
	Series    string
}

// NumberFor returns the holder's number, reserving the next one if it has none.
func (s Sequence) NumberFor(ctx context.Context, holderKind string, holder client.Object) (int64, error) {
	own := &v1.NumberClaimList{}
	if err := s.APIReader.List(ctx, own, client.MatchingLabels{SeriesLabel: s.Series, HolderUIDLabel: string(holder.GetUID())}); err != nil {
		return 0, err
	}
	if len(own.Items) > 0 {
		return own.Items[0].Spec.Number, nil
	}
	next, err := s.highest(ctx)
	if err != nil {
		return 0, err
	}
	for range maxClaimAttempts {
		next++
		claim := &v1.NumberClaim{
			ObjectMeta: metav1.ObjectMeta{
				Name:   fmt.Sprintf("%s-%012d", s.Series, next),
				Labels: map[string]string{ManagedByLabel: ManagedByValue, SeriesLabel: s.Series, HolderUIDLabel: string(holder.GetUID())},
			},
			Spec: v1.NumberClaimSpec{Series: s.Series, Number: next, HolderKind: holderKind, HolderName: holder.GetName(), HolderUID: string(holder.GetUID())},
		}
		err := s.Client.Create(ctx, claim)
		if apierrors.IsAlreadyExists(err) {
			continue // taken since the cache last saw the series: try the one after
		}
		if err != nil {
			return 0, err
		}
		return next, nil
	}
	return 0, fmt.Errorf("no free number in series %s after %d attempts beyond %d", s.Series, maxClaimAttempts, next-maxClaimAttempts)
}

// highest is the highest number of the series that the cache knows.
func (s Sequence) highest(ctx context.Context) (int64, error) {
	claims := &v1.NumberClaimList{}
	if err := s.Client.List(ctx, claims, client.MatchingLabels{SeriesLabel: s.Series}); err != nil {
		return 0, err
	}
	var highest int64
	for _, claim := range claims.Items {
		highest = max(highest, claim.Spec.Number)
	}
	return highest, nil
}
