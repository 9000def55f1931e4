// Package devoidc is a development-only OpenID provider: it runs in-process
// on a loopback address and signs in, at a click on its login page, any of
// a list of sample users that the caller gives it (W1). `make dev`
// (hack/dev) and the browser tests (test/web) use it in place of the
// identity provider (Keycloak, ZITADEL, Dex, ...) that a deployment
// configures.
//
// It must never run in a deployment: it asks for no password. Three things
// make sure it does not:
//   - the client area's binary (cmd/web) does not import this package, which
//     a test of this package and .ci/run check (go list -deps);
//   - Start listens on loopback addresses only and refuses any other;
//   - every page it serves says "Development sign-in — not for production".
//
// The protocol is github.com/oauth2-proxy/mockoidc's: discovery, JWKS,
// authorization code with PKCE, token endpoint, ID tokens signed with RS256.
// It was chosen over github.com/zitadel/oidc/v3's op package because that
// is a full provider, built around a storage interface of some twenty
// methods (clients, auth requests, keys, tokens, user info) that a
// development login page would have to implement, while mockoidc is a
// small, maintained library made for exactly this: a provider for tests,
// whose users are handed to it by the caller (QueueUser). This package
// puts in front of it what it lacks for a browser: a login page listing the
// sample users, the checks that a client's request is its own (client id,
// registered redirect URL, PKCE with S256 required), a fresh signing key
// per run, and one lock around its session store (a plain map).
package devoidc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// Banner is on every page the provider serves.
const Banner = "Development sign-in — not for production"

// User is a sample user that the login page lists.
type User struct {
	// Email is the address the ID token carries as verified.
	Email string
	// Name is the user's display name (the "name" claim).
	Name string
}

// Config configures a Provider.
type Config struct {
	// Addr is the loopback address to listen on; "" is 127.0.0.1 on a free
	// port. Any address that is not loopback is refused.
	Addr string
	// Users are listed on the login page, in this order.
	Users []User
	// AllowOtherAddresses adds a field to the login page to sign in with
	// any address, for trying how the client area treats an address that
	// no User has claimed.
	AllowOtherAddresses bool
	// ClientID and ClientSecret are the one client's registration; each is
	// random when empty.
	ClientID     string
	ClientSecret string
	// RedirectURLs are the client's registered redirect URLs; the provider
	// sends a code to no other.
	RedirectURLs []string
}

// Provider is a running development OpenID provider.
type Provider struct {
	cfg    Config
	mock   *mockoidc.MockOIDC
	server *http.Server
	done   chan struct{}
	// mu guards mockoidc's state: its session store is a plain map, and
	// a queued user must be the one that the next authorization takes.
	mu sync.Mutex
}

// Start starts a provider on a loopback address.
func Start(cfg Config) (*Provider, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if err := checkLoopback(cfg.Addr); err != nil {
		return nil, err
	}
	if len(cfg.RedirectURLs) == 0 {
		return nil, errors.New("devoidc: no redirect URL: the provider sends codes only to a registered client")
	}
	for i, u := range cfg.Users {
		address, err := mail.ParseAddress(u.Email)
		if err != nil || address.Address != u.Email {
			return nil, fmt.Errorf("devoidc: user %d: %q is not an e-mail address", i, u.Email)
		}
	}
	// A fresh key for each run: mockoidc's default key is public, and
	// tokens signed with it could be made by anyone.
	keypair, err := mockoidc.RandomKeypair(2048)
	if err != nil {
		return nil, err
	}
	mock, err := mockoidc.NewServer(keypair.PrivateKey)
	if err != nil {
		return nil, err
	}
	if _, err := mock.Keypair.KeyID(); err != nil { // computed once, here, not lazily under requests
		return nil, err
	}
	if cfg.ClientID != "" {
		mock.ClientID = cfg.ClientID
	}
	if cfg.ClientSecret != "" {
		mock.ClientSecret = cfg.ClientSecret
	}
	cfg.ClientID, cfg.ClientSecret = mock.ClientID, mock.ClientSecret
	mock.CodeChallengeMethodsSupported = []string{mockoidc.CodeChallengeMethodS256}

	listener, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("devoidc: %w", err)
	}
	p := &Provider{cfg: cfg, mock: mock, done: make(chan struct{})}
	p.server = &http.Server{
		Addr:              listener.Addr().String(),
		Handler:           p.routes(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	// mockoidc derives its issuer and endpoint URLs from its Server field;
	// this package serves the mux of routes, mockoidc's handlers among them.
	mock.Server = p.server
	go func() {
		defer close(p.done)
		// Serve returns ErrServerClosed after Shutdown; any other error is
		// the listener's, and the client then sees its requests fail.
		_ = p.server.Serve(listener)
	}()
	return p, nil
}

// checkLoopback refuses an address that is not on a loopback interface.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("devoidc: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("devoidc: refusing to listen on %q: the development provider listens on loopback addresses only", addr)
}

