package web

import (
	"net/http"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// domainSessionCookie holds a domain login's session id: a session of its
// own, apart from a customer's (__Host-session), so that neither can stand
// for the other.
const domainSessionCookie = "__Host-domain-session"

// A domain session is stricter than a customer's: it ends after
// domainSessionIdle without a request and domainSessionAbsolute after the
// sign-in, and at once when the domain's password changes (W7).
const (
	domainSessionIdle     = 10 * time.Minute
	domainSessionAbsolute = time.Hour
	// maxDomainSessions bounds the sessions kept; beyond it the oldest
	// sign-in makes room. Only a visitor who knows a password gets one.
	maxDomainSessions = 10_000
)

// domainSession is a signed-in domain login: which credential it signed in
// with, and the password it signed in with (by when it was set).
type domainSession struct {
	ID string
	// Credential is the DomainCredential's name (the domain name).
	Credential string
	// Namespace, Domain, DomainUID and ServiceAccount are the credential's
	// at sign-in; they never change for a credential.
	Namespace      string
	Domain         string
	DomainUID      string
	ServiceAccount string
	// PasswordSetAt is the credential's passwordSetAt at sign-in: when it
	// differs, the password has changed and the session is over.
	PasswordSetAt time.Time
	Started       time.Time
	LastSeen      time.Time
}

// user is the identity the session acts as: the domain login's
// ServiceAccount (D5).
func (d *domainSession) user() string {
	return "system:serviceaccount:" + d.Namespace + ":" + d.ServiceAccount
}

// domainSessionStore keeps domain sessions in memory.
type domainSessionStore struct {
	mu        sync.Mutex
	sessions  map[string]*domainSession
	clock     clock.PassiveClock
	idle      time.Duration
	absolute  time.Duration
	max       int
	lastSweep time.Time
}

func newDomainSessionStore(clk clock.PassiveClock) *domainSessionStore {
	return &domainSessionStore{sessions: map[string]*domainSession{}, clock: clk,
		idle: domainSessionIdle, absolute: domainSessionAbsolute, max: maxDomainSessions}
}

func (st *domainSessionStore) expired(d *domainSession, now time.Time) bool {
	return now.Sub(d.LastSeen) >= st.idle || now.Sub(d.Started) >= st.absolute
}

// create stores a new session under a new id; the old one, if any, ends
// (a sign-in always gets a new id).
func (st *domainSessionStore) create(oldID string, d domainSession) domainSession {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.clock.Now()
	delete(st.sessions, oldID)
	if now.Sub(st.lastSweep) >= st.idle || len(st.sessions) >= st.max {
		st.lastSweep = now
		for id, s := range st.sessions {
			if st.expired(s, now) {
				delete(st.sessions, id)
			}
		}
	}
	for len(st.sessions) >= st.max {
		var oldest *domainSession
		for _, s := range st.sessions {
			if oldest == nil || s.Started.Before(oldest.Started) {
				oldest = s
			}
		}
		delete(st.sessions, oldest.ID)
	}
	d.ID = newSessionID()
	d.Started, d.LastSeen = now, now
	st.sessions[d.ID] = &d
	return d
}

// get returns a copy of the live session with this id and counts the
// request as activity; an ended one is removed.
func (st *domainSessionStore) get(id string) (domainSession, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	d, ok := st.sessions[id]
	if !ok {
		return domainSession{}, false
	}
	now := st.clock.Now()
	if st.expired(d, now) {
		delete(st.sessions, id)
		return domainSession{}, false
	}
	d.LastSeen = now
	return *d, true
}

// delete ends a session.
func (st *domainSessionStore) delete(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.sessions, id)
}

// setDomainSessionCookie gives the browser its domain session's id:
// SameSite=Strict, since a domain session is only ever used from its own
// pages.
func setDomainSessionCookie(w http.ResponseWriter, id string) {
	writeSessionCookie(w, domainSessionCookie, id, 0, http.SameSiteStrictMode)
}

func clearDomainSessionCookie(w http.ResponseWriter) {
	writeSessionCookie(w, domainSessionCookie, "", -1, http.SameSiteStrictMode)
}
