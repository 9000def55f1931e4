package controller

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
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

// The claims are read only past the cache (all once, and one that exists
// when it is created, to see whose it is), never watched.
// +kubebuilder:rbac:groups=clientarea.dev,resources=numberclaims,verbs=get;list;create

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
//
// Reservations are committed in groups: the holders that ask while one
// group's claims are being created wait, and then get consecutive numbers
// whose claims are created at once, so that the numbers cost one round trip
// per group rather than per holder. A claim that fails while a later one of
// its group was made leaves a hole, which the next reservation fills (a
// reload finds it), so the series has no gap once that holder, or any
// other, is given a number.
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

	// mu guards what follows: the reconcilers of one manager look up and
	// queue their reservations under it, and one committer at a time
	// assigns numbers, so that concurrent reconciles never race for one.
	mu sync.Mutex
	// known is every claim of the sequence by holder key, highest the
	// highest number of each series, and holes the free numbers below it,
	// lowest first; all nil until read.
	known   map[string]*clientareav1alpha1.NumberClaim
	highest map[string]int64
	holes   map[string][]int64
	// pending is the reservations that wait for the next group, waiting
	// every unfinished reservation by holder key (so that a holder that
	// asks again waits for the same one), and committing whether a
	// committer is at work.
	pending    []*reservation
	waiting    map[string]*reservation
	committing bool
}

// reservation is one holder's wait for a number.
type reservation struct {
	holder   NumberHolder
	attempts int
	result   *clientareav1alpha1.NumberClaim
	err      error
	done     chan struct{}
}

// finish hands the reservation its outcome; under mu.
func (s *Sequence) finish(r *reservation, claim *clientareav1alpha1.NumberClaim, err error) {
	r.result, r.err = claim, err
	delete(s.waiting, r.holder.key())
	close(r.done)
}

const (
	// maxGroup bounds the claims created at once.
	maxGroup = 32
	// groupTimeout bounds the creates of one group, which other
	// reconciles wait for.
	groupTimeout = 30 * time.Second
)

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
// at the lowest free number, so the series has no gaps.
func (s *Sequence) NumberFor(ctx context.Context, holder NumberHolder) (*clientareav1alpha1.NumberClaim, error) {
	s.mu.Lock()
	claim, err := s.reservedFor(ctx, holder)
	if claim != nil || err != nil {
		s.mu.Unlock()
		return claim, err
	}
	r := s.waiting[holder.key()]
	if r == nil {
		r = &reservation{holder: holder, done: make(chan struct{})}
		if s.waiting == nil {
			s.waiting = map[string]*reservation{}
		}
		s.waiting[holder.key()] = r
		s.pending = append(s.pending, r)
	}
	if !s.committing {
		s.committing = true
		// The group outlives the reconcile that started it: the others
		// wait on it too.
		go s.commit(context.WithoutCancel(ctx))
	}
	s.mu.Unlock()
	select {
	case <-r.done:
		return r.result, r.err
	case <-ctx.Done():
		return nil, ctx.Err() // a number reserved meanwhile is found next time
	}
}

// ReservedFor returns the holder's claim, or nil when it has none, in any
// series of the sequence: a number reserved on 31 December is found again on
// 1 January.
func (s *Sequence) ReservedFor(ctx context.Context, holder NumberHolder) (*clientareav1alpha1.NumberClaim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reservedFor(ctx, holder)
}

func (s *Sequence) reservedFor(ctx context.Context, holder NumberHolder) (*clientareav1alpha1.NumberClaim, error) {
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	return s.known[holder.key()], nil
}

// load reads every claim of the sequence from the API server, once, and
// finds the numbers below the highest that have no claim.
func (s *Sequence) load(ctx context.Context) error {
	if s.known != nil {
		return nil
	}
	claims := &clientareav1alpha1.NumberClaimList{}
	if err := s.APIReader.List(ctx, claims, client.MatchingLabels{SequenceLabel: s.Name}); err != nil {
		return fmt.Errorf("reading the claims of sequence %s: %w", s.Name, err)
	}
	known, highest := make(map[string]*clientareav1alpha1.NumberClaim, len(claims.Items)), map[string]int64{}
	taken := map[string]map[int64]bool{}
	for i := range claims.Items {
		claim := &claims.Items[i]
		known[claim.Labels[HolderKeyLabel]] = claim
		highest[claim.Spec.Series] = max(highest[claim.Spec.Series], claim.Spec.Number)
		if taken[claim.Spec.Series] == nil {
			taken[claim.Spec.Series] = map[int64]bool{}
		}
		taken[claim.Spec.Series][claim.Spec.Number] = true
	}
	holes := map[string][]int64{}
	for series, top := range highest {
		for number := int64(1); number < top; number++ {
			if !taken[series][number] {
				holes[series] = append(holes[series], number)
			}
		}
	}
	s.known, s.highest, s.holes = known, highest, holes
	return nil
}

// forget drops what is known, to read it again: after a create whose
// outcome is unknown.
func (s *Sequence) forget() { s.known, s.highest, s.holes = nil, nil, nil }

// nextNumber is the lowest free number of a series, which it takes.
func (s *Sequence) nextNumber(series string) int64 {
	if holes := s.holes[series]; len(holes) > 0 {
		s.holes[series] = holes[1:]
		return holes[0]
	}
	s.highest[series]++
	return s.highest[series]
}

