package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// testKubeConfig is a connection to no API server, for tests that touch none.
func testKubeConfig() *rest.Config { return &rest.Config{Host: "https://127.0.0.1:1"} }

// W6: every response carries the security headers, pages are never cached,
// and every cookie the client area sets is hardened.
func TestSecurityHeadersAndCookieFlags(t *testing.T) {
	s, _ := testServer(t, nil, nil)
	b := newBrowser(t, s)
	for _, target := range []string{"/", "/login?return=/accounts", "/accounts", "/a/x/invoices", "/nowhere", "/static/style.css", "/lang?l=de&return=/", "/callback?state=x&code=y"} {
		w := b.get(target)
		h := w.Header()
		if got := h.Get("Content-Security-Policy"); got != contentSecurityPolicy {
			t.Errorf("GET %s: Content-Security-Policy %q", target, got)
		}
		for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
			if got := h.Get(name); got != want {
				t.Errorf("GET %s: %s %q, want %q", target, name, got, want)
			}
		}
		if !strings.HasPrefix(target, "/static/") && h.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", target, h.Get("Cache-Control"))
		}
		if h.Get("Strict-Transport-Security") == "" {
			t.Errorf("GET %s: no Strict-Transport-Security on an https client area", target)
		}
		for _, c := range w.Result().Cookies() {
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || !strings.HasPrefix(c.Name, "__Host-") {
				t.Errorf("GET %s: cookie %s is not hardened: %s", target, c.Name, c.String())
			}
		}
		if _, ok := b.cookies[sessionCookie]; strings.HasPrefix(target, "/login") && !ok {
			t.Errorf("GET /login set no %s cookie", sessionCookie)
		}
	}
	if _, ok := b.cookies[languageCookie]; !ok {
		t.Errorf("GET /lang set no %s cookie", languageCookie)
	}
}

// W6: the pages carry no script at all and no inline style, which the CSP
// would refuse anyway.
func TestPagesHaveNoScript(t *testing.T) {
	s, _ := testServer(t, nil, nil)
	body := newBrowser(t, s).get("/").Body.String()
	for _, bad := range []string{"<script", "style=", "onclick", "javascript:"} {
		if strings.Contains(strings.ToLower(body), bad) {
			t.Errorf("the start page contains %q", bad)
		}
	}
	if !strings.Contains(body, `id="sign-in"`) || !strings.Contains(body, `href="/login"`) {
		t.Errorf("the start page has no sign-in link #sign-in to /login:\n%s", body)
	}
}

// W6: a state-changing request from another site is refused before any
// handler acts on it; the same request from the client area's own page
// passes.
func TestCrossOriginPostIsRefused(t *testing.T) {
	s, _ := testServer(t, nil, nil)
	b := newBrowser(t, s)
	b.sessionFor("anna@example.com", "anna")
	id := b.session()
	for name, headers := range map[string]map[string]string{
		"Sec-Fetch-Site: cross-site":          {"Sec-Fetch-Site": "cross-site"},
		"Sec-Fetch-Site: same-site":           {"Sec-Fetch-Site": "same-site", "Origin": "https://evil.client.example.test"},
		"a foreign Origin, no Sec-Fetch-Site": {"Origin": "https://evil.example"},
	} {
		r := httptest.NewRequest(http.MethodPost, testURL+"/logout", nil)
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: id})
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Errorf("%s: POST /logout answered %d, want 403", name, w.Code)
		}
		if w.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s: the refusal has no security headers", name)
		}
		if _, ok := s.sessions.get(id); !ok {
			t.Fatalf("%s: the refused logout ended the session anyway", name)
		}
	}
	if w := b.post("/logout", nil); w.Code != http.StatusSeeOther {
		t.Fatalf("a same-origin POST /logout answered %d", w.Code)
	}
	if _, ok := s.sessions.get(id); ok {
		t.Error("the logout did not end the session on the server")
	}
}

// sessionFor makes a signed-in session directly, without the OpenID
// provider and API server: for tests of what sessions do.
func (b *browser) sessionFor(address, userName string) {
	sess := b.s.sessions.create(session{Address: address, UserName: userName})
	b.cookies[sessionCookie] = sess.ID
}

