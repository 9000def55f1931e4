package devoidc_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"clientarea.dev/clientarea-operator/internal/devoidc"
)

const redirectURL = "http://localhost:8080/callback"

var sampleUsers = []devoidc.User{
	{Email: "anna@werbeagentur-xyz.example", Name: "Anna Schmidt"},
	{Email: "bernd@werbeagentur-xyz.example", Name: "Bernd Weber"},
}

func start(t *testing.T, cfg devoidc.Config) *devoidc.Provider {
	t.Helper()
	if cfg.Users == nil {
		cfg.Users = sampleUsers
	}
	if cfg.RedirectURLs == nil {
		cfg.RedirectURLs = []string{redirectURL}
	}
	p, err := devoidc.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return p
}

// noRedirects is a client that stops at the first redirect, as the flow
// does at the client's redirect URL.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirects.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// client is the relying party as the client area sets it up: discovery,
// the code flow with PKCE (S256) and a nonce, ID tokens verified.
type client struct {
	provider *oidc.Provider
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newClient(t *testing.T, p *devoidc.Provider) client {
	t.Helper()
	provider, err := oidc.NewProvider(t.Context(), p.Issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return client{
		provider: provider,
		oauth: oauth2.Config{
			ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), Endpoint: provider.Endpoint(),
			RedirectURL: redirectURL, Scopes: []string{oidc.ScopeOpenID, "email", "profile"},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: p.ClientID()}),
	}
}

// signIn plays the browser: it opens the authorization URL (the login
// page), follows the link of the user with the given address, and returns
// the code sent to the redirect URL.
func signIn(t *testing.T, authURL, email string) (code, state string) {
	t.Helper()
	resp, page := get(t, authURL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login page: %s: %s", resp.Status, page)
	}
	if !strings.Contains(page, devoidc.Banner) {
		t.Errorf("the login page does not say %q", devoidc.Banner)
	}
	marker := `data-email="` + email + `" href="`
	i := strings.Index(page, marker)
	if i < 0 {
		t.Fatalf("the login page lists no %s:\n%s", email, page)
	}
	href := page[i+len(marker):]
	href = html.UnescapeString(href[:strings.Index(href, `"`)])
	login, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := login.Parse(href)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, ref.String())
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("sign-in as %s: %s: %s", email, resp.Status, body)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Scheme + "://" + back.Host + back.Path; got != redirectURL {
		t.Fatalf("redirected to %s, not to the client's %s", got, redirectURL)
	}
	return back.Query().Get("code"), back.Query().Get("state")
}

func TestCodeFlowWithPKCE(t *testing.T) {
	p := start(t, devoidc.Config{})
	c := newClient(t, p)

	verifier, nonce := oauth2.GenerateVerifier(), "nonce-123"
	authURL := c.oauth.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
	code, state := signIn(t, authURL, "bernd@werbeagentur-xyz.example")
	if state != "state-1" || code == "" {
		t.Fatalf("code %q, state %q", code, state)
	}

	token, err := c.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	raw, _ := token.Extra("id_token").(string)
	idToken, err := c.verifier.Verify(t.Context(), raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idToken.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Email != "bernd@werbeagentur-xyz.example" || !claims.EmailVerified || claims.Name != "Bernd Weber" {
		t.Errorf("claims %+v", claims)
	}
	if idToken.Nonce != nonce {
		t.Errorf("nonce %q, want %q", idToken.Nonce, nonce)
	}
	if idToken.Issuer != p.Issuer() {
		t.Errorf("issuer %q, want %q", idToken.Issuer, p.Issuer())
	}

	// The subject is the same at every sign-in of one address.
	verifier2 := oauth2.GenerateVerifier()
	code2, _ := signIn(t, c.oauth.AuthCodeURL("state-2", oauth2.S256ChallengeOption(verifier2)), "bernd@werbeagentur-xyz.example")
	token2, err := c.oauth.Exchange(t.Context(), code2, oauth2.VerifierOption(verifier2))
	if err != nil {
		t.Fatal(err)
	}
	idToken2, err := c.verifier.Verify(t.Context(), token2.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if idToken2.Subject != idToken.Subject {
		t.Errorf("subjects %q and %q for one address", idToken.Subject, idToken2.Subject)
	}

	// A code is good once.
	if _, err := c.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); err == nil {
		t.Error("a code was exchanged twice")
	}
}

func TestCodeNeedsItsVerifier(t *testing.T) {
	p := start(t, devoidc.Config{})
	c := newClient(t, p)
	verifier := oauth2.GenerateVerifier()
	code, _ := signIn(t, c.oauth.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "anna@werbeagentur-xyz.example")
	if _, err := c.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
		t.Fatal("a code was exchanged with another verifier")
	}
	if _, err := c.oauth.Exchange(t.Context(), code); err == nil {
		t.Fatal("a code was exchanged without its verifier")
	}
}

