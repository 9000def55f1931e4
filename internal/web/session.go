package web

import (
	"container/list"
	"context"
	"crypto/rand"
	"net/http"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// sessionCookie holds the session's id and nothing else. The __Host- prefix
// makes the browser accept it only when Secure, for Path=/ and without a
// Domain, so no other host or path (a sibling subdomain, say) can set or
// shadow it.
const sessionCookie = "__Host-session"

// loginTimeout ends a sign-in that has not come back from the OpenID
// provider: a session that is only a pending sign-in is worth little and
// costs memory, so it does not live as long as a signed-in one.
const loginTimeout = 10 * time.Minute

// maxPendingLogins bounds the sign-ins in progress. Anyone may start one
// (GET /login needs nothing), so without a bound a flood of them would fill
// the memory and take every signed-in customer down with the pod. Beyond
// it the oldest pending sign-in makes room; a signed-in session is never
// evicted for one.
const maxPendingLogins = 10_000

// minFullSweep is the store size from which a growing store is swept of
// ended sessions on insert (each time it has doubled since the last sweep),
// besides the sweep once per timeout period.
const minFullSweep = 1024

// session is what the server keeps for one browser. The browser holds only
// its id, an opaque random value; everything else stays on the server.
type session struct {
	ID string
	// Address is the signed-in customer: the verified e-mail address, in
	// lower case, that the front end impersonates. Empty while signing in.
	Address string
	// UserName is the User that claimed Address (U1).
	UserName string
	// Account is the account last chosen in the picker.
	Account string
	// Login is the sign-in in progress, until the provider calls back.
	Login *pendingLogin
	// Flash is a message for the next page (post/redirect/get).
	Flash string
	// Started is when the absolute timeout starts: the sign-in (or the
	// start of the sign-in, while it is pending). An account switch keeps it.
	Started time.Time
	// LastSeen is the last request, for the idle timeout.
	LastSeen time.Time
}

// pendingLogin is what the callback checks a provider's answer against.
type pendingLogin struct {
	State    string
	Nonce    string
	Verifier string // PKCE code verifier
	Return   string // a local path to go to after sign-in
}

// sessionStore keeps sessions in memory. A restart signs everyone out,
// which is the price of holding nothing in the browser or a database.
type sessionStore struct {
	mu       sync.Mutex
	sessions map[string]*session
	// pending are the ids of the sessions that are only a sign-in in
	// progress (no Address), oldest first, for their bound (maxPending);
	// pendingAt finds an id's element.
	pending    *list.List
	pendingAt  map[string]*list.Element
	maxPending int
	idle       time.Duration
	absolute   time.Duration
	clock      clock.PassiveClock
	lastSweep  time.Time
	// sweepAt is the size at which an insert sweeps the whole store
	// before its period is up: twice the size the last sweep left.
	sweepAt int
}

func newSessionStore(cfg Config) *sessionStore {
	return &sessionStore{
		sessions:   map[string]*session{},
		pending:    list.New(),
		pendingAt:  map[string]*list.Element{},
		maxPending: maxPendingLogins,
		idle:       cfg.SessionIdle,
		absolute:   cfg.SessionAbsolute,
		clock:      cfg.Clock,
	}
}

// newSessionID is 128 random bits from the operating system's source.
func newSessionID() string { return rand.Text() }

// expired says whether a session has ended at now.
func (st *sessionStore) expired(s *session, now time.Time) bool {
	absolute := st.absolute
	if s.Address == "" {
		absolute = min(absolute, loginTimeout)
	}
	return now.Sub(s.LastSeen) >= st.idle || now.Sub(s.Started) >= absolute
}

// get returns a copy of the live session with this id, and counts the
// request as activity. An ended session is removed.
func (st *sessionStore) get(id string) (session, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.sessions[id]
	if !ok {
		return session{}, false
	}
	now := st.clock.Now()
	if st.expired(s, now) {
		st.removeLocked(id)
		return session{}, false
	}
	s.LastSeen = now
	return *s, true
}

// create stores a new session made from s under a new id.
func (st *sessionStore) create(s session) session {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.insertLocked(s)
}

func (st *sessionStore) insertLocked(s session) session {
	now := st.clock.Now()
	st.sweepLocked(now)
	s.ID = newSessionID()
	if s.Started.IsZero() {
		s.Started = now
	}
	s.LastSeen = now
	st.sessions[s.ID] = &s
	if s.Address == "" {
		st.pendingAt[s.ID] = st.pending.PushBack(s.ID)
		for st.pending.Len() > st.maxPending {
			st.removeLocked(st.pending.Front().Value.(string))
		}
	}
	return s
}

// removeLocked forgets a session, and its place among the pending ones.
func (st *sessionStore) removeLocked(id string) {
	delete(st.sessions, id)
	if e, ok := st.pendingAt[id]; ok {
		st.pending.Remove(e)
		delete(st.pendingAt, id)
	}
}

// renew moves the session to a new id after change has been applied to it;
// the old id is dead at once, so an id that someone else learned or planted
// before the sign-in or the account switch is worth nothing after it.
func (st *sessionStore) renew(oldID string, change func(*session)) (session, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	old, ok := st.sessions[oldID]
	st.removeLocked(oldID)
	if !ok || st.expired(old, st.clock.Now()) {
		return session{}, false
	}
	renewed := *old
	change(&renewed)
	return st.insertLocked(renewed), true
}

// update changes a live session in place; who is signed in stays (a
// sign-in renews the session instead).
func (st *sessionStore) update(id string, change func(*session)) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s, ok := st.sessions[id]; ok {
		address := s.Address
		change(s)
		s.Address = address
	}
}