// taken records that a number of a series has a claim.
func (s *Sequence) taken(series string, number int64) {
	s.highest[series] = max(s.highest[series], number)
	s.holes[series] = slices.DeleteFunc(s.holes[series], func(hole int64) bool { return hole == number })
}

// commit creates the claims of the pending reservations, a group at a time,
// until none is left.
func (s *Sequence) commit(ctx context.Context) {
	for {
		group := s.takeGroup(ctx)
		if group == nil {
			return
		}
		results := make([]error, len(group))
		createCtx, cancel := context.WithTimeout(ctx, groupTimeout)
		var wg sync.WaitGroup
		for i, c := range group {
			wg.Go(func() { results[i] = s.claimNumber(createCtx, c) })
		}
		wg.Wait()
		cancel()
		s.settle(group, results)
	}
}

// claimRetries are the pauses before a claim whose create failed is tried
// again, at the same number: a later claim of its group may have been made,
// and a hole is better not left, even for the next reservation to fill (a
// hole in last year's series would stay one).
var claimRetries = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}

// claimNumber creates the claim of one reservation, and tries again at the
// same number while the outcome is unknown. A claim that exists already is
// the holder's when an earlier try made it (it landed after the client gave
// up on it); then it is taken as made.
func (s *Sequence) claimNumber(ctx context.Context, c pendingClaim) error {
	for attempt := 0; ; attempt++ {
		err := s.Client.Create(ctx, c.claim)
		if apierrors.IsAlreadyExists(err) {
			existing := &clientareav1alpha1.NumberClaim{}
			if getErr := s.APIReader.Get(ctx, client.ObjectKeyFromObject(c.claim), existing); getErr != nil {
				return getErr // unknown: the claims are read again
			}
			if existing.Labels[HolderKeyLabel] == c.holder.key() {
				existing.DeepCopyInto(c.claim)
				return nil
			}
			return err
		}
		if err == nil || attempt == len(claimRetries) || ctx.Err() != nil {
			return err
		}
		select {
		case <-time.After(claimRetries[attempt]):
		case <-ctx.Done():
			return err
		}
	}
}

// pendingClaim is a reservation with the claim that is being created for it.
type pendingClaim struct {
	*reservation
	claim *clientareav1alpha1.NumberClaim
}

// takeGroup assigns numbers to the next group of pending reservations and
// returns their claims to create; nil when none is pending, and the
// committer stops.
func (s *Sequence) takeGroup(ctx context.Context) []pendingClaim {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.pending) > 0 {
		// Under mu: bounded, so that lookups do not wait for ever.
		loadCtx, cancel := context.WithTimeout(ctx, groupTimeout)
		err := s.load(loadCtx)
		cancel()
		if err != nil {
			for _, r := range s.pending {
				s.finish(r, nil, err)
			}
			s.pending = nil
			break
		}
		now := s.Clock.Now().UTC().Truncate(time.Second)
		series := s.series(now)
		var group []pendingClaim
		for len(s.pending) > 0 && len(group) < maxGroup {
			r := s.pending[0]
			s.pending = s.pending[1:]
			if claim := s.known[r.holder.key()]; claim != nil {
				s.finish(r, claim, nil) // found by a reload since it asked
				continue
			}
			group = append(group, pendingClaim{r, s.newClaim(r.holder, series, s.nextNumber(series), now)})
		}
		if len(group) > 0 {
			return group
		}
	}
	s.committing = false
	return nil
}

func (s *Sequence) newClaim(holder NumberHolder, series string, number int64, now time.Time) *clientareav1alpha1.NumberClaim {
	return &clientareav1alpha1.NumberClaim{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("%s-%012d", series, number),
			Labels: map[string]string{
				ManagedByLabel: ManagedByValue, SequenceLabel: s.Name, SeriesLabel: series, HolderKeyLabel: holder.key(),
			},
		},
		Spec: clientareav1alpha1.NumberClaimSpec{
			Series: series, Number: number, HolderKind: holder.Kind, HolderName: holder.Name, HolderUID: holder.UID,
			Event: holder.Event, ReservedAt: &metav1.Time{Time: now},
		},
	}
}

// settle records what the creates of a group did: a claim made is the
// holder's; a number taken by someone else (a manager that lost its lease)
// sends the holder back for the next; any other failure may have made the
// claim all the same, so the claims are read again.
func (s *Sequence) settle(group []pendingClaim, results []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	unknown := false
	for i, c := range group {
		series, number := c.claim.Spec.Series, c.claim.Spec.Number
		switch err := results[i]; {
		case err == nil:
			s.known[c.holder.key()] = c.claim
			s.taken(series, number)
			s.finish(c.reservation, c.claim, nil)
		case apierrors.IsAlreadyExists(err):
			s.taken(series, number)
			if c.attempts++; c.attempts >= maxClaimAttempts {
				s.finish(c.reservation, nil, fmt.Errorf("no free number in series %s after %d attempts", series, maxClaimAttempts))
				continue
			}
			s.pending = append(s.pending, c.reservation)
		default:
			unknown = true
			s.finish(c.reservation, nil, err)
		}
	}
	if unknown {
		s.forget()
	}
}