// W6: idle and absolute timeouts end a session, measured on the Config's
// clock; activity keeps a session alive up to the absolute limit only.
func TestSessionTimeouts(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	store := newSessionStore(Config{SessionIdle: 30 * time.Minute, SessionAbsolute: 2 * time.Hour, Clock: clk})
	idle := store.create(session{Address: "a@example.com"})
	active := store.create(session{Address: "b@example.com"})
	clk.SetTime(clk.Now().Add(29 * time.Minute))
	if _, ok := store.get(active.ID); !ok {
		t.Fatal("a session ended before its idle timeout")
	}
	clk.SetTime(clk.Now().Add(2 * time.Minute)) // 31 minutes after creation, 2 after the last request
	if _, ok := store.get(idle.ID); ok {
		t.Error("a session outlived its idle timeout")
	}
	for clk.Now().Sub(active.Started) < 2*time.Hour-10*time.Minute {
		if _, ok := store.get(active.ID); !ok {
			t.Fatal("an active session ended before its absolute timeout")
		}
		clk.SetTime(clk.Now().Add(10 * time.Minute))
	}
	clk.SetTime(active.Started.Add(2 * time.Hour))
	if _, ok := store.get(active.ID); ok {
		t.Error("an active session outlived its absolute timeout")
	}
	if store.len() != 0 {
		t.Errorf("%d ended sessions are still stored", store.len())
	}
}

// W6: through the middleware, an ended session is no session: the request
// is treated as signed out and the cookie is cleared.
func TestEndedSessionIsSignedOut(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Now())
	s, _ := testServer(t, nil, clk)
	b := newBrowser(t, s)
	b.sessionFor("anna@example.com", "anna")
	clk.SetTime(clk.Now().Add(DefaultSessionIdle))
	w := b.get("/accounts")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login?return=") {
		t.Errorf("GET /accounts with an idle session: %d to %q, want a redirect to sign in", w.Code, w.Header().Get("Location"))
	}
	if _, ok := b.cookies[sessionCookie]; ok {
		t.Error("the ended session's cookie was not cleared")
	}
}

// W6: a pending sign-in lives shorter than a session, and renewing moves a
// session to a new id, the old one dead at once.
func TestSessionRenewalKillsOldID(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Now())
	store := newSessionStore(Config{SessionIdle: time.Hour, SessionAbsolute: 12 * time.Hour, Clock: clk})
	old := store.create(session{Address: "a@example.com", Account: "one"})
	renewed, ok := store.renew(old.ID, func(s *session) { s.Account = "two" })
	if !ok || renewed.ID == old.ID || renewed.Account != "two" || renewed.Address != old.Address || !renewed.Started.Equal(old.Started) {
		t.Fatalf("renew: %+v, %v", renewed, ok)
	}
	if _, ok := store.get(old.ID); ok {
		t.Error("the old id still works after renewal")
	}
	if _, ok := store.renew(old.ID, func(*session) {}); ok {
		t.Error("an old id could be renewed again")
	}
	pending := store.create(session{Login: &pendingLogin{State: "x"}})
	clk.SetTime(clk.Now().Add(loginTimeout))
	if _, ok := store.get(pending.ID); ok {
		t.Error("a pending sign-in outlived the sign-in timeout")
	}
}

// A `return` parameter is only ever a path on this site.
func TestSafeReturn(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "/",
		"/a/x/invoices":             "/a/x/invoices",
		"/a/x/invoices?page=2":      "/a/x/invoices?page=2",
		"https://evil.example/":     "/",
		"//evil.example/":           "/",
		"/\\evil.example":           "/",
		"\\\\evil.example":          "/",
		"/%2F%2Fevil.example":       "/%2F%2Fevil.example",
		"javascript:alert(1)":       "/",
		"evil.example":              "/",
		"/\t/evil.example":          "/",
		"/a\r\nSet-Cookie: x=y":     "/",
		"/ok/../..//evil.example":   "/ok/../..//evil.example",
		"http:/evil.example":        "/",
		"/@evil.example":            "/@evil.example",
		"///evil.example":           "/",
		"/a/x/\x7f":                 "/",
		"/\u2028//evil.example":     "/%E2%80%A8//evil.example",
		"/a/x/contacts#fragment":    "/a/x/contacts",
		"/a/x/contacts?return=//ev": "/a/x/contacts?return=//ev",
	} {
		if got := safeReturn(in); got != want {
			t.Errorf("safeReturn(%q) = %q, want %q", in, got, want)
		}
		if u, err := url.Parse(safeReturn(in)); err != nil || u.Host != "" || u.Scheme != "" {
			t.Errorf("safeReturn(%q) leaves the site: %q", in, safeReturn(in))
		}
	}
	s, _ := testServer(t, nil, nil)
	w := newBrowser(t, s).get("/lang?l=de&return=" + url.QueryEscape("//evil.example/"))
	if w.Header().Get("Location") != "/" {
		t.Errorf("/lang with a foreign return sent the browser to %q", w.Header().Get("Location"))
	}
}

