package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

const (
	// SequenceLabel and HolderKeyLabel let a holder find its NumberClaim in
	// any series of the sequence; SeriesLabel finds a series' highest number.
	SequenceLabel  = "clientarea.dev/sequence"
	SeriesLabel    = "clientarea.dev/series"
	HolderKeyLabel = "clientarea.dev/holder-key"

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
	Clock     clock.PassiveClock
	// Name names the sequence, such as customer or invoice.
	Name string
	// Yearly starts a new series each calendar year (invoice-2026,
	// invoice-2027, ...), numbered from 1; otherwise the series is Name.
	Yearly bool

	// mu makes the reconcilers of one manager reserve one at a time, and
	// last remembers the highest number each series got here, which the
	// cache may not show yet: concurrent reconciles neither race for one
	// number nor try numbers already taken (each try is a write).
	mu   sync.Mutex
	last map[string]int64
}

// series is the series a number reserved at now belongs to.
func (s *Sequence) series(now time.Time) string {
	if s.Yearly {
		return fmt.Sprintf("%s-%d", s.Name, now.Year())
	}
	return s.Name
}

// NumberHolder is what a number is reserved for: an object, or one billable
// event of an object.
type NumberHolder struct {
	Kind, Name, UID string
	// Event tells the numbers of one object apart: an invoice number per
	// billable event of a Domain. Empty when the object has one number.
	Event string
}

// key is what the holder's claim is found by.
func (h NumberHolder) key() string {
	if h.Event != "" {
		return h.Event
	}
	return h.UID
}

// NumberFor returns the holder's claim, reserving the next number if it has
// none.
func (s *Sequence) NumberFor(ctx context.Context, holder NumberHolder) (*v1.NumberClaim, error) {
	claim, err := s.ReservedFor(ctx, holder)
	if claim != nil || err != nil {
		return claim, err
	}
	return s.Reserve(ctx, holder)
}

// ReservedFor returns the holder's claim, or nil when it has none. It reads
// the API server: a claim made just before a crash is found even though the
// cache may not have seen it.
func (s *Sequence) ReservedFor(ctx context.Context, holder NumberHolder) (*v1.NumberClaim, error) {
	// Looked up in every series of the sequence: a number reserved on 31
	// December is found again on 1 January.
	own := &v1.NumberClaimList{}
	if err := s.APIReader.List(ctx, own, client.MatchingLabels{SequenceLabel: s.Name, HolderKeyLabel: holder.key()}); err != nil {
		return nil, err
	}
	if len(own.Items) == 0 {
		return nil, nil
	}
	return &own.Items[0], nil
}

// Reserve claims the next number of the current series for a holder that
// has none (see ReservedFor). Claims are never deleted, and each is made at
// one past a number that exists, so the series has no gaps.
func (s *Sequence) Reserve(ctx context.Context, holder NumberHolder) (*v1.NumberClaim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Clock.Now().UTC().Truncate(time.Second)
	series := s.series(now)
	next, err := s.highest(ctx, series)
	if err != nil {
		return nil, err
	}
	next = max(next, s.last[series])
	for range maxClaimAttempts {
		next++
		claim := &v1.NumberClaim{
			ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("%s-%012d", series, next),
				Labels: map[string]string{
					ManagedByLabel: ManagedByValue, SequenceLabel: s.Name, SeriesLabel: series, HolderKeyLabel: holder.key(),
				},
			},
			Spec: v1.NumberClaimSpec{
				Series: series, Number: next, HolderKind: holder.Kind, HolderName: holder.Name, HolderUID: holder.UID,
				Event: holder.Event, ReservedAt: &metav1.Time{Time: now},
			},
		}
		err := s.Client.Create(ctx, claim)
		if apierrors.IsAlreadyExists(err) {
			continue // taken since the cache last saw the series: try the one after
		}
		if err != nil {
			return nil, err
		}
		if s.last == nil {
			s.last = map[string]int64{}
		}
		s.last[series] = next
		return claim, nil
	}
	return nil, fmt.Errorf("no free number in series %s after %d attempts beyond %d", series, maxClaimAttempts, next-maxClaimAttempts)
}

// highest is the highest number of the series that the cache knows.
func (s *Sequence) highest(ctx context.Context, series string) (int64, error) {
	claims := &v1.NumberClaimList{}
	if err := s.Client.List(ctx, claims, client.MatchingLabels{SeriesLabel: series}); err != nil {
		return 0, err
	}
	var highest int64
	for _, claim := range claims.Items {
		highest = max(highest, claim.Spec.Number)
	}
	return highest, nil
}
