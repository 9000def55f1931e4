package web

import (
	"container/list"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// authenticator is the client area's OpenID Connect relying party.
type authenticator struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// newAuthenticator asks the provider for its configuration (discovery) and
// prepares the verification of its ID tokens.
func newAuthenticator(ctx context.Context, cfg Config) (*authenticator, error) {
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, err
	}
	return &authenticator{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  strings.TrimSuffix(cfg.URL, "/") + "/callback",
			Scopes:       []string{oidc.ScopeOpenID, "email"},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: cfg.Clock.Now}),
	}, nil
}

// start begins a sign-in: a fresh state (against forged callbacks), nonce
// (against replayed ID tokens) and PKCE verifier (against a stolen code),
// and the provider's URL to send the browser to.
func (a *authenticator) start(returnTo string) (*pendingLogin, string) {
	login := &pendingLogin{
		State:    newSessionID(),
		Nonce:    newSessionID(),
		Verifier: oauth2.GenerateVerifier(),
		Return:   returnTo,
	}
	url := a.oauth.AuthCodeURL(login.State, oidc.Nonce(login.Nonce), oauth2.S256ChallengeOption(login.Verifier))
	return login, url
}

// providerTimeout bounds the calls to the OpenID provider that finish a
// sign-in: the code's exchange and the ID token's keys.
const providerTimeout = 15 * time.Second

// errSignIn is a sign-in that did not prove an address; the page says so
// without the details, which go to the log.
var errSignIn = errors.New("the sign-in could not be verified")

// finish checks the provider's answer against the pending sign-in and
// returns the verified e-mail address, in lower case.
func (a *authenticator) finish(ctx context.Context, query url.Values, login *pendingLogin) (string, error) {
	// A provider that hangs must not hold the request (and its goroutine)
	// until the browser gives up: the server's write timeout does not end
	// a handler's context.
	ctx, cancel := context.WithTimeout(ctx, providerTimeout)
	defer cancel()
	if subtle.ConstantTimeCompare([]byte(query.Get("state")), []byte(login.State)) != 1 {
		return "", fmt.Errorf("%w: the state does not match this browser's sign-in", errSignIn)
	}
	token, err := a.oauth.Exchange(ctx, query.Get("code"), oauth2.VerifierOption(login.Verifier))
	if err != nil {
		return "", fmt.Errorf("%w: exchanging the code: %w", errSignIn, err)
	}
	raw, ok := token.Extra("id_token").(string)
	if !ok {
		return "", fmt.Errorf("%w: the provider sent no ID token", errSignIn)
	}
	idToken, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		return "", fmt.Errorf("%w: %w", errSignIn, err)
	}
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(login.Nonce)) != 1 {
		return "", fmt.Errorf("%w: the ID token's nonce is not this sign-in's", errSignIn)
	}
	return verifiedEmail(idToken)
}

// emailClaims are the ID token's claims the client area uses.
type emailClaims struct {
	Email         string       `json:"email"`
	EmailVerified verifiedFlag `json:"email_verified"`
}

// verifiedFlag is email_verified, which a few providers send as the string
// "true" rather than a JSON boolean; anything else is false.
type verifiedFlag bool

func (f *verifiedFlag) UnmarshalJSON(data []byte) error {
	*f = verifiedFlag(string(data) == "true" || string(data) == `"true"`)
	return nil
}

// addressPattern is the shape of an address the front end will act as: the
// User's e-mail rule (api/v1alpha1 EmailAddress), ASCII only, either case.
// It keeps out anything that is not an e-mail address, such as a "system:"
// name (W3). Its classes name both cases rather than using (?i): Go's case
// folding is Unicode's, under which the Kelvin sign (U+212A) is a k.
var addressPattern = regexp.MustCompile(`^[a-zA-Z0-9.!#$%&*+/=?^_{|}~-]+@[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?([.][a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)+$`)

// verifiedEmail is the token's e-mail address, in lower case (U1 compares
// addresses case-insensitively), when the provider has verified it.
func verifiedEmail(idToken *oidc.IDToken) (string, error) {
	var claims emailClaims
	if err := idToken.Claims(&claims); err != nil {
		return "", fmt.Errorf("%w: %w", errSignIn, err)
	}
	if !claims.EmailVerified {
		return "", fmt.Errorf("%w: the provider has not verified the address %q", errSignIn, claims.Email)
	}
	return addressOf(claims.Email)
}

