package numbering

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// memStore is a Store in memory. fault decides what the try-th create of a
// claim (0 first) does: whether it makes the claim and what it reports; nil
// makes every claim. With gate set, each create waits for it to close and
// first reports itself on entered.
type memStore struct {
	fault   func(c Claim, try int) (made bool, err error)
	gate    chan struct{}
	entered chan Claim
	// onCreate runs as each create starts, such as to step a clock.
	onCreate func(Claim)

	mu      sync.Mutex
	claims  map[string]map[string]Claim // by sequence, by claimName
	tries   map[string]int              // creates by claimName
	lists   int
	creates int
}

func newMemStore() *memStore {
	return &memStore{claims: map[string]map[string]Claim{}, tries: map[string]int{}}
}

func (m *memStore) List(ctx context.Context, sequence string) ([]Claim, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lists++
	var claims []Claim
	for _, c := range m.claims[sequence] {
		claims = append(claims, c)
	}
	return claims, nil
}

func (m *memStore) Create(ctx context.Context, sequence string, c Claim) error {
	if m.onCreate != nil {
		m.onCreate(c)
	}
	if m.gate != nil {
		m.entered <- c
		select {
		case <-m.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.creates++
	name := claimName(c.Series, c.Number)
	try := m.tries[name]
	m.tries[name]++
	if _, exists := m.claims[sequence][name]; exists {
		return fmt.Errorf("creating %s: %w", name, ErrExists)
	}
	made, err := true, error(nil)
	if m.fault != nil {
		made, err = m.fault(c, try)
	}
	if made {
		m.put(sequence, c)
	}
	return err
}

func (m *memStore) Get(_ context.Context, sequence, series string, number int64) (Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, found := m.claims[sequence][claimName(series, number)]
	if !found {
		return Claim{}, fmt.Errorf("claim %s not found", claimName(series, number))
	}
	return c, nil
}

// put makes a claim; under mu.
func (m *memStore) put(sequence string, c Claim) {
	if m.claims[sequence] == nil {
		m.claims[sequence] = map[string]Claim{}
	}
	m.claims[sequence][claimName(c.Series, c.Number)] = c
}

// addCustomer makes a claim of the customer sequence, as another manager
// would.
func (m *memStore) addCustomer(number int64, h Holder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.put("customer", Claim{Series: "customer", Number: number, ReservedAt: start, Holder: h})
}

// counts returns the lists and creates made so far.
func (m *memStore) counts() (lists, creates int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lists, m.creates
}

var (
	errTimeout = errors.New("the server was unable to return a response in the time allotted")
	start      = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
)

// newSequence is the customer (or, yearly, the invoice) sequence over store,
// with a fake clock at start and retries that do not slow the tests.
func newSequence(store Store, yearly bool) (*Sequence, *clocktesting.FakeClock) {
	clk := clocktesting.NewFakeClock(start)
	name := "customer"
	if yearly {
		name = "invoice"
	}
	s := New(store, clk, name, yearly)
	s.retries = []time.Duration{time.Microsecond, time.Microsecond, time.Microsecond}
	return s, clk
}

func holder(i int) Holder {
	return Holder{Kind: "Account", Name: fmt.Sprintf("account-%d", i), UID: fmt.Sprintf("uid-%d", i)}
}

// numberFor reserves the holder's number, which must succeed.
func numberFor(t *testing.T, s *Sequence, h Holder) int64 {
	t.Helper()
	claim, err := s.NumberFor(t.Context(), h)
	if err != nil {
		t.Fatalf("NumberFor(%s): %v", h.Key(), err)
	}
	if claim.Holder != h {
		t.Fatalf("NumberFor(%s) returned the claim of %+v", h.Key(), claim.Holder)
	}
	return claim.Number
}

// expectNumber reserves the holder's number, which must be want.
func expectNumber(t *testing.T, s *Sequence, h Holder, want int64) {
	t.Helper()
	if got := numberFor(t, s, h); got != want {
		t.Fatalf("NumberFor(%s) = %d, want %d", h.Key(), got, want)
	}
}

// waitFor waits until cond holds, which it must within a second.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// waitingCount is the number of unfinished reservations.
func (s *Sequence) waitingCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waiting)
}

func TestHolderKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		holder Holder
		want   string
	}{
		{Holder{Kind: "Account", Name: "a", UID: "uid-a"}, "uid-a"},
		{Holder{Kind: "Domain", Name: "d", UID: "uid-d", Event: "uid-d-reg-1767225600"}, "uid-d-reg-1767225600"},
	} {
		if got := tc.holder.Key(); got != tc.want {
			t.Errorf("%+v.Key() = %q, want %q", tc.holder, got, tc.want)
		}
	}
}

