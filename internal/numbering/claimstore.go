package numbering

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// The claims are read only past the cache (all once, and one that exists
// when it is created, to see whose it is), never watched.
// +kubebuilder:rbac:groups=clientarea.dev,resources=numberclaims,verbs=get;list;create

// ClaimStore keeps claims as NumberClaim objects, named <series>-<number>:
// the API server lets only one object have a name, so each number goes to
// exactly one holder, and the claim outlives a crash between reserving the
// number and recording it.
type ClaimStore struct {
	client client.Client
	// apiReader reads the claims from the API server, not from a cache that
	// may lag behind a claim created just before a crash.
	apiReader client.Reader
}

var _ Store = (*ClaimStore)(nil)

// NewClaimStore returns a store that creates claims with c and reads them
// with apiReader, which must read the API server past any cache (the
// manager's GetAPIReader).
func NewClaimStore(c client.Client, apiReader client.Reader) *ClaimStore {
	return &ClaimStore{client: c, apiReader: apiReader}
}

// List returns the claims labelled with the sequence's name.
func (s *ClaimStore) List(ctx context.Context, sequence string) ([]Claim, error) {
	list := &clientareav1alpha1.NumberClaimList{}
	if err := s.apiReader.List(ctx, list, client.MatchingLabels{clientareav1alpha1.SequenceLabel: sequence}); err != nil {
		return nil, fmt.Errorf("listing NumberClaims: %w", err)
	}
	claims := make([]Claim, 0, len(list.Items))
	for i := range list.Items {
		claims = append(claims, fromNumberClaim(&list.Items[i]))
	}
	return claims, nil
}

// Create creates the claim's NumberClaim.
func (s *ClaimStore) Create(ctx context.Context, sequence string, c Claim) error {
	obj := toNumberClaim(sequence, c)
	err := s.client.Create(ctx, obj)
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating NumberClaim %s: %w: %w", obj.Name, ErrExists, err)
	}
	if err != nil {
		return fmt.Errorf("creating NumberClaim %s: %w", obj.Name, err)
	}
	return nil
}

// Get reads the NumberClaim of one number from the API server.
func (s *ClaimStore) Get(ctx context.Context, _, series string, number int64) (Claim, error) {
	obj := &clientareav1alpha1.NumberClaim{}
	name := claimName(series, number)
	if err := s.apiReader.Get(ctx, client.ObjectKey{Name: name}, obj); err != nil {
		return Claim{}, fmt.Errorf("reading NumberClaim %s: %w", name, err)
	}
	return fromNumberClaim(obj), nil
}

// claimName is the name of a number's NumberClaim: fixed width, so that
// `kubectl get numberclaims` lists a series in order.
func claimName(series string, number int64) string {
	return fmt.Sprintf("%s-%012d", series, number)
}

// toNumberClaim is the NumberClaim of a claim of a sequence. Its labels
// select the claims of one sequence (read once per leadership) or of one
// series (a year of invoice numbers, for people and tests), and tell whose
// each one is.
func toNumberClaim(sequence string, c Claim) *clientareav1alpha1.NumberClaim {
	return &clientareav1alpha1.NumberClaim{
		ObjectMeta: metav1.ObjectMeta{
			Name: claimName(c.Series, c.Number),
			Labels: map[string]string{
				clientareav1alpha1.ManagedByLabel: clientareav1alpha1.ManagedByValue,
				clientareav1alpha1.SequenceLabel:  sequence,
				clientareav1alpha1.SeriesLabel:    c.Series,
				clientareav1alpha1.HolderKeyLabel: c.Holder.Key(),
			},
		},
		Spec: clientareav1alpha1.NumberClaimSpec{
			Series: c.Series, Number: c.Number,
			HolderKind: c.Holder.Kind, HolderName: c.Holder.Name, HolderUID: c.Holder.UID, Event: c.Holder.Event,
			ReservedAt: &metav1.Time{Time: c.ReservedAt},
		},
	}
}

// fromNumberClaim is the claim a NumberClaim makes. The holder comes from
// the spec, which the API server keeps immutable, rather than from the
// labels, which anyone may edit; the operator writes both alike. The time is
// in UTC, as it was reserved: read back from JSON it would be local, and an
// invoice reserved at New Year would show another year than its series.
func fromNumberClaim(obj *clientareav1alpha1.NumberClaim) Claim {
	c := Claim{
		Series: obj.Spec.Series,
		Number: obj.Spec.Number,
		Holder: Holder{Kind: obj.Spec.HolderKind, Name: obj.Spec.HolderName, UID: obj.Spec.HolderUID, Event: obj.Spec.Event},
	}
	if obj.Spec.ReservedAt != nil {
		c.ReservedAt = obj.Spec.ReservedAt.UTC()
	}
	return c
}
