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
	// SequenceLabel selects the claims of one sequence (read once per
	// leadership), HolderKeyLabel tells whose each one is, and SeriesLabel
	// selects one series (a year of invoice numbers) for people and tests.
	SequenceLabel  = "clientarea.dev/sequence"
	SeriesLabel    = "clientarea.dev/series"
	HolderKeyLabel = "clientarea.dev/holder-key"

	// maxClaimAttempts bounds the numbers tried in one allocation: each
	// failed attempt means another holder took that number just before.
	maxClaimAttempts = 64
)

// The claims are read only past the cache (once), never watched.
// +kubebuilder:rbac:groups=clientarea.dev,resources=numberclaims,verbs=list;create

// Sequence hands out the numbers of one series: unique (the API server lets
// one NumberClaim have a name), consecutive, and assigned once: a holder that
// was given a number finds it again after any crash.
//
// It reads the sequence's claims from the API server once (at the first
// lookup, which comes after this manager won the leader election), and then
// knows every claim: while it leads, no other manager creates any. So a
// lookup costs no request, where reading the API server each time would
// cost a list of every claim per billable event. A create whose outcome is
// unknown (a timeout, say) makes it read them all again.
type Sequence struct {
	// Client creates the claims.
	Client client.Client
	// APIReader reads the claims from the API server, not from a cache that
	// may lag behind a claim created just before a crash.
	APIReader client.Reader
	Clock     clock.PassiveClock
	// Name names the sequence, such as customer or invoice.
	Name string
	// Yearly starts a new series each calendar year (invoice-2026,
	// invoice-2027, ...), numbered from 1; otherwise the series is Name.
	Yearly bool

	// mu makes the reconcilers of one manager look up and reserve one at a
	// time, so that concurrent reconciles never race for one number.
	mu sync.Mutex
	// known is every claim of the sequence by holder key, and highest the
	// highest number of each series; nil until read.
	known   map[string]*v1.NumberClaim
	highest map[string]int64
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

// NumberFor returns the holder's claim, reserving the next number of the
// current series if it has none. Claims are never deleted, and each is made
// at one past the highest that exists, so the series has no gaps.
func (s *Sequence) NumberFor(ctx context.Context, holder NumberHolder) (*v1.NumberClaim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	claim, err := s.reservedFor(ctx, holder)
	if claim != nil || err != nil {
		return claim, err
	}
	return s.reserve(ctx, holder)
}

// ReservedFor returns the holder's claim, or nil when it has none, in any
// series of the sequence: a number reserved on 31 December is found again on
// 1 January.
func (s *Sequence) ReservedFor(ctx context.Context, holder NumberHolder) (*v1.NumberClaim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reservedFor(ctx, holder)
}

func (s *Sequence) reservedFor(ctx context.Context, holder NumberHolder) (*v1.NumberClaim, error) {
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	return s.known[holder.key()], nil
}

// load reads every claim of the sequence from the API server, once.
func (s *Sequence) load(ctx context.Context) error {
	if s.known != nil {
		return nil
	}
	claims := &v1.NumberClaimList{}
	if err := s.APIReader.List(ctx, claims, client.MatchingLabels{SequenceLabel: s.Name}); err != nil {
		return fmt.Errorf("reading the claims of sequence %s: %w", s.Name, err)
	}
	known, highest := make(map[string]*v1.NumberClaim, len(claims.Items)), map[string]int64{}
	for i := range claims.Items {
		claim := &claims.Items[i]
		known[claim.Labels[HolderKeyLabel]] = claim
		highest[claim.Spec.Series] = max(highest[claim.Spec.Series], claim.Spec.Number)
	}
	s.known, s.highest = known, highest
	return nil
}

func (s *Sequence) reserve(ctx context.Context, holder NumberHolder) (*v1.NumberClaim, error) {
	now := s.Clock.Now().UTC().Truncate(time.Second)
	series := s.series(now)
	next := s.highest[series]
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
			continue // another manager took it (a split brain): try the one after
		}
		if err != nil {
			// The claim may exist all the same: read them all again next time.
			s.known, s.highest = nil, nil
			return nil, err
		}
		s.known[holder.key()] = claim
		s.highest[series] = next
		return claim, nil
	}
	s.known, s.highest = nil, nil
	return nil, fmt.Errorf("no free number in series %s after %d attempts beyond %d", series, maxClaimAttempts, next-maxClaimAttempts)
}