func TestSequentialNumbers(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	s, _ := newSequence(store, false)
	for i := 1; i <= 10; i++ {
		expectNumber(t, s, holder(i), int64(i))
	}
	for i := 1; i <= 10; i++ {
		expectNumber(t, s, holder(i), int64(i)) // assigned once
		claim, err := s.ReservedFor(t.Context(), holder(i))
		if err != nil || claim == nil || claim.Number != int64(i) || claim.Series != "customer" || !claim.ReservedAt.Equal(start) {
			t.Fatalf("ReservedFor(%d) = %+v, %v", i, claim, err)
		}
	}
	if claim, err := s.ReservedFor(t.Context(), holder(11)); claim != nil || err != nil {
		t.Fatalf("ReservedFor of a holder without a number = %+v, %v; want nil, nil", claim, err)
	}
	if lists, creates := store.counts(); lists != 1 || creates != 10 {
		t.Fatalf("%d lists and %d creates, want 1 list (read once) and 10 creates", lists, creates)
	}
}

func TestConcurrentReservationsAreUnique(t *testing.T) {
	t.Parallel()
	const holders = 200
	s, _ := newSequence(newMemStore(), false)
	numbers := make([]int64, holders)
	var wg sync.WaitGroup
	for i := range holders {
		wg.Go(func() {
			claim, err := s.NumberFor(t.Context(), holder(i))
			if err != nil {
				t.Errorf("NumberFor(%d): %v", i, err)
			}
			numbers[i] = claim.Number
		})
	}
	wg.Wait()
	slices.Sort(numbers)
	for i, number := range numbers {
		if number != int64(i+1) {
			t.Fatalf("sorted numbers[%d] = %d: want 1..%d without gap or duplicate, got %v", i, number, holders, numbers)
		}
	}
}

func TestSameHolderAskingConcurrentlyGetsOneNumber(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	s, _ := newSequence(store, false)
	numbers := make([]int64, 20)
	var wg sync.WaitGroup
	for i := range numbers {
		wg.Go(func() {
			claim, err := s.NumberFor(t.Context(), holder(1))
			if err != nil {
				t.Errorf("NumberFor: %v", err)
			}
			numbers[i] = claim.Number
		})
	}
	wg.Wait()
	if slices.ContainsFunc(numbers, func(n int64) bool { return n != 1 }) {
		t.Fatalf("numbers %v, want 1 for every call", numbers)
	}
	if _, creates := store.counts(); creates != 1 {
		t.Fatalf("%d creates, want 1", creates)
	}
}

// TestGroupCommit holds the create of the first reservation while the
// others queue, and tells the groups apart by their reservation time: the
// store steps the clock at each create, and a group is numbered at one time,
// after its predecessor's creates.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	const holders = 100
	store := newMemStore()
	store.gate, store.entered = make(chan struct{}), make(chan Claim, holders)
	s, clk := newSequence(store, false)
	store.onCreate = func(Claim) { clk.Step(time.Second) }

	claims := make([]Claim, holders)
	var wg sync.WaitGroup
	reserve := func(i int) {
		wg.Go(func() {
			var err error
			if claims[i], err = s.NumberFor(t.Context(), holder(i)); err != nil {
				t.Errorf("NumberFor(%d): %v", i, err)
			}
		})
	}
	reserve(0)
	<-store.entered // the first group, of one, is being created
	for i := 1; i < holders; i++ {
		reserve(i)
	}
	waitFor(t, "every reservation to queue", func() bool { return s.waitingCount() == holders })
	close(store.gate)
	wg.Wait()

	groups := map[time.Time][]int64{}
	for _, claim := range claims {
		groups[claim.ReservedAt] = append(groups[claim.ReservedAt], claim.Number)
	}
	// One group of the first, then the 99 that queued meanwhile in groups
	// of at most maxGroup.
	if want := 1 + (holders-1+maxGroup-1)/maxGroup; len(groups) != want {
		t.Fatalf("%d groups, want %d", len(groups), want)
	}
	for at, numbers := range groups {
		slices.Sort(numbers)
		if len(numbers) > maxGroup || numbers[len(numbers)-1]-numbers[0] != int64(len(numbers)-1) {
			t.Fatalf("group reserved at %s has numbers %v, want at most %d consecutive", at, numbers, maxGroup)
		}
	}
	if _, creates := store.counts(); creates != holders {
		t.Fatalf("%d creates, want one per holder (%d)", creates, holders)
	}
}