func TestClientSecretInForm(t *testing.T) {
	p := start(t, devoidc.Config{ClientID: "client-area", ClientSecret: "s3cret"})
	c := newClient(t, p)
	c.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	verifier := oauth2.GenerateVerifier()
	code, _ := signIn(t, c.oauth.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "anna@werbeagentur-xyz.example")
	if _, err := c.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}
	c.oauth.ClientSecret = "wrong"
	verifier = oauth2.GenerateVerifier()
	code, _ = signIn(t, c.oauth.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), "anna@werbeagentur-xyz.example")
	if _, err := c.oauth.Exchange(t.Context(), code, oauth2.VerifierOption(verifier)); err == nil {
		t.Fatal("a wrong client secret was taken")
	}
}

// The authorization endpoint sends nothing to an address that is not the
// client's, and asks for PKCE with S256.
func TestAuthorizationRefusals(t *testing.T) {
	p := start(t, devoidc.Config{})
	c := newClient(t, p)
	verifier := oauth2.GenerateVerifier()
	valid := c.oauth.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))
	with := func(change func(url.Values)) string {
		u, _ := url.Parse(valid)
		q := u.Query()
		q.Set("dev_user", "anna@werbeagentur-xyz.example")
		change(q)
		u.RawQuery = q.Encode()
		return u.String()
	}
	for name, change := range map[string]func(url.Values){
		"another redirect URL": func(q url.Values) { q.Set("redirect_uri", "http://evil.example/callback") },
		"another client":       func(q url.Values) { q.Set("client_id", "someone-else") },
		"no PKCE":              func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") },
		"plain PKCE":           func(q url.Values) { q.Set("code_challenge_method", "plain") },
		"no openid scope":      func(q url.Values) { q.Set("scope", "email") },
		"implicit flow":        func(q url.Values) { q.Set("response_type", "token") },
		"an unknown user":      func(q url.Values) { q.Set("dev_user", "mallory@example.com") },
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := get(t, with(change))
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("%s, Location %q", resp.Status, resp.Header.Get("Location"))
			}
			if !strings.Contains(body, devoidc.Banner) {
				t.Errorf("the error page does not say %q", devoidc.Banner)
			}
		})
	}
}

func TestOtherAddresses(t *testing.T) {
	p := start(t, devoidc.Config{AllowOtherAddresses: true})
	c := newClient(t, p)
	verifier := oauth2.GenerateVerifier()
	u, _ := url.Parse(c.oauth.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	_, page := get(t, u.String())
	if !strings.Contains(page, `id="other"`) {
		t.Fatal("no field for another address")
	}
	q := u.Query()
	q.Set("dev_user", "nobody@example.com")
	u.RawQuery = q.Encode()
	resp, _ := get(t, u.String())
	back, _ := url.Parse(resp.Header.Get("Location"))
	token, err := c.oauth.Exchange(t.Context(), back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idToken, err := c.verifier.Verify(t.Context(), token.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Email string `json:"email"`
	}
	_ = idToken.Claims(&claims)
	if claims.Email != "nobody@example.com" {
		t.Errorf("email %q", claims.Email)
	}
}

func TestEveryPageSaysDevelopmentOnly(t *testing.T) {
	p := start(t, devoidc.Config{})
	base, _ := url.Parse(p.Issuer())
	base.Path = "/"
	for _, u := range []string{base.String(), p.LoginURL()} {
		_, body := get(t, u)
		if !strings.Contains(body, devoidc.Banner) {
			t.Errorf("%s does not say %q", u, devoidc.Banner)
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:80"} {
		if _, err := devoidc.Start(devoidc.Config{Addr: addr, RedirectURLs: []string{redirectURL}}); err == nil {
			t.Errorf("the provider listened on %s", addr)
		}
	}
	if _, err := devoidc.Start(devoidc.Config{}); err == nil {
		t.Error("the provider started without a registered redirect URL")
	}
}

// W1: the development provider cannot be enabled in a deployment: neither
// binary that the image holds depends on this package.
func TestBinariesDoNotImportTheDevelopmentProvider(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	for _, pkg := range []string{"./cmd", "./cmd/web"} {
		// -e: the list is of imports, whether or not every package compiles.
		cmd := exec.Command("go", "list", "-e", "-deps", pkg)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		if !strings.Contains(string(out), "clientarea.dev/clientarea-operator/internal/") {
			t.Fatalf("go list -deps %s lists none of this module's packages:\n%s", pkg, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.Contains(dep, "/internal/devoidc") {
				t.Errorf("%s depends on %s: the development provider would be in the image", pkg, dep)
			}
		}
	}
}
