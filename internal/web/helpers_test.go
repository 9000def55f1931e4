package web

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// testURL is the client area's origin in the tests.
const testURL = "https://client.example.test"

// provider is an OpenID provider for the tests: discovery, authorization
// (which signs in whoever the test names, at once), token endpoint with
// PKCE, and ID tokens signed with RS256 by go-jose.
type provider struct {
	*httptest.Server
	t        testing.TB
	key      *rsa.PrivateKey
	clientID string
	secret   string
	clock    clock.PassiveClock

	mu sync.Mutex
	// next is who the next authorization signs in.
	next identity
	// grants are the codes handed out, with what was asked for.
	grants map[string]grant
	// tamper changes the next ID token's claims, for tests of refusals.
	tamper func(claims map[string]any)
}

// identity is what the provider asserts about the person signing in.
type identity struct {
	Email    string
	Verified bool
}

type grant struct {
	identity
	Nonce, Challenge, RedirectURI string
}

func newProvider(t testing.TB, clk clock.PassiveClock) *provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{t: t, key: key, clientID: "client-area", secret: "s3cret", clock: clk, grants: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /keys", p.keys)
	p.Server = httptest.NewServer(mux)
	t.Cleanup(p.Close)
	return p
}

// signInNext makes the next authorization sign in this address.
func (p *provider) signInNext(email string, verified bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.next = identity{Email: email, Verified: verified}
}

func (p *provider) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer": p.URL, "authorization_endpoint": p.URL + "/authorize", "token_endpoint": p.URL + "/token",
		"jwks_uri": p.URL + "/keys", "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported": []string{"S256"},
	})
}

// authorize signs in p.next and sends the browser back with a code.
func (p *provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.clientID || q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	code := rand.Text()
	p.grants[code] = grant{identity: p.next, Nonce: q.Get("nonce"), Challenge: q.Get("code_challenge"), RedirectURI: q.Get("redirect_uri")}
	p.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	values := back.Query()
	values.Set("code", code)
	values.Set("state", q.Get("state"))
	back.RawQuery = values.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code, once, for an ID token, when the PKCE verifier
// and the client's credentials match.
func (p *provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p.mu.Lock()
	g, found := p.grants[r.PostForm.Get("code")]
	delete(p.grants, r.PostForm.Get("code"))
	tamper := p.tamper
	p.tamper = nil
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case id != p.clientID || secret != p.secret:
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, map[string]string{"error": "invalid_client"})
		return
	case !found || base64.RawURLEncoding.EncodeToString(sum[:]) != g.Challenge || r.PostForm.Get("redirect_uri") != g.RedirectURI:
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"error": "invalid_grant"})
		return
	}
	writeJSON(w, map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": p.idToken(g, tamper)})
}

func (p *provider) idToken(g grant, tamper func(map[string]any)) string {
	now := p.clock.Now()
	claims := map[string]any{
		"iss": p.URL, "sub": "sub-" + g.Email, "aud": p.clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": g.Nonce, "email": g.Email, "email_verified": g.Verified,
	}
	if tamper != nil {
		tamper(claims)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "test"))
	if err != nil {
		p.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	signed, err := signer.Sign(payload)
	if err != nil {
		p.t.Fatal(err)
	}
	token, err := signed.CompactSerialize()
	if err != nil {
		p.t.Fatal(err)
	}
	return token
}

func (p *provider) keys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "test", Algorithm: "RS256", Use: "sig"}}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// testServer is a client area for a test: its provider, and kube as its
// client (nil when the test touches no API server).
func testServer(t testing.TB, kube client.Client, clk clock.PassiveClock) (*Server, *provider) {
	t.Helper()
	if clk == nil {
		clk = clock.RealClock{}
	}
	p := newProvider(t, clk)
	cfg, err := Config{Kube: testKubeConfig(), Issuer: p.URL, ClientID: p.clientID, ClientSecret: p.secret, URL: testURL, Clock: clk}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	auth, err := newAuthenticator(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newServer(cfg, kube, auth)
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

// browser is a user agent for the tests: it keeps the cookies the server
// sets (as a browser does for https://client.example.test) and sends what a
// browser sends on a same-origin form.
type browser struct {
	t       testing.TB
	s       *Server
	cookies map[string]string
	header  http.Header
}

func newBrowser(t testing.TB, s *Server) *browser {
	return &browser{t: t, s: s, cookies: map[string]string{}, header: http.Header{}}
}

// get requests a page, following no redirect.
func (b *browser) get(target string) *httptest.ResponseRecorder {
	return b.do(httptest.NewRequest(http.MethodGet, testURL+target, nil))
}

// post submits a form from one of the client area's own pages.
func (b *browser) post(target string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, testURL+target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Origin", testURL)
	return b.do(r)
}

func (b *browser) do(r *http.Request) *httptest.ResponseRecorder {
	b.t.Helper()
	for name, values := range b.header {
		r.Header[name] = values
	}
	for name, value := range b.cookies {
		r.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	w := httptest.NewRecorder()
	b.s.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return w
}

// signIn goes through the whole OpenID sign-in as address, and returns the
// callback's answer.
func (b *browser) signIn(p *provider, address string, returnTo string) *httptest.ResponseRecorder {
	b.t.Helper()
	return b.get(b.startSignIn(p, address, returnTo))
}

// startSignIn starts a sign-in as address and lets the provider answer it;
// it returns the callback the provider sends the browser to (path and
// query, with the code and state), not yet requested.
func (b *browser) startSignIn(p *provider, address string, returnTo string) string {
	b.t.Helper()
	p.signInNext(address, true)
	login := b.get("/login?return=" + url.QueryEscape(returnTo))
	if login.Code != http.StatusSeeOther {
		b.t.Fatalf("GET /login: %d", login.Code)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(login.Header().Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	_ = resp.Body.Close()
	callback, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(callback.String(), testURL+"/callback") {
		b.t.Fatalf("the provider sent the browser to %q", resp.Header.Get("Location"))
	}
	return callback.RequestURI()
}

// session is the browser's session id.
func (b *browser) session() string { return b.cookies[sessionCookie] }