func TestRestartFindsNumbersAndContinues(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	before, _ := newSequence(store, false)
	for i := 1; i <= 5; i++ {
		expectNumber(t, before, holder(i), int64(i))
	}
	after, _ := newSequence(store, false) // a new leader
	for i := 1; i <= 5; i++ {
		expectNumber(t, after, holder(i), int64(i))
	}
	expectNumber(t, after, holder(6), 6)
	if lists, creates := store.counts(); lists != 2 || creates != 6 {
		t.Fatalf("%d lists and %d creates, want 2 (one per leader) and 6", lists, creates)
	}
}

func TestHolesAreFilled(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	for _, number := range []int64{1, 2, 4} {
		store.addCustomer(number, holder(int(number)))
	}
	s, _ := newSequence(store, false)
	expectNumber(t, s, holder(4), 4)
	expectNumber(t, s, holder(3), 3)
	expectNumber(t, s, holder(5), 5)
}

func TestClaimFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// fault is the store's fault for the claims of holder 2.
		fault func(try int) (made bool, err error)
		// want is the numbers of holders 1, 2 and 3, asked in turn; 0 when
		// the reservation fails.
		want    [3]int64
		creates int
		lists   int
	}{{
		name: "a failed create is tried again at the same number",
		fault: func(try int) (bool, error) {
			if try < 2 {
				return false, errTimeout
			}
			return true, nil
		},
		want:    [3]int64{1, 2, 3},
		creates: 5, lists: 1,
	}, {
		name: "a create that timed out but landed is the holder's",
		fault: func(try int) (bool, error) {
			if try == 0 {
				return true, errTimeout // the next try finds it made
			}
			return true, nil
		},
		want:    [3]int64{1, 2, 3},
		creates: 4, lists: 1,
	}, {
		name:    "a create that fails on every try reads the claims again",
		fault:   func(int) (bool, error) { return false, errTimeout },
		want:    [3]int64{1, 0, 2}, // the next holder takes the number
		creates: 1 + 4 + 1, lists: 2,
	}, {
		name:    "a claim that landed on the last try is found by the reload",
		fault:   func(try int) (bool, error) { return try == 3, errTimeout },
		want:    [3]int64{1, 0, 3},
		creates: 1 + 4 + 1, lists: 2,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			store := newMemStore()
			store.fault = func(c Claim, try int) (bool, error) {
				if c.Holder != holder(2) {
					return true, nil
				}
				return tc.fault(try)
			}
			s, _ := newSequence(store, false)
			for i, want := range tc.want {
				claim, err := s.NumberFor(t.Context(), holder(i+1))
				if want == 0 {
					if !errors.Is(err, errTimeout) {
						t.Fatalf("NumberFor(%d) = %+v, %v; want the create's error", i+1, claim, err)
					}
					continue
				}
				if err != nil || claim.Number != want {
					t.Fatalf("NumberFor(%d) = %d, %v; want %d", i+1, claim.Number, err, want)
				}
			}
			if lists, creates := store.counts(); lists != tc.lists || creates != tc.creates {
				t.Fatalf("%d lists and %d creates, want %d and %d", lists, creates, tc.lists, tc.creates)
			}
		})
	}
}

// TestLandedClaimIsFoundAfterReload follows a claim that landed but
// reported an error on every try: its holder asks again and finds it.
func TestLandedClaimIsFoundAfterReload(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	store.fault = func(c Claim, try int) (bool, error) { return try == 3, errTimeout }
	s, _ := newSequence(store, false)
	if _, err := s.NumberFor(t.Context(), holder(1)); !errors.Is(err, errTimeout) {
		t.Fatalf("NumberFor = %v, want the create's error", err)
	}
	expectNumber(t, s, holder(1), 1)
	if lists, creates := store.counts(); lists != 2 || creates != 4 {
		t.Fatalf("%d lists and %d creates, want 2 and 4", lists, creates)
	}
}

// TestFailedClaimInGroupLeavesHoleForNext fails the claim of 2 on every try
// of its reservation while 3 and 4 of its group are made: the next
// reservation fills the hole.
func TestFailedClaimInGroupLeavesHoleForNext(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	store.gate, store.entered = make(chan struct{}), make(chan Claim, 100)
	store.fault = func(c Claim, try int) (bool, error) {
		if c.Number == 2 && try <= len(claimRetries) {
			return false, errTimeout
		}
		return true, nil
	}
	s, _ := newSequence(store, false)
	var wg sync.WaitGroup
	results := make([]error, 4)
	for i := range 4 {
		wg.Go(func() { _, results[i] = s.NumberFor(t.Context(), holder(i+1)) })
		if i == 0 {
			<-store.entered
		}
	}
	waitFor(t, "every reservation to queue", func() bool { return s.waitingCount() == 4 })
	close(store.gate)
	wg.Wait()
	failed := slices.IndexFunc(results, func(err error) bool { return err != nil })
	if failed < 0 || !errors.Is(results[failed], errTimeout) {
		t.Fatalf("results %v, want one reservation failed with the create's error", results)
	}
	expectNumber(t, s, holder(5), 2)
	expectNumber(t, s, holder(6), 5)
}

