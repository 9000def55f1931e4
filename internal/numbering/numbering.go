// Package numbering hands out the numbers of a series, such as customer
// numbers (A6) and invoice numbers (I2): unique, consecutive without gaps,
// and assigned once, so that a holder finds its number again after any crash.
//
// A Sequence keeps the numbers; a Store keeps the claims that make them
// last (ClaimStore keeps them as NumberClaim objects in the API server).
package numbering

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Holder is what a number is reserved for: an object, or one billable event
// of an object.
type Holder struct {
	Kind, Name, UID string
	// Event tells the numbers of one object apart: an invoice number per
	// billable event of a Domain. Empty when the object has one number.
	Event string
}

// Key is what the holder's claim is found by: the event's idempotency key,
// or else the object's UID. It is a valid label value.
func (h Holder) Key() string {
	if h.Event != "" {
		return h.Event
	}
	return h.UID
}

// Claim is one number reserved for one holder.
type Claim struct {
	// Series is the series the number belongs to: the sequence's name, or
	// name-year for a yearly sequence (invoice-2026).
	Series string
	Number int64
	// ReservedAt is when the number was reserved, in UTC and to the second:
	// an invoice takes it as its issue time (and its year into its number),
	// so an invoice created after a crash says the same.
	ReservedAt time.Time
	Holder     Holder
}

// ErrExists is wrapped by the error of Store.Create when the number has a
// claim already.
var ErrExists = errors.New("number is claimed already")

// Store keeps the claims of sequences, where each number of a series can
// have one claim only and a claim, once made, is never deleted.
type Store interface {
	// List returns every claim of a sequence as it is now, not as a cache
	// saw it a moment ago.
	List(ctx context.Context, sequence string) ([]Claim, error)
	// Create makes a claim. Its error wraps ErrExists when the number has a
	// claim already (which may be this one, made by an earlier try); after
	// any other error the claim may or may not have been made.
	Create(ctx context.Context, sequence string, c Claim) error
	// Get returns the claim of one number, which exists.
	Get(ctx context.Context, sequence, series string, number int64) (Claim, error)
}

// Numbers is what the reconcilers need of a Sequence.
type Numbers interface {
	// NumberFor returns the holder's claim, reserving the next number if
	// the holder has none.
	NumberFor(ctx context.Context, holder Holder) (Claim, error)
	// ReservedFor returns the holder's claim, or nil when it has none.
	ReservedFor(ctx context.Context, holder Holder) (*Claim, error)
}

var _ Numbers = (*Sequence)(nil)

const (
	// maxClaimAttempts bounds the numbers tried in one allocation: each
	// failed attempt means another holder took that number just before.
	maxClaimAttempts = 64
	// maxGroup bounds the claims created at once.
	maxGroup = 32
	// groupTimeout bounds the creates of one group, which other
	// reconciles wait for, and the reads made under mu.
	groupTimeout = 30 * time.Second
)

// claimRetries are the pauses before a claim whose create failed is tried
// again, at the same number: a later claim of its group may have been made,
// and a hole is better not left, even for the next reservation to fill (a
// hole in last year's series would stay one).
var claimRetries = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}