// addressOf is the claimed address in lower case, when it is an e-mail
// address. The claim as sent is checked first, lower-cased after: lower-
// casing first would turn lookalikes such as "\u212Aim@example.com" (a
// Kelvin sign) into another customer's "kim@example.com".
func addressOf(claim string) (string, error) {
	if len(claim) > 254 || !addressPattern.MatchString(claim) {
		return "", fmt.Errorf("%w: %q is not an e-mail address", errSignIn, claim)
	}
	return strings.ToLower(claim), nil
}

// errNoCustomer is an address that no User has claimed: the front end may
// not act as it (the API server refuses the impersonation), or it has no
// User to read.
var errNoCustomer = errors.New("no customer account for this address")

// customer finds, as the address itself, the User that claimed it (U1): its
// EmailClaim names it. A refused impersonation means the address is not
// claimed, since the front end may impersonate claimed addresses only.
func (s *Server) customer(ctx context.Context, address string) (string, error) {
	claim := &clientareav1alpha1.EmailClaim{}
	key := client.ObjectKey{Name: clientareav1alpha1.EmailClaimName(address)}
	err := s.kube.Get(WithUser(ctx, address), key, claim)
	switch {
	case apierrors.IsForbidden(err) || apierrors.IsNotFound(err):
		return "", errNoCustomer
	case err != nil:
		return "", err
	case strings.ToLower(string(claim.Spec.Email)) != address:
		return "", errNoCustomer // not this address's claim: never act on it
	}
	return string(claim.Spec.User), nil
}

// login sends the browser to the provider. The pending sign-in lives in a
// new session of its own, so the callback can only complete a sign-in that
// this browser started.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.allowSignIn(w, r) {
		return
	}
	returnTo := safeReturn(r.URL.Query().Get("return"))
	old := sessionFrom(r)
	if old != nil && old.Address != "" {
		// Signed in already: a link from elsewhere must not sign anyone out.
		http.Redirect(w, r, returnTo, http.StatusSeeOther)
		return
	}
	login, target := s.auth.start(returnTo)
	if old != nil {
		s.sessions.delete(old.ID)
	}
	sess := s.sessions.create(session{Login: login})
	setSessionCookie(w, sess.ID)
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// callback completes a sign-in: the provider's answer must belong to this
// browser's pending sign-in; the session is then renewed under a new id.
// The pending sign-in is used once: whatever goes wrong ends it (and its
// session), so that its state and verifier can never be tried again.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	if !s.allowSignIn(w, r) {
		return
	}
	sess := sessionFrom(r)
	if sess == nil || sess.Login == nil {
		// No sign-in in progress; a signed-in session stays: a link to
		// here from elsewhere must not sign anyone out.
		s.renderError(w, r, http.StatusBadRequest, "err_login_expired")
		return
	}
	if r.URL.Query().Get("error") != "" {
		s.endLogin(w, sess)
		s.renderError(w, r, http.StatusUnauthorized, "err_login_cancelled")
		return
	}
	address, err := s.auth.finish(r.Context(), r.URL.Query(), sess.Login)
	if err != nil {
		s.log.Info("sign-in refused", "reason", err.Error())
		s.endLogin(w, sess)
		s.renderError(w, r, http.StatusUnauthorized, "err_login_failed")
		return
	}
	s.signIn(w, r, sess, address)
}

// endLogin ends a pending sign-in that failed, with its session, on the
// server and in the browser.
func (s *Server) endLogin(w http.ResponseWriter, sess *session) {
	s.sessions.delete(sess.ID)
	clearSessionCookie(w)
}

// signIn makes the session the customer's, under a new id, and goes on to
// where the sign-in was started from.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, sess *session, address string) {
	userName, err := s.customer(r.Context(), address)
	if errors.Is(err, errNoCustomer) {
		s.endLogin(w, sess)
		s.render(w, r, http.StatusOK, "no_customer", &page{Data: address})
		return
	}
	if err != nil {
		s.endLogin(w, sess)
		s.fail(w, r, err)
		return
	}
	returnTo := sess.Login.Return
	renewed, ok := s.sessions.renew(sess.ID, func(n *session) {
		n.Address, n.UserName, n.Login, n.Account = address, userName, nil, ""
		n.Started = s.cfg.Clock.Now()
	})
	if !ok {
		s.renderError(w, r, http.StatusBadRequest, "err_login_expired")
		return
	}
	s.log.Info("signed in", "address", address, "user", userName)
	setSessionCookie(w, renewed.ID)
	http.Redirect(w, r, returnTo, http.StatusSeeOther)
}