func TestNumberTakenByAnotherManager(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	s, _ := newSequence(store, false)
	expectNumber(t, s, holder(1), 1)
	// A manager that lost its lease claims 2 after this one read the claims.
	store.addCustomer(2, holder(99))
	expectNumber(t, s, holder(2), 3)
	expectNumber(t, s, holder(3), 4)
}

func TestGivesUpAfterMaxClaimAttempts(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	s, _ := newSequence(store, false)
	expectNumber(t, s, holder(1), 1)
	for number := int64(2); number <= 1+maxClaimAttempts; number++ {
		store.addCustomer(number, holder(1000+int(number)))
	}
	if _, err := s.NumberFor(t.Context(), holder(2)); err == nil {
		t.Fatal("NumberFor found a number with every tried one taken")
	}
	expectNumber(t, s, holder(3), 2+maxClaimAttempts)
}

func TestGetErrorReadsClaimsAgain(t *testing.T) {
	t.Parallel()
	store := &failingGet{memStore: newMemStore()}
	s, _ := newSequence(store, false)
	expectNumber(t, s, holder(1), 1)
	store.addCustomer(2, holder(99))
	if _, err := s.NumberFor(t.Context(), holder(2)); !errors.Is(err, errTimeout) {
		t.Fatalf("NumberFor = %v, want the error of Get", err)
	}
	expectNumber(t, s, holder(2), 3) // the reload saw 2 taken
	if lists, _ := store.counts(); lists != 2 {
		t.Fatalf("%d lists, want 2", lists)
	}
}

// failingGet is a store whose Get always fails.
type failingGet struct{ *memStore }

func (failingGet) Get(context.Context, string, string, int64) (Claim, error) {
	return Claim{}, errTimeout
}

func TestListErrorFailsReservation(t *testing.T) {
	t.Parallel()
	s, _ := newSequence(failingList{}, false)
	if _, err := s.NumberFor(t.Context(), holder(1)); !errors.Is(err, errTimeout) {
		t.Fatalf("NumberFor = %v, want the error of List", err)
	}
	if _, err := s.ReservedFor(t.Context(), holder(1)); !errors.Is(err, errTimeout) {
		t.Fatalf("ReservedFor = %v, want the error of List", err)
	}
}

// failingList is a store whose List always fails.
type failingList struct{ Store }

func (failingList) List(context.Context, string) ([]Claim, error) { return nil, errTimeout }

func TestYearlySeries(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	s, clk := newSequence(store, true)
	clk.SetTime(time.Date(2025, 12, 31, 23, 59, 58, 0, time.UTC))
	expectNumber(t, s, holder(1), 1)
	expectNumber(t, s, holder(2), 2)

	clk.SetTime(time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC))
	claim, err := s.ReservedFor(t.Context(), holder(2))
	if err != nil || claim == nil || claim.Series != "invoice-2025" || claim.Number != 2 || claim.ReservedAt.Year() != 2025 {
		t.Fatalf("ReservedFor on 1 January = %+v, %v; want number 2 of invoice-2025", claim, err)
	}
	expectNumber(t, s, holder(3), 1)
	expectNumber(t, s, holder(2), 2)
	if claim, _ := s.NumberFor(t.Context(), holder(3)); claim.Series != "invoice-2026" {
		t.Fatalf("series %s, want invoice-2026", claim.Series)
	}

	again, _ := newSequence(store, true) // each series continues after a restart
	expectNumber(t, again, holder(4), 2)
}

func TestCancelledContextReturnsPromptly(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	store.gate, store.entered = make(chan struct{}), make(chan Claim, 1)
	s, _ := newSequence(store, false)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := s.NumberFor(ctx, holder(1))
		done <- err
	}()
	<-store.entered
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("NumberFor = %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("NumberFor did not return when its context was cancelled")
	}
	// The reservation goes on without the reconcile that asked; the holder
	// finds the number next time.
	close(store.gate)
	expectNumber(t, s, holder(1), 1)
	if _, creates := store.counts(); creates != 1 {
		t.Fatalf("%d creates, want 1", creates)
	}
}