// Sequence hands out the numbers of one series: unique (the store lets one
// claim have a number), consecutive, and assigned once: a holder that was
// given a number finds it again after any crash.
//
// It reads the sequence's claims from the store once (at the first lookup,
// which comes after this manager won the leader election), and then knows
// every claim: while it leads, no other manager creates any. So a lookup
// costs no request, where reading the API server each time would cost a
// list of every claim per billable event. A create whose outcome is unknown
// (a timeout, say) makes it read them all again.
//
// Reservations are committed in groups: the holders that ask while one
// group's claims are being created wait, and then get consecutive numbers
// whose claims are created at once, so that the numbers cost one round trip
// per group rather than per holder. A claim that fails while a later one of
// its group was made leaves a hole, which the next reservation fills (a
// reload finds it), so the series has no gap once that holder, or any
// other, is given a number.
type Sequence struct {
	store Store
	clock clock.PassiveClock
	// name names the sequence, such as customer or invoice.
	name string
	// yearly starts a new series each calendar year (invoice-2026,
	// invoice-2027, ...), numbered from 1; otherwise the series is name.
	yearly bool
	// retries are the pauses between the tries of one claim: claimRetries,
	// shorter in tests.
	retries []time.Duration

	// mu guards what follows: the reconcilers of one manager look up and
	// queue their reservations under it, and one committer at a time
	// assigns numbers, so that concurrent reconciles never race for one.
	mu sync.Mutex
	// known is every claim of the sequence by holder key, highest the
	// highest number of each series, and holes the free numbers below it,
	// lowest first; all nil until read.
	known   map[string]Claim
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

// New returns the sequence called name, whose claims store keeps. A yearly
// sequence starts a new series, numbered from 1, each calendar year (UTC) of
// clk.
func New(store Store, clk clock.PassiveClock, name string, yearly bool) *Sequence {
	return &Sequence{store: store, clock: clk, name: name, yearly: yearly, retries: claimRetries}
}

// reservation is one holder's wait for a number.
type reservation struct {
	holder   Holder
	attempts int
	result   Claim
	err      error
	done     chan struct{}
}

// finish hands the reservation its outcome; under mu.
func (s *Sequence) finish(r *reservation, claim Claim, err error) {
	r.result, r.err = claim, err
	delete(s.waiting, r.holder.Key())
	close(r.done)
}

// series is the series a number reserved at now belongs to.
func (s *Sequence) series(now time.Time) string {
	if s.yearly {
		return fmt.Sprintf("%s-%d", s.name, now.Year())
	}
	return s.name
}

// NumberFor returns the holder's claim, reserving the next number of the
// current series if it has none. Claims are never deleted, and each is made
// at the lowest free number, so the series has no gaps.
func (s *Sequence) NumberFor(ctx context.Context, holder Holder) (Claim, error) {
	s.mu.Lock()
	claim, found, err := s.reservedFor(ctx, holder)
	if found || err != nil {
		s.mu.Unlock()
		return claim, err
	}
	r := s.queue(holder)
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
		return Claim{}, ctx.Err() // a number reserved meanwhile is found next time
	}
}

// queue returns the holder's unfinished reservation, or queues a new one for
// the next group; under mu.
func (s *Sequence) queue(holder Holder) *reservation {
	if r := s.waiting[holder.Key()]; r != nil {
		return r
	}
	r := &reservation{holder: holder, done: make(chan struct{})}
	if s.waiting == nil {
		s.waiting = map[string]*reservation{}
	}
	s.waiting[holder.Key()] = r
	s.pending = append(s.pending, r)
	return r
}

// ReservedFor returns the holder's claim, or nil when it has none, in any
// series of the sequence: a number reserved on 31 December is found again on
// 1 January.
func (s *Sequence) ReservedFor(ctx context.Context, holder Holder) (*Claim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	claim, found, err := s.reservedFor(ctx, holder)
	if !found || err != nil {
		return nil, err
	}
	return &claim, nil
}

func (s *Sequence) reservedFor(ctx context.Context, holder Holder) (Claim, bool, error) {
	if err := s.load(ctx); err != nil {
		return Claim{}, false, err
	}
	claim, found := s.known[holder.Key()]
	return claim, found, nil
}

