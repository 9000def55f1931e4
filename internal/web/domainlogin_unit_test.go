package web

import (
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// W7: ten failed attempts a minute per key; the eleventh is refused; the
// lock-out doubles with every lock-out; a key that knew a password starts
// over.
func TestAttemptLimiter(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := newAttemptLimiter(clk, attemptLimit, 100)
	for i := range attemptLimit {
		if ok, _ := l.allowed("a"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		locked, _ := l.failed("a")
		if locked != (i == attemptLimit-1) {
			t.Fatalf("failure %d: locked %v", i+1, locked)
		}
		clk.SetTime(clk.Now().Add(time.Second))
	}
	if ok, until := l.allowed("a"); ok || !until.After(clk.Now()) {
		t.Fatalf("the 11th attempt in a minute: allowed %v until %v", ok, until)
	}
	if ok, _ := l.allowed("b"); !ok {
		t.Fatal("another key is refused")
	}
	// After the first lock-out (a minute), ten more failures lock out for two.
	clk.SetTime(clk.Now().Add(attemptLockout))
	if ok, _ := l.allowed("a"); !ok {
		t.Fatal("refused after the lock-out")
	}
	var until time.Time
	for range attemptLimit {
		_, until = l.failed("a")
	}
	if want := clk.Now().Add(2 * attemptLockout); !until.Equal(want) {
		t.Fatalf("second lock-out until %v, want %v", until, want)
	}
	clk.SetTime(clk.Now().Add(2*attemptLockout - time.Second))
	if ok, _ := l.allowed("a"); ok {
		t.Fatal("allowed during the second lock-out")
	}
	// The back-off is bounded.
	for range 20 {
		clk.SetTime(clk.Now().Add(attemptMaxLockout))
		for range attemptLimit {
			_, until = l.failed("a")
		}
	}
	if d := until.Sub(clk.Now()); d != attemptMaxLockout {
		t.Fatalf("lock-out of %v, want at most %v", d, attemptMaxLockout)
	}
	l.succeeded("a")
	if ok, _ := l.allowed("a"); !ok {
		t.Fatal("refused after a success")
	}
	// Failures spread over more than a minute never lock out.
	for range 5 * attemptLimit {
		if locked, _ := l.failed("slow"); locked {
			t.Fatal("locked out by one failure every 7 seconds")
		}
		clk.SetTime(clk.Now().Add(7 * time.Second))
	}
}

// W7: the limiter remembers at most its bound of keys, and forgets a
// locked-out key last.
func TestAttemptLimiterIsBounded(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Now())
	l := newAttemptLimiter(clk, 3, 10)
	for range 3 {
		l.failed("locked")
	}
	for i := range 100 {
		l.failed(string(rune('A' + i)))
	}
	if l.len() > 10 {
		t.Fatalf("%d keys remembered, want at most 10", l.len())
	}
	if ok, _ := l.allowed("locked"); ok {
		t.Fatal("the locked-out key was forgotten for others")
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