// The language comes from the switch's cookie, else Accept-Language, else
// English; the page says which.
func TestLanguageChoice(t *testing.T) {
	s, _ := testServer(t, nil, nil)
	for _, c := range []struct{ accept, cookie, want, word string }{
		{"", "", "en", "Sign in"},
		{"de-DE,de;q=0.9,en;q=0.8", "", "de", "Anmelden"},
		{"de-AT", "", "de", "Anmelden"},
		{"fr-FR,fr;q=0.9", "", "en", "Sign in"},
		{"fr-FR, de;q=0.5", "", "de", "Anmelden"},
		{"de-DE", "en", "en", "Sign in"},
		{"en-US", "de", "de", "Anmelden"},
		{"en-US", "xx", "en", "Sign in"},
	} {
		b := newBrowser(t, s)
		if c.accept != "" {
			b.header.Set("Accept-Language", c.accept)
		}
		if c.cookie != "" {
			b.cookies[languageCookie] = c.cookie
		}
		body := b.get("/").Body.String()
		if !strings.Contains(body, `<html lang="`+c.want+`">`) || !strings.Contains(body, c.word) {
			t.Errorf("Accept-Language %q, cookie %q: want %s (%q)", c.accept, c.cookie, c.want, c.word)
		}
	}
	b := newBrowser(t, s)
	b.header.Set("Accept-Language", "en")
	w := b.get("/lang?l=de&return=/")
	if w.Code != http.StatusSeeOther || b.cookies[languageCookie] != "de" {
		t.Fatalf("the switch to German: %d, cookie %q", w.Code, b.cookies[languageCookie])
	}
	if !strings.Contains(b.get("/").Body.String(), "Anmelden") {
		t.Error("after the switch to German, the page is not German")
	}
}

// Every word the templates and handlers use exists in English and German.
func TestEveryWordInBothLanguages(t *testing.T) {
	for key, m := range messages {
		if m.en == "" && !strings.HasPrefix(key, "domain_help_") {
			t.Errorf("%s has no English", key)
		}
		if (m.de == "") != (m.en == "") {
			t.Errorf("%s has no German", key)
		}
	}
	for _, key := range usedMessageKeys(t) {
		if _, ok := messages[key]; !ok {
			t.Errorf("the key %q is used but has no words", key)
		}
	}
}

// The sign-in refuses an ID token whose address the provider has not
// verified, one meant for another sign-in (nonce) and a lookalike address,
// without saying why to the browser; a refused sign-in is over (its
// pending sign-in and session are gone).
func TestSignInRefusesUnverifiedOrReplayed(t *testing.T) {
	s, p := testServer(t, nil, nil)
	for name, tamper := range map[string]func(map[string]any){
		"email not verified":      func(c map[string]any) { c["email_verified"] = false },
		"email_verified absent":   func(c map[string]any) { delete(c, "email_verified") },
		"another sign-in's nonce": func(c map[string]any) { c["nonce"] = "replayed" },
		"another client":          func(c map[string]any) { c["aud"] = "someone-else" },
		"expired":                 func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() },
		"a system: name":          func(c map[string]any) { c["email"] = "system:admin" },
		"a Kelvin sign for a k":   func(c map[string]any) { c["email"] = "\u212Aim@example.com" },
	} {
		b := newBrowser(t, s)
		p.mu.Lock()
		p.tamper = tamper
		p.mu.Unlock()
		w := b.signIn(p, "anna@example.com", "/")
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "could not be verified") {
			t.Errorf("%s: the callback answered %d", name, w.Code)
		}
		if sess, ok := s.sessions.get(b.session()); ok && sess.Address != "" {
			t.Errorf("%s: signed in as %q", name, sess.Address)
		}
		if b.session() != "" || s.sessions.len() != 0 {
			t.Errorf("%s: the refused sign-in left its session (cookie %q, %d stored)", name, b.session(), s.sessions.len())
		}
	}
	b := newBrowser(t, s)
	if w := b.get("/callback?state=forged&code=x"); w.Code != http.StatusBadRequest {
		t.Errorf("a callback without a pending sign-in answered %d", w.Code)
	}
	b.get("/login")
	if w := b.get("/callback?state=forged&code=x"); w.Code != http.StatusUnauthorized {
		t.Errorf("a callback with another state answered %d", w.Code)
	}
}