// logout ends the session on the server, not only in the browser.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if sess := sessionFrom(r); sess != nil {
		s.sessions.delete(sess.ID)
	}
	clearSessionCookie(w)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// safeReturn is p when it is a path on this site, else "/": a `return`
// parameter must never send the browser elsewhere (an open redirect).
func safeReturn(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\x00\r\n\t") {
		return "/"
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return u.RequestURI()
}

// Sign-ins are throttled per client: each GET /login stores a pending
// sign-in and each callback costs a request to the provider, so one client
// gets a burst of signInBurst of them and then one every signInEvery, which
// no person signing in (nor an office behind one address) comes near.
const (
	signInBurst = 30
	signInEvery = 2 * time.Second
	// maxClients bounds the clients the limiter remembers; the least
	// recently seen is forgotten first (it has had the longest to refill,
	// so forgetting it changes least).
	maxClients = 10_000
)

// allowSignIn counts a request to /login or /callback against its client,
// and answers 429 (with Retry-After) when the client has used up its
// sign-ins for now.
func (s *Server) allowSignIn(w http.ResponseWriter, r *http.Request) bool {
	ok, wait := s.signIns.allow(s.clientKey(r))
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	s.renderError(w, r, http.StatusTooManyRequests, "err_too_many_sign_ins")
	return false
}

// clientKey is the client a request counts against: its address, an IPv6
// address by its /64 (what one subscriber usually gets). The address is the
// connection's (r.RemoteAddr) unless Config.ClientAddressHeader names a
// header that the one proxy in front sets; then the header's last value
// (the one that proxy added to any the client sent). A request without a
// usable address counts against the connection's peer.
func (s *Server) clientKey(r *http.Request) string {
	var addr netip.Addr
	if name := s.cfg.ClientAddressHeader; name != "" {
		if values := r.Header.Values(name); len(values) > 0 {
			last := values[len(values)-1]
			addr = parseClientAddr(last[strings.LastIndexByte(last, ',')+1:])
		}
	}
	if !addr.IsValid() {
		addr = parseClientAddr(r.RemoteAddr)
	}
	if !addr.IsValid() {
		return r.RemoteAddr
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		prefix, _ := addr.Prefix(64) // 64 bits of 128: never an error
		return prefix.String()
	}
	return addr.String()
}

// parseClientAddr reads "192.0.2.1", "192.0.2.1:1234", "2001:db8::1" or
// "[2001:db8::1]:1234"; anything else is the zero Addr.
func parseClientAddr(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if addrPort, err := netip.ParseAddrPort(s); err == nil {
		return addrPort.Addr()
	}
	addr, _ := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return addr
}

// rateLimiter is a token bucket per client, in memory, for at most max
// clients.
type rateLimiter struct {
	mu    sync.Mutex
	clock clock.PassiveClock
	burst float64
	every time.Duration
	max   int
	// buckets finds a client's bucket in order, which is least recently
	// seen first.
	buckets map[string]*list.Element
	order   *list.List
}

// bucket is one client's tokens, as of last.
type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

func newRateLimiter(clk clock.PassiveClock, burst int, every time.Duration, maxClients int) *rateLimiter {
	return &rateLimiter{clock: clk, burst: float64(burst), every: every, max: maxClients,
		buckets: map[string]*list.Element{}, order: list.New()}
}

// allow takes a token of the client's, if it has one; else it says how
// long until it has.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	e, ok := l.buckets[key]
	if ok {
		l.order.MoveToBack(e)
	} else {
		for l.order.Len() >= l.max {
			oldest := l.order.Front()
			l.order.Remove(oldest)
			delete(l.buckets, oldest.Value.(*bucket).key)
		}
		e = l.order.PushBack(&bucket{key: key, tokens: l.burst, last: now})
		l.buckets[key] = e
	}
	b := e.Value.(*bucket)
	if now.After(b.last) {
		b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.last))/float64(l.every))
		b.last = now
	}
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(l.every))
	}
	b.tokens--
	return true, 0
}

// len is the number of clients remembered.
func (l *rateLimiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}