// Issuer is the issuer URL for the client's configuration (discovery is
// at Issuer + "/.well-known/openid-configuration").
func (p *Provider) Issuer() string { return p.mock.Issuer() }

// ClientID is the client's id.
func (p *Provider) ClientID() string { return p.cfg.ClientID }

// ClientSecret is the client's secret.
func (p *Provider) ClientSecret() string { return p.cfg.ClientSecret }

// LoginURL is the login page's address, for a person to look at; sign-in
// starts at the client, which sends the browser there.
func (p *Provider) LoginURL() string { return p.mock.AuthorizationEndpoint() }

// Users are the sample users of the login page.
func (p *Provider) Users() []User { return slices.Clone(p.cfg.Users) }

// Shutdown stops the provider, waiting for open requests until ctx ends.
func (p *Provider) Shutdown(ctx context.Context) error {
	err := p.server.Shutdown(ctx)
	select {
	case <-p.done:
	case <-ctx.Done():
	}
	return err
}

// userParam is the login page's choice of user on the authorization request.
const userParam = "dev_user"

func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(mockoidc.AuthorizationEndpoint, p.authorize)
	mux.HandleFunc(mockoidc.TokenEndpoint, p.token)
	mux.Handle(mockoidc.UserinfoEndpoint, p.locked(p.mock.Userinfo))
	mux.Handle(mockoidc.JWKSEndpoint, p.locked(p.mock.JWKS))
	mux.Handle(mockoidc.DiscoveryEndpoint, p.locked(p.mock.Discovery))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		p.page(w, http.StatusNotFound, pageData{Error: "Sign-in starts at the client area, which sends you here."})
	})
	return mux
}

func (p *Provider) locked(handler http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		handler(w, r)
	})
}

// authorize is the authorization endpoint: without a chosen user, the
// login page; with one, mockoidc's authorization for that user, which
// redirects to the client with a code.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		p.page(w, http.StatusMethodNotAllowed, pageData{Error: "Method not allowed."})
		return
	}
	if err := r.ParseForm(); err != nil {
		p.page(w, http.StatusBadRequest, pageData{Error: "A malformed request: " + err.Error()})
		return
	}
	form := r.Form
	// Checked before anything is sent to redirect_uri: only the registered
	// client, at its registered address, with PKCE (S256).
	if form.Get("client_id") != p.cfg.ClientID {
		p.page(w, http.StatusBadRequest, pageData{Error: "Unknown client_id."})
		return
	}
	if !slices.Contains(p.cfg.RedirectURLs, form.Get("redirect_uri")) {
		p.page(w, http.StatusBadRequest, pageData{Error: "The redirect_uri is not the client's registered redirect URL."})
		return
	}
	if form.Get("response_type") != "code" {
		p.page(w, http.StatusBadRequest, pageData{Error: "Only the authorization code flow (response_type=code) is offered."})
		return
	}
	if form.Get("code_challenge") == "" || form.Get("code_challenge_method") != mockoidc.CodeChallengeMethodS256 {
		p.page(w, http.StatusBadRequest, pageData{Error: "PKCE is required: code_challenge with code_challenge_method=S256."})
		return
	}
	if !slices.Contains(strings.Fields(form.Get("scope")), "openid") {
		p.page(w, http.StatusBadRequest, pageData{Error: "The scope must include openid."})
		return
	}

	email := strings.TrimSpace(form.Get(userParam))
	if email == "" {
		p.page(w, http.StatusOK, p.loginPage(form))
		return
	}
	user, ok := p.user(email)
	if !ok {
		data := p.loginPage(form)
		data.Error = fmt.Sprintf("%q is not a sample user.", email)
		if p.cfg.AllowOtherAddresses {
			data.Error = fmt.Sprintf("%q is not an e-mail address.", email)
		}
		p.page(w, http.StatusBadRequest, data)
		return
	}
	// The chosen user is queued and taken by the very next authorization,
	// this one: both under the lock.
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mock.QueueUser(user)
	p.mock.Authorize(w, r)
}

// user is the sample user with the given address, or any address when the
// login page offers that.
func (p *Provider) user(email string) (*claimsUser, bool) {
	for _, u := range p.cfg.Users {
		if strings.EqualFold(u.Email, email) {
			return newClaimsUser(u), true
		}
	}
	if !p.cfg.AllowOtherAddresses {
		return nil, false
	}
	address, err := mail.ParseAddress(email)
	if err != nil || address.Address != email {
		return nil, false
	}
	return newClaimsUser(User{Email: email}), true
}