// recordingAPIServer stands in for the API server in the transport's
// tests: it records the impersonation headers and credentials of each
// request and the connections they came on.
type recordingAPIServer struct {
	*httptest.Server
	mu          sync.Mutex
	requests    []http.Header
	connections atomic.Int32
}

func newRecordingAPIServer(t *testing.T) *recordingAPIServer {
	a := &recordingAPIServer{}
	a.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.requests = append(a.requests, r.Header.Clone())
		a.mu.Unlock()
		writeJSON(w, map[string]any{"apiVersion": "clientarea.dev/v1alpha1", "kind": "User", "metadata": map[string]any{"name": "anna"}})
	}))
	a.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			a.connections.Add(1)
		}
	}
	a.StartTLS()
	t.Cleanup(a.Close)
	return a
}

// W3: the transport acts as the context's user and as nobody else: other
// impersonation headers are dropped, its own credentials stay, and a
// request with no user is never sent. One client and one connection pool
// serve every user.
func TestImpersonatingClient(t *testing.T) {
	api := newRecordingAPIServer(t)
	kube, err := newImpersonatingClient(&rest.Config{
		Host: api.URL, BearerToken: "front-end-token", TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		Impersonate: rest.ImpersonationConfig{UserName: "system:admin"}, // never used for anyone
	}, client.Options{Scheme: Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = kube.Get(ctx, client.ObjectKey{Name: "anna"}, &clientareav1alpha1.User{})
	if !errors.Is(err, errNoUser) {
		t.Errorf("a request without a user: %v, want errNoUser", err)
	}
	for _, user := range []string{"anna@example.com", "bernd@example.com", "anna@example.com"} {
		if err := kube.Get(WithUser(ctx, user), client.ObjectKey{Name: "anna"}, &clientareav1alpha1.User{}); err != nil {
			t.Fatal(err)
		}
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.requests) != 3 {
		t.Fatalf("the API server got %d requests, want 3 (none without a user)", len(api.requests))
	}
	for i, want := range []string{"anna@example.com", "bernd@example.com", "anna@example.com"} {
		h := api.requests[i]
		if got := h.Values("Impersonate-User"); len(got) != 1 || got[0] != want {
			t.Errorf("request %d: Impersonate-User %q, want %q", i, got, want)
		}
		if h.Get("Authorization") != "Bearer front-end-token" {
			t.Errorf("request %d: Authorization %q, want the front end's own token", i, h.Get("Authorization"))
		}
	}
	if n := api.connections.Load(); n != 1 {
		t.Errorf("%d connections for 3 requests of 2 users, want 1 shared", n)
	}
}

// W3: whatever Impersonate-* headers a request carries when it reaches the
// transport, in any spelling, only the context's user goes out.
func TestTransportDropsIncomingImpersonation(t *testing.T) {
	var sent http.Header
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = r.Header.Clone()
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
	})
	r := httptest.NewRequest(http.MethodGet, "https://api.example/apis", nil)
	r = r.WithContext(WithUser(r.Context(), "bernd@example.com"))
	r.Header.Set("Impersonate-User", "anna@example.com")
	r.Header.Set("Impersonate-Group", "system:masters")
	r.Header.Set("Impersonate-Uid", "0")
	r.Header.Set("Impersonate-Extra-Scopes", "all")
	r.Header["impersonate-user"] = []string{"system:admin"} // not in canonical form
	r.Header.Set("Accept", "application/json")
	resp, err := impersonating{next: next}.RoundTrip(r)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	for name, values := range sent {
		if strings.HasPrefix(strings.ToLower(name), "impersonate-") && (name != "Impersonate-User" || len(values) != 1 || values[0] != "bernd@example.com") {
			t.Errorf("sent %s: %q", name, values)
		}
	}
	if sent.Get("Impersonate-User") != "bernd@example.com" || sent.Get("Accept") != "application/json" {
		t.Errorf("sent headers %v", sent)
	}
	if r.Header.Get("Impersonate-Group") != "system:masters" {
		t.Error("the transport changed the caller's request instead of a copy")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A link to /login from elsewhere does not sign a signed-in customer out.
func TestLoginLinkKeepsSession(t *testing.T) {
	s, _ := testServer(t, nil, nil)
	b := newBrowser(t, s)
	b.sessionFor("anna@example.com", "anna")
	id := b.session()
	w := b.get("/login?return=/accounts")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/accounts" || b.session() != id {
		t.Errorf("GET /login when signed in: %d to %q", w.Code, w.Header().Get("Location"))
	}
	if _, ok := s.sessions.get(id); !ok {
		t.Error("GET /login ended the session")
	}
}

// An address is checked as the provider sent it, ASCII only, and lower-cased
// only then: a lookalike never becomes another customer's address.
func TestAddressOf(t *testing.T) {
	for claim, want := range map[string]string{
		"kim@example.com":                  "kim@example.com",
		"Kim.Meier@Example.COM":            "kim.meier@example.com",
		"KIM@EXAMPLE.COM":                  "kim@example.com",
		"\u212Aim@example.com":             "", // KELVIN SIGN, which lower-cases to k
		"k\u0130m@example.com":             "", // LATIN CAPITAL LETTER I WITH DOT ABOVE, which lower-cases to i + a dot
		"kim@\u212Aexample.com":            "",
		"kim@example.com\u017F":            "", // LATIN SMALL LETTER LONG S, which folds to s
		"system:admin":                     "",
		"kim@localhost":                    "",
		"":                                 "",
		strings.Repeat("a", 250) + "@x.de": "",
	} {
		got, err := addressOf(claim)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("addressOf(%q) = %q, %v; want %q", claim, got, err, want)
		}
		if err != nil && !errors.Is(err, errSignIn) {
			t.Errorf("addressOf(%q): %v is not errSignIn", claim, err)
		}
	}
}

