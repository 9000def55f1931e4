package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

// errSignIn is a sign-in that did not prove an address; the page says so
// without the details, which go to the log.
var errSignIn = errors.New("the sign-in could not be verified")

// finish checks the provider's answer against the pending sign-in and
// returns the verified e-mail address, in lower case.
func (a *authenticator) finish(ctx context.Context, query url.Values, login *pendingLogin) (string, error) {
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
// User's e-mail rule (api/v1alpha1 EmailAddress). It keeps out anything that
// is not an e-mail address, such as a "system:" name (W3).
var addressPattern = regexp.MustCompile(`^[a-z0-9.!#$%&*+/=?^_{|}~-]+@[a-z0-9]([a-z0-9-]*[a-z0-9])?([.][a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

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
	address := strings.ToLower(claims.Email)
	if len(address) > 254 || !addressPattern.MatchString(address) {
		return "", fmt.Errorf("%w: %q is not an e-mail address", errSignIn, claims.Email)
	}
	return address, nil
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
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r)
	if sess == nil || sess.Login == nil {
		s.renderError(w, r, http.StatusBadRequest, "err_login_expired")
		return
	}
	if r.URL.Query().Get("error") != "" {
		s.sessions.delete(sess.ID)
		clearSessionCookie(w)
		s.renderError(w, r, http.StatusUnauthorized, "err_login_cancelled")
		return
	}
	address, err := s.auth.finish(r.Context(), r.URL.Query(), sess.Login)
	if err != nil {
		s.log.Info("sign-in refused", "reason", err.Error())
		s.renderError(w, r, http.StatusUnauthorized, "err_login_failed")
		return
	}
	s.signIn(w, r, sess, address)
}

// signIn makes the session the customer's, under a new id, and goes on to
// where the sign-in was started from.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, sess *session, address string) {
	userName, err := s.customer(r.Context(), address)
	if errors.Is(err, errNoCustomer) {
		s.sessions.delete(sess.ID)
		clearSessionCookie(w)
		s.render(w, r, http.StatusOK, "no_customer", &page{Data: address})
		return
	}
	if err != nil {
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