// load reads every claim of the sequence from the store, once, and finds
// the numbers below the highest that have no claim.
func (s *Sequence) load(ctx context.Context) error {
	if s.known != nil {
		return nil
	}
	claims, err := s.store.List(ctx, s.name)
	if err != nil {
		return fmt.Errorf("reading the claims of sequence %s: %w", s.name, err)
	}
	known, highest := make(map[string]Claim, len(claims)), map[string]int64{}
	taken := map[string]map[int64]bool{}
	for _, claim := range claims {
		known[claim.Holder.Key()] = claim
		highest[claim.Series] = max(highest[claim.Series], claim.Number)
		if taken[claim.Series] == nil {
			taken[claim.Series] = map[int64]bool{}
		}
		taken[claim.Series][claim.Number] = true
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

// pendingClaim is a reservation with the claim that is being created for it.
type pendingClaim struct {
	*reservation
	claim Claim
}

// outcome is what the create of one claim did: the claim made, or why not.
type outcome struct {
	claim Claim
	err   error
}

// commit creates the claims of the pending reservations, a group at a time,
// until none is left.
func (s *Sequence) commit(ctx context.Context) {
	for {
		group := s.takeGroup(ctx)
		if group == nil {
			return
		}
		outcomes := make([]outcome, len(group))
		createCtx, cancel := context.WithTimeout(ctx, groupTimeout)
		var wg sync.WaitGroup
		for i, c := range group {
			wg.Go(func() {
				claim, err := s.claimNumber(createCtx, c.claim)
				outcomes[i] = outcome{claim, err}
			})
		}
		wg.Wait()
		cancel()
		s.settle(group, outcomes)
	}
}

// claimNumber creates a claim, and tries again at the same number while the
// outcome is unknown. A claim that exists already is the holder's when an
// earlier try made it (it landed after the client gave up on it); then it is
// taken as made, and returned as the store has it.
func (s *Sequence) claimNumber(ctx context.Context, claim Claim) (Claim, error) {
	for attempt := 0; ; attempt++ {
		err := s.store.Create(ctx, s.name, claim)
		if errors.Is(err, ErrExists) {
			return s.existing(ctx, claim, err)
		}
		if err == nil || attempt == len(s.retries) || ctx.Err() != nil {
			return claim, err
		}
		select {
		case <-time.After(s.retries[attempt]):
		case <-ctx.Done():
			return claim, err
		}
	}
}

// existing returns the claim that exists at claim's number when it is the
// same holder's, and else exists, the error that says it is taken.
func (s *Sequence) existing(ctx context.Context, claim Claim, exists error) (Claim, error) {
	found, err := s.store.Get(ctx, s.name, claim.Series, claim.Number)
	if err != nil {
		return claim, err // unknown: the claims are read again
	}
	if found.Holder.Key() != claim.Holder.Key() {
		return claim, exists
	}
	return found, nil
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
				s.finish(r, Claim{}, err)
			}
			s.pending = nil
			break
		}
		if group := s.nextGroup(); len(group) > 0 {
			return group
		}
	}
	s.committing = false
	return nil
}

// nextGroup takes up to maxGroup pending reservations and gives each the
// next free number of the current series; under mu, with the claims loaded.
// All of a group's claims are reserved at the same time, in one series.
func (s *Sequence) nextGroup() []pendingClaim {
	now := s.clock.Now().UTC().Truncate(time.Second)
	series := s.series(now)
	var group []pendingClaim
	for len(s.pending) > 0 && len(group) < maxGroup {
		r := s.pending[0]
		s.pending = s.pending[1:]
		if claim, found := s.known[r.holder.Key()]; found {
			s.finish(r, claim, nil) // found by a reload since it asked
			continue
		}
		claim := Claim{Series: series, Number: s.nextNumber(series), ReservedAt: now, Holder: r.holder}
		group = append(group, pendingClaim{r, claim})
	}
	return group
}

// settle records what the creates of a group did: a claim made is the
// holder's; a number taken by someone else (a manager that lost its lease)
// sends the holder back for the next; any other failure may have made the
// claim all the same, so the claims are read again.
func (s *Sequence) settle(group []pendingClaim, outcomes []outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	unknown := false
	for i, c := range group {
		series, number := c.claim.Series, c.claim.Number
		switch err := outcomes[i].err; {
		case err == nil:
			s.known[c.holder.Key()] = outcomes[i].claim
			s.taken(series, number)
			s.finish(c.reservation, outcomes[i].claim, nil)
		case errors.Is(err, ErrExists):
			s.taken(series, number)
			if c.attempts++; c.attempts >= maxClaimAttempts {
				s.finish(c.reservation, Claim{}, fmt.Errorf("no free number in series %s after %d attempts", series, maxClaimAttempts))
				continue
			}
			s.pending = append(s.pending, c.reservation)
		default:
			unknown = true
			s.finish(c.reservation, Claim{}, fmt.Errorf("claiming number %d of series %s: %w", number, series, err))
		}
	}
	if unknown {
		s.forget()
	}
}