// A failed callback ends its sign-in: the pending sign-in and its session
// are gone, so that the provider's real answer afterwards finds nothing to
// complete; and the error page's links never carry the callback's query
// (the code, the state).
func TestFailedCallbackEndsPendingLogin(t *testing.T) {
	s, p := testServer(t, nil, nil)
	b := newBrowser(t, s)
	callback := b.startSignIn(p, "anna@example.com", "/accounts")
	pending := b.session()
	query, err := url.Parse(callback)
	if err != nil {
		t.Fatal(err)
	}
	code, state := query.Query().Get("code"), query.Query().Get("state")
	noQueryInPage := func(what string, w *httptest.ResponseRecorder) {
		t.Helper()
		for _, secret := range []string{code, state, url.QueryEscape(code), url.QueryEscape(state), "callback", "code=", "state="} {
			if strings.Contains(w.Body.String(), secret) {
				t.Errorf("%s: the page contains %q:\n%s", what, secret, w.Body.String())
			}
		}
		if !strings.Contains(w.Body.String(), `id="lang-de" href="/lang?l=de&amp;return=%2f"`) {
			t.Errorf("%s: the language link does not come back to /:\n%s", what, w.Body.String())
		}
	}

	forged := b.get("/callback?code=" + url.QueryEscape(code) + "&state=forged-" + state)
	if forged.Code != http.StatusUnauthorized {
		t.Fatalf("a callback with another state: %d", forged.Code)
	}
	noQueryInPage("the refused callback", forged)
	if _, ok := s.sessions.get(pending); ok {
		t.Error("the pending sign-in outlived a failed callback")
	}
	if b.session() != "" {
		t.Error("the failed callback did not clear the session cookie")
	}

	b.cookies[sessionCookie] = pending
	again := b.get(callback)
	if again.Code != http.StatusBadRequest || !strings.Contains(again.Body.String(), "Please sign in again") {
		t.Errorf("the provider's answer after a failed callback: %d, want 400 (no sign-in to complete)", again.Code)
	}
	noQueryInPage("the callback without a sign-in", again)
	if s.sessions.len() != 0 {
		t.Errorf("%d sessions are stored, want none", s.sessions.len())
	}

	// The provider reports an error: the sign-in is over as well.
	b = newBrowser(t, s)
	b.get("/login")
	pending = b.session()
	if w := b.get("/callback?error=access_denied&state=x"); w.Code != http.StatusUnauthorized {
		t.Errorf("a cancelled sign-in: %d", w.Code)
	}
	if _, ok := s.sessions.get(pending); ok || b.session() != "" {
		t.Error("a cancelled sign-in left its session")
	}

	// A signed-in customer who follows a stray link to /callback stays
	// signed in.
	b = newBrowser(t, s)
	b.sessionFor("anna@example.com", "anna")
	id := b.session()
	if w := b.get("/callback?code=x&state=y"); w.Code != http.StatusBadRequest {
		t.Errorf("a callback without a sign-in in progress: %d", w.Code)
	}
	if _, ok := s.sessions.get(id); !ok || b.session() != id {
		t.Error("a stray callback signed a customer out")
	}
}

