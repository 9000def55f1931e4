package web

import (
	"container/list"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Domain sign-ins (W7) are limited per domain name and per client address:
// at most attemptLimit failed attempts in attemptWindow each, attempts
// still being checked counted with them; the next one is refused without
// checking the password, for a lock-out that doubles
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
	// recently used one is forgotten first, a locked-out one only when
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
	// keys finds a key's record in order, least recently used first.
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
	// last is the time of the last failure.
	last time.Time
	// checking counts the attempts begun and not yet ended.
	checking int
}

func newAttemptLimiter(clk clock.PassiveClock, limit int, maxKeys int) *attemptLimiter {
	return &attemptLimiter{clock: clk, limit: limit, max: maxKeys,
		keys: map[string]*list.Element{}, order: list.New()}
}

// begin reserves an attempt of key, to be ended by end once its password
// is checked. It is refused while key is locked out, or while its failures
// in the window and its attempts still being checked reach the limit:
// counting those in progress holds a burst of concurrent attempts, each
// waiting for a slow hash, to the limit too. A refused attempt reserves
// nothing; until says when key may try again.
func (l *attemptLimiter) begin(key string) (ok bool, until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	a := l.record(key, now)
	if now.Before(a.lockedUntil) {
		return false, a.lockedUntil
	}
	a.prune(now)
	if len(a.failures)+a.checking >= l.limit {
		if len(a.failures) == 0 {
			return false, now // every attempt is still being checked
		}
		return false, a.failures[0].Add(attemptWindow)
	}
	a.checking++
	return true, time.Time{}
}

// end ends an attempt that begin reserved, and counts it when it failed; it
// says whether this failure locked the key out, and until when. A success
// forgets nothing: a client that knows one domain's password must not
// wipe its failures at others.
func (l *attemptLimiter) end(key string, failed bool) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	a := l.record(key, now)
	a.checking = max(a.checking-1, 0)
	if !failed {
		return false, time.Time{}
	}
	if !a.last.IsZero() && now.Sub(a.last) >= attemptForget {
		*a = attempts{key: key, checking: a.checking}
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

// record is key's record, made when there is none (room made for it), and
// moved to the back of the order: the least recently used key is forgotten
// first.
func (l *attemptLimiter) record(key string, now time.Time) *attempts {
	e, ok := l.keys[key]
	if ok {
		l.order.MoveToBack(e)
	} else {
		l.makeRoom(now)
		e = l.order.PushBack(&attempts{key: key})
		l.keys[key] = e
	}
	return e.Value.(*attempts)
}

// makeRoom forgets keys while there are max of them: the least recently
// used one that is not locked out, and only when every key is locked out,
// the least recently used. (An attempt in progress of a forgotten key ends
// on a new record.)
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
