package web

import (
	"container/list"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Domain sign-ins (W7) are limited per domain name and per client address:
// at most attemptLimit failed attempts in attemptWindow each; the next one
// is refused without checking the password, for a lock-out that doubles
// with every lock-out of the same key (attemptLockout, 2×, 4×, ... at most
// attemptMaxLockout). A key that has not failed for attemptForget starts
// over.
const (
	attemptLimit      = 10
	attemptWindow     = time.Minute
	attemptLockout    = time.Minute
	attemptMaxLockout = time.Hour
	attemptForget     = 2 * time.Hour
	// attemptMaxKeys bounds the keys each limiter remembers: the least
	// recently failed one is forgotten first, a locked-out one only when
	// every key is locked out.
	attemptMaxKeys = 10_000
)

// attemptLimiter counts failed attempts per key (a domain name, a client
// address) in attemptWindow, in memory, for at most max keys.
type attemptLimiter struct {
	mu    sync.Mutex
	clock clock.PassiveClock
	limit int
	max   int
	// keys finds a key's record in order, least recently failed first.
	keys  map[string]*list.Element
	order *list.List
}

// attempts is one key's recent failures.
type attempts struct {
	key string
	// failures are the times of the failures within the window, oldest
	// first, at most limit of them.
	failures []time.Time
	// lockedUntil refuses every attempt before it; lockouts counts the
	// lock-outs since the key last started over, for the back-off.
	lockedUntil time.Time
	lockouts    int
	last        time.Time
}

func newAttemptLimiter(clk clock.PassiveClock, limit int, maxKeys int) *attemptLimiter {
	return &attemptLimiter{clock: clk, limit: limit, max: maxKeys,
		keys: map[string]*list.Element{}, order: list.New()}
}

// allowed says whether key may make an attempt now, and if not, until when
// it is refused. It counts nothing.
func (l *attemptLimiter) allowed(key string) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[key]
	if !ok {
		return true, time.Time{}
	}
	a := e.Value.(*attempts)
	now := l.clock.Now()
	if now.Before(a.lockedUntil) {
		return false, a.lockedUntil
	}
	a.prune(now)
	if len(a.failures) >= l.limit {
		return false, a.failures[0].Add(attemptWindow)
	}
	return true, time.Time{}
}

// failed counts a failed attempt of key; it says whether this failure
// locked the key out, and until when.
func (l *attemptLimiter) failed(key string) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	e, ok := l.keys[key]
	if ok {
		l.order.MoveToBack(e)
	} else {
		l.makeRoom(now)
		e = l.order.PushBack(&attempts{key: key})
		l.keys[key] = e
	}
	a := e.Value.(*attempts)
	if !a.last.IsZero() && now.Sub(a.last) >= attemptForget {
		*a = attempts{key: key}
	}
	a.last = now
	a.prune(now)
	a.failures = append(a.failures, now)
	if len(a.failures) < l.limit {
		return false, time.Time{}
	}
	// The limit is reached: lock out, twice as long as last time.
	lockout := attemptLockout << min(a.lockouts, 16)
	a.lockouts++
	a.lockedUntil = now.Add(min(lockout, attemptMaxLockout))
	a.failures = a.failures[len(a.failures)-l.limit:]
	return true, a.lockedUntil
}

// succeeded forgets key's failures (a client address that knew a password).
func (l *attemptLimiter) succeeded(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.keys[key]; ok {
		l.order.Remove(e)
		delete(l.keys, key)
	}
}

// makeRoom forgets keys while there are max of them: first those that
// have started over, then the least recently failed one that is not locked
// out, and only when every key is locked out, the least recently failed.
func (l *attemptLimiter) makeRoom(now time.Time) {
	for l.order.Len() >= l.max {
		oldest := l.order.Front()
		victim := oldest
		for e := oldest; e != nil; e = e.Next() {
			if !now.Before(e.Value.(*attempts).lockedUntil) {
				victim = e
				break
			}
		}
		l.order.Remove(victim)
		delete(l.keys, victim.Value.(*attempts).key)
	}
}

// prune drops the failures that have left the window.
func (a *attempts) prune(now time.Time) {
	i := 0
	for i < len(a.failures) && now.Sub(a.failures[i]) >= attemptWindow {
		i++
	}
	a.failures = a.failures[i:]
}

// len is the number of keys remembered.
func (l *attemptLimiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}
