package web

import (
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// fail makes one attempt of key that fails, as a sign-in does: begun,
// then ended. It says whether the attempt was let through, and what its end
// said.
func fail(l *attemptLimiter, key string) (allowed, locked bool, until time.Time) {
	if ok, until := l.begin(key); !ok {
		return false, false, until
	}
	locked, until = l.end(key, true)
	return true, locked, until
}

// W7: ten failed attempts a minute per key; the eleventh is refused; the
// lock-out doubles with every lock-out, up to an hour.
func TestAttemptLimiter(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := newAttemptLimiter(clk, attemptLimit, 100)
	for i := range attemptLimit {
		allowed, locked, _ := fail(l, "a")
		if !allowed || locked != (i == attemptLimit-1) {
			t.Fatalf("failure %d: allowed %v, locked %v", i+1, allowed, locked)
		}
		clk.SetTime(clk.Now().Add(time.Second))
	}
	if ok, until := l.begin("a"); ok || !until.After(clk.Now()) {
		t.Fatalf("the 11th attempt in a minute: allowed %v until %v", ok, until)
	}
	if ok, _ := l.begin("b"); !ok {
		t.Fatal("another key is refused")
	}
	// After the first lock-out (a minute), ten more failures lock out for two.
	clk.SetTime(clk.Now().Add(attemptLockout))
	var until time.Time
	for range attemptLimit {
		_, _, until = fail(l, "a")
	}
	if want := clk.Now().Add(2 * attemptLockout); !until.Equal(want) {
		t.Fatalf("second lock-out until %v, want %v", until, want)
	}
	clk.SetTime(clk.Now().Add(2*attemptLockout - time.Second))
	if ok, _ := l.begin("a"); ok {
		t.Fatal("allowed during the second lock-out")
	}
	// The back-off is bounded.
	for range 20 {
		clk.SetTime(clk.Now().Add(attemptMaxLockout))
		for range attemptLimit {
			_, _, until = fail(l, "a")
		}
	}
	if d := until.Sub(clk.Now()); d != attemptMaxLockout {
		t.Fatalf("lock-out of %v, want at most %v", d, attemptMaxLockout)
	}
	// Failures spread over more than a minute never lock out.
	for range 5 * attemptLimit {
		if allowed, locked, _ := fail(l, "slow"); !allowed || locked {
			t.Fatal("refused or locked out by one failure every 7 seconds")
		}
		clk.SetTime(clk.Now().Add(7 * time.Second))
	}
}

// W7: a success forgets no failure: a client that knows one domain's
// password cannot wipe its failed guesses at others by signing in to it.
func TestAttemptLimiterSuccessForgetsNothing(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Now())
	l := newAttemptLimiter(clk, attemptLimit, 100)
	for range attemptLimit - 1 {
		fail(l, "client")
	}
	if ok, _ := l.begin("client"); !ok {
		t.Fatal("the tenth attempt is refused")
	}
	if locked, _ := l.end("client", false); locked {
		t.Fatal("a success locked out")
	}
	if allowed, locked, _ := fail(l, "client"); !allowed || !locked {
		t.Fatalf("the tenth failure after a success: allowed %v, locked %v; want a lock-out", allowed, locked)
	}
}

// W7: attempts still being checked count against the limit, so that a
// burst of concurrent attempts, each waiting for the slow hash, is held to
// it as well; and an attempt that ends frees its place.
func TestAttemptLimiterCountsAttemptsInProgress(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Now())
	l := newAttemptLimiter(clk, attemptLimit, 100)
	for i := range attemptLimit {
		if ok, _ := l.begin("burst"); !ok {
			t.Fatalf("attempt %d of a burst refused", i+1)
		}
	}
	if ok, _ := l.begin("burst"); ok {
		t.Fatal("an 11th attempt let through while ten are being checked")
	}
	l.end("burst", false)
	if ok, _ := l.begin("burst"); !ok {
		t.Fatal("refused after one of the ten ended in a success")
	}
	for range attemptLimit {
		l.end("burst", true)
	}
	if ok, _ := l.begin("burst"); ok {
		t.Fatal("allowed after the burst's ten failures")
	}
}

// W7: the limiter remembers at most its bound of keys, and forgets a
// locked-out key last; a name no Domain can have is limited under one key,
// however long.
func TestAttemptLimiterIsBounded(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Now())
	l := newAttemptLimiter(clk, 3, 10)
	for range 3 {
		fail(l, "locked")
	}
	for i := range 100 {
		fail(l, string(rune('A'+i)))
	}
	if l.len() > 10 {
		t.Fatalf("%d keys remembered, want at most 10", l.len())
	}
	if ok, _ := l.begin("locked"); ok {
		t.Fatal("the locked-out key was forgotten for others")
	}
	long := strings.Repeat("x", 60_000) + ".de"
	if limiterKey(long) != implausibleDomainKey || limiterKey("Not A Name") != implausibleDomainKey || limiterKey("") != implausibleDomainKey {
		t.Fatal("an implausible name is a key of its own")
	}
	if limiterKey("mustermann.de") != "mustermann.de" {
		t.Fatal("a domain name is not its own key")
	}
}

// W7: a domain session ends after 10 minutes idle and an hour in all.
func TestDomainSessionExpiry(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Now())
	st := newDomainSessionStore(clk)
	d := st.create("", domainSession{Credential: "example.de", Namespace: "ns", ServiceAccount: "sa"})
	if got := d.user(); got != "system:serviceaccount:ns:sa" {
		t.Fatalf("acts as %q", got)
	}
	clk.SetTime(clk.Now().Add(domainSessionIdle - time.Second))
	if _, ok := st.get(d.ID); !ok {
		t.Fatal("ended before the idle timeout")
	}
	clk.SetTime(clk.Now().Add(domainSessionIdle))
	if _, ok := st.get(d.ID); ok {
		t.Fatal("alive after 10 idle minutes")
	}
	d = st.create("", domainSession{Credential: "example.de"})
	for range 6 {
		clk.SetTime(clk.Now().Add(domainSessionIdle - time.Second))
		if _, ok := st.get(d.ID); !ok {
			t.Fatal("ended before the absolute timeout")
		}
	}
	clk.SetTime(clk.Now().Add(10 * time.Second))
	if _, ok := st.get(d.ID); ok {
		t.Fatal("alive after an hour")
	}
	// A new sign-in ends the session it replaces.
	old := st.create("", domainSession{Credential: "example.de"})
	renewed := st.create(old.ID, domainSession{Credential: "example.de"})
	if _, ok := st.get(old.ID); ok || renewed.ID == old.ID {
		t.Fatal("the old session id is still alive after a sign-in")
	}
}