// loginFrom is GET /login from a client at addr (host:port), without a
// cookie.
func loginFrom(s *Server, addr string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, testURL+"/login", nil)
	r.RemoteAddr = addr
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// A flood of GET /login (from many addresses, so that the throttle does not
// stop it) keeps the stored sign-ins bounded: the oldest pending ones make
// room, a signed-in session is never evicted for them, and ended ones are
// swept when the next sign-in is stored.
func TestPendingSignInsAreBounded(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Now())
	s, _ := testServer(t, nil, clk)
	b := newBrowser(t, s)
	b.sessionFor("anna@example.com", "anna")
	signedIn := b.session()
	var first, last string
	for i := range 20_000 {
		w := loginFrom(s, fmt.Sprintf("10.%d.%d.%d:40000", i>>16, (i>>8)&0xff, i&0xff))
		if w.Code != http.StatusSeeOther {
			t.Fatalf("GET /login %d: %d", i, w.Code)
		}
		for _, c := range w.Result().Cookies() {
			if c.Name == sessionCookie {
				if first == "" {
					first = c.Value
				}
				last = c.Value
			}
		}
	}
	if n := s.sessions.len(); n > maxPendingLogins+1 {
		t.Errorf("%d sessions stored after 20000 sign-ins started, want at most %d", n, maxPendingLogins+1)
	}
	if n := s.sessions.pendingLen(); n != maxPendingLogins {
		t.Errorf("%d pending sign-ins, want the bound %d", n, maxPendingLogins)
	}
	if n := s.signIns.len(); n > maxClients {
		t.Errorf("the throttle remembers %d clients, want at most %d", n, maxClients)
	}
	if sess, ok := s.sessions.get(signedIn); !ok || sess.Address != "anna@example.com" {
		t.Fatal("the flood of sign-ins evicted a signed-in session")
	}
	if _, ok := s.sessions.get(first); ok {
		t.Error("the oldest pending sign-in was not the one evicted")
	}
	if _, ok := s.sessions.get(last); !ok {
		t.Error("the newest pending sign-in was evicted")
	}

	clk.SetTime(clk.Now().Add(loginTimeout))
	loginFrom(s, "192.0.2.7:1234")
	if n, pending := s.sessions.len(), s.sessions.pendingLen(); n != 2 || pending != 1 {
		t.Errorf("after the sign-in timeout and one more sign-in: %d sessions, %d pending; want 2 (anna's and the new one), 1", n, pending)
	}
	if _, ok := s.sessions.get(signedIn); !ok {
		t.Error("the sweep ended a live signed-in session")
	}
}