// token is mockoidc's token endpoint, which reads the client's credentials
// from the form only (client_secret_post): credentials sent in the
// Authorization header (client_secret_basic, which its discovery document
// also offers, and which golang.org/x/oauth2 tries first) are moved there.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed request", http.StatusBadRequest)
		return
	}
	if id, secret, ok := r.BasicAuth(); ok {
		// RFC 6749 2.3.1: both are form-urlencoded before they go in the header.
		if id, err := url.QueryUnescape(id); err == nil {
			r.Form.Set("client_id", id)
		}
		if secret, err := url.QueryUnescape(secret); err == nil {
			r.Form.Set("client_secret", secret)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mock.Token(w, r)
}

// claimsUser is a sample user as mockoidc's User: its ID token carries the
// address as verified (email_verified=true) and the name.
type claimsUser struct {
	subject string
	User
}

func newClaimsUser(u User) *claimsUser {
	// A stable subject per address, as a provider keeps one per account.
	sum := sha256.Sum256([]byte(strings.ToLower(u.Email)))
	return &claimsUser{subject: "dev-" + hex.EncodeToString(sum[:12]), User: u}
}

var _ mockoidc.User = (*claimsUser)(nil)

func (u *claimsUser) ID() string { return u.subject }

type userClaims struct {
	*mockoidc.IDTokenClaims
	Email         string `json:"email,omitempty"`
	EmailVerified *bool  `json:"email_verified,omitempty"`
	Name          string `json:"name,omitempty"`
}

func (u *claimsUser) scoped(scopes []string) userClaims {
	var c userClaims
	if slices.Contains(scopes, "email") {
		verified := true
		c.Email, c.EmailVerified = u.Email, &verified
	}
	if slices.Contains(scopes, "profile") {
		c.Name = u.Name
	}
	return c
}

func (u *claimsUser) Claims(scopes []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c := u.scoped(scopes)
	c.IDTokenClaims = base
	return c, nil
}

func (u *claimsUser) Userinfo(scopes []string) ([]byte, error) {
	c := u.scoped(scopes)
	return json.Marshal(struct {
		Subject string `json:"sub"`
		userClaims
	}{Subject: u.subject, userClaims: c})
}

// pageData is what the login page shows.
type pageData struct {
	Banner string
	Error  string
	Users  []userLink
	// Other is the form for any address, when offered: the authorization
	// request's parameters as hidden fields.
	Other       bool
	Action      string
	Hidden      []hiddenField
	RedirectURL string
}

type userLink struct {
	User
	URL string
}

type hiddenField struct{ Name, Value string }

func (p *Provider) loginPage(form url.Values) pageData {
	data := pageData{Action: mockoidc.AuthorizationEndpoint, Other: p.cfg.AllowOtherAddresses, RedirectURL: form.Get("redirect_uri")}
	params := url.Values{}
	for name, values := range form {
		if name == userParam {
			continue
		}
		params[name] = values
		for _, value := range values {
			data.Hidden = append(data.Hidden, hiddenField{Name: name, Value: value})
		}
	}
	slices.SortFunc(data.Hidden, func(a, b hiddenField) int { return strings.Compare(a.Name, b.Name) })
	for _, u := range p.cfg.Users {
		link := url.Values{}
		for name, values := range params {
			link[name] = values
		}
		link.Set(userParam, u.Email)
		data.Users = append(data.Users, userLink{User: u, URL: mockoidc.AuthorizationEndpoint + "?" + link.Encode()})
	}
	return data
}

func (p *Provider) page(w http.ResponseWriter, status int, data pageData) {
	data.Banner = Banner
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = loginTemplate.Execute(w, data)
}

var loginTemplate = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Banner}}</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f4f5f7; }
.banner { background: #b3261e; color: #fff; font-weight: 600; padding: .6rem 1rem; text-align: center; }
main { max-width: 34rem; margin: 2rem auto; background: #fff; border-radius: 8px; padding: 1.5rem 2rem; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
h1 { font-size: 1.3rem; margin-top: 0; }
ul { list-style: none; padding: 0; }
li { margin: .5rem 0; }
a.user { display: block; padding: .7rem 1rem; border: 1px solid #cfd4da; border-radius: 6px; text-decoration: none; color: inherit; }
a.user:hover, a.user:focus { border-color: #0b57d0; background: #eef3fd; }
.name { font-weight: 600; display: block; }
.email { color: #555; }
.error { color: #b3261e; font-weight: 600; }
.note { color: #555; font-size: .9rem; }
input[type=email] { padding: .4rem; width: 60%; }
</style>
</head>
<body>
<div class="banner" id="dev-banner">{{.Banner}}</div>
<main>
<h1>Sign in as a sample user</h1>
{{if .Error}}<p class="error" id="error">{{.Error}}</p>{{end}}
{{if .Users}}<ul id="users">
{{range .Users}}<li><a class="user" data-email="{{.Email}}" href="{{.URL}}"><span class="name">{{if .Name}}{{.Name}}{{else}}{{.Email}}{{end}}</span><span class="email">{{.Email}}</span></a></li>
{{end}}</ul>{{end}}
{{if .Other}}<form method="get" action="{{.Action}}" id="other">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<label>Another address: <input type="email" name="dev_user" required></label> <button type="submit">Sign in</button>
</form>{{end}}
<p class="note">No password is asked: this provider runs on this machine only, for local development and tests.{{if .RedirectURL}} You return to {{.RedirectURL}}.{{end}}</p>
</main>
</body>
</html>
`))