// delete ends a session.
func (st *sessionStore) delete(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.removeLocked(id)
}

// sweepLocked removes ended sessions, so that abandoned ones do not pile up
// without a background goroutine: the oldest pending sign-ins that have
// ended on every insert (cheap: they are in order), and the whole store
// once per timeout period, or sooner when it has doubled since the last
// sweep, so that a store grown large is kept clean at a constant cost per
// insert.
func (st *sessionStore) sweepLocked(now time.Time) {
	for e := st.pending.Front(); e != nil; e = st.pending.Front() {
		id := e.Value.(string)
		if s, ok := st.sessions[id]; ok && !st.expired(s, now) {
			break
		}
		st.removeLocked(id)
	}
	if now.Sub(st.lastSweep) < min(st.idle, loginTimeout) && len(st.sessions) < st.sweepAt {
		return
	}
	st.lastSweep = now
	for id, s := range st.sessions {
		if st.expired(s, now) {
			st.removeLocked(id)
		}
	}
	st.sweepAt = max(2*len(st.sessions), minFullSweep)
}

// pendingLen is the number of stored pending sign-ins.
func (st *sessionStore) pendingLen() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.pending.Len()
}

// len is the number of stored sessions, ended ones not yet swept included.
func (st *sessionStore) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.sessions)
}

// setSessionCookie gives the browser its session id. No Max-Age: the cookie
// ends with the browser session, and the server ends it sooner.
func setSessionCookie(w http.ResponseWriter, id string) {
	writeSessionCookie(w, sessionCookie, id, 0, http.SameSiteLaxMode)
}

// clearSessionCookie tells the browser to forget its session id.
func clearSessionCookie(w http.ResponseWriter) {
	writeSessionCookie(w, sessionCookie, "", -1, http.SameSiteLaxMode)
}

// writeSessionCookie sets, or with maxAge -1 clears, a cookie holding a
// session id: Secure, HttpOnly, for the whole site.
func writeSessionCookie(w http.ResponseWriter, name, id string, maxAge int, sameSite http.SameSite) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: id, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: sameSite,
	})
}

// sessionKey is the context key of the request's session.
type sessionKey struct{}

// withSession finds the request's session, if any, for the handlers. An
// unknown or ended id is as good as none; its cookie is cleared.
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cookie, err := r.Cookie(sessionCookie)
		if err != nil || cookie.Value == "" {
			next.ServeHTTP(w, r)
			return
		}
		sess, ok := s.sessions.get(cookie.Value)
		if !ok {
			clearSessionCookie(w)
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, &sess)))
	})
}

// sessionFrom is the request's session; nil when there is none.
func sessionFrom(r *http.Request) *session {
	sess, _ := r.Context().Value(sessionKey{}).(*session)
	return sess
}

// takeFlash returns the session's flash message once, and clears it.
func (s *Server) takeFlash(sess *session) string {
	if sess == nil || sess.Flash == "" {
		return ""
	}
	s.sessions.update(sess.ID, func(stored *session) { stored.Flash = "" })
	return sess.Flash
}

// flash leaves a message for the next page.
func (s *Server) flash(r *http.Request, key string) {
	if sess := sessionFrom(r); sess != nil {
		s.sessions.update(sess.ID, func(stored *session) { stored.Flash = key })
	}
}