// Sign-ins are throttled per client: a burst, then one per signInEvery;
// /login and /callback count together; other clients are not affected.
// The client is the connection's address, an IPv6 one by its /64, or,
// when configured, the last value of the proxy's header.
func TestSignInsAreThrottledPerClient(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Now())
	s, _ := testServer(t, nil, clk)
	for i := range signInBurst - 1 {
		if w := loginFrom(s, "192.0.2.1:1000"); w.Code != http.StatusSeeOther {
			t.Fatalf("sign-in %d of the burst: %d", i, w.Code)
		}
	}
	r := httptest.NewRequest(http.MethodGet, testURL+"/callback?state=x&code=y", nil)
	r.RemoteAddr = "192.0.2.1:1001"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest {
		t.Fatalf("the last callback of the burst: %d", w.Code)
	}
	w = loginFrom(s, "192.0.2.1:1002")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" || !strings.Contains(w.Body.String(), "Too many sign-ins") {
		t.Fatalf("beyond the burst: %d, Retry-After %q\n%s", w.Code, w.Header().Get("Retry-After"), w.Body.String())
	}
	if w.Header().Get("Content-Security-Policy") == "" || len(w.Result().Cookies()) != 0 {
		t.Error("the refusal lacks the security headers, or stored a sign-in")
	}
	if w := loginFrom(s, "192.0.2.2:1000"); w.Code != http.StatusSeeOther {
		t.Errorf("another client was throttled: %d", w.Code)
	}
	clk.SetTime(clk.Now().Add(signInEvery))
	if w := loginFrom(s, "192.0.2.1:1000"); w.Code != http.StatusSeeOther {
		t.Errorf("after %s, the client got no sign-in: %d", signInEvery, w.Code)
	}
	if w := loginFrom(s, "192.0.2.1:1000"); w.Code != http.StatusTooManyRequests {
		t.Errorf("the refill gave more than one sign-in: %d", w.Code)
	}

	for _, c := range []struct {
		header, remote, value, want string
	}{
		{"", "192.0.2.1:1234", "", "192.0.2.1"},
		{"", "[2001:db8:1:2:3:4:5:6]:1234", "", "2001:db8:1:2::/64"},
		{"", "[::ffff:192.0.2.1]:1234", "", "192.0.2.1"},
		{"", "not an address", "", "not an address"},
		{"", "192.0.2.1:1234", "198.51.100.7", "192.0.2.1"}, // no header configured: never read
		{"X-Forwarded-For", "10.0.0.1:1234", "203.0.113.9, 198.51.100.7", "198.51.100.7"},
		{"X-Forwarded-For", "10.0.0.1:1234", "2001:db8:1:2::99", "2001:db8:1:2::/64"},
		{"X-Forwarded-For", "10.0.0.1:1234", "garbage", "10.0.0.1"},
		{"X-Forwarded-For", "10.0.0.1:1234", "", "10.0.0.1"},
		{"X-Real-Ip", "10.0.0.1:1234", "198.51.100.7:5555", "198.51.100.7"},
	} {
		s.cfg.ClientAddressHeader = c.header
		r := httptest.NewRequest(http.MethodGet, testURL+"/login", nil)
		r.RemoteAddr = c.remote
		if c.value != "" {
			r.Header.Set("X-Forwarded-For", "spoofed.example")
			r.Header.Add("X-Forwarded-For", c.value)
			r.Header.Set("X-Real-Ip", c.value)
		}
		if got := s.clientKey(r); got != c.want {
			t.Errorf("header %q, remote %q, value %q: client %q, want %q", c.header, c.remote, c.value, got, c.want)
		}
	}
	if _, err := (Config{Kube: testKubeConfig(), Issuer: "https://id.example", ClientID: "x", URL: testURL, ClientAddressHeader: "X-Forwarded-For:"}).withDefaults(); err == nil {
		t.Error("a ClientAddressHeader that is no header name was accepted")
	}

	// The throttle remembers a bounded number of clients, the least
	// recently seen forgotten first.
	l := newRateLimiter(clk, 1, time.Hour, 3)
	for _, key := range []string{"a", "b", "c", "a", "d"} {
		l.allow(key)
	}
	if l.len() != 3 {
		t.Errorf("the throttle remembers %d clients, want 3", l.len())
	}
	if ok, _ := l.allow("a"); ok {
		t.Error("a recently seen client was forgotten")
	}
	if ok, _ := l.allow("b"); !ok {
		t.Error("the least recently seen client was not the one forgotten")
	}
}
