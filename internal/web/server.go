package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// Config configures the client area.
type Config struct {
	// Kube is the front end's own connection to the API server: its
	// ServiceAccount, which may only impersonate claimed addresses.
	Kube *rest.Config
	// Issuer is the OpenID provider's issuer URL; ClientID and
	// ClientSecret are the client area's registration there.
	Issuer       string
	ClientID     string
	ClientSecret string
	// URL is where the client area is reached, its origin, such as
	// https://client.example.com; the OpenID redirect URL is URL + "/callback".
	// Its origin is trusted for state-changing requests.
	URL string
	// SessionIdle and SessionAbsolute end a session after that long without
	// a request, and after that long at all.
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	// Clock tells the time; nil is the real clock.
	Clock clock.PassiveClock
	// ClientAddressHeader names a header that the one proxy in front of
	// the client area (an ingress) sets to the client's address, such as
	// X-Forwarded-For or X-Real-IP; its last value counts. Empty: the
	// connection's address (http.Request.RemoteAddr). It is what sign-ins
	// are throttled by; set it only when no client can reach the client
	// area except through that proxy, since a client that can sends any
	// address it likes.
	ClientAddressHeader string
}

// Defaults of Config.
const (
	DefaultSessionIdle     = 30 * time.Minute
	DefaultSessionAbsolute = 12 * time.Hour
)

// Server is the client area's HTTP handler. It holds no global state: its
// sessions, client and templates are its own.
type Server struct {
	cfg      Config
	kube     client.Client
	sessions *sessionStore
	auth     *authenticator
	signIns  *rateLimiter
	pages    *renderer
	log      logr.Logger
	handler  http.Handler

	// domainLogins is the domain login (pages_domainlogin.go), made in routes.
	domainLogins *domainLogin
}

// New builds the client area: its client, its OpenID relying party (the
// provider is asked for its configuration, so it must be reachable), its
// templates and routes.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	kube, err := newImpersonatingClient(cfg.Kube, client.Options{Scheme: Scheme()})
	if err != nil {
		return nil, err
	}
	auth, err := newAuthenticator(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("the OpenID provider %s: %w", cfg.Issuer, err)
	}
	return newServer(cfg, kube, auth)
}

// withDefaults fills in the defaults and checks what has none.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = DefaultSessionIdle
	}
	if cfg.SessionAbsolute == 0 {
		cfg.SessionAbsolute = DefaultSessionAbsolute
	}
	switch {
	case cfg.Kube == nil:
		return cfg, errors.New("web.Config.Kube is required: the front end's own connection to the API server")
	case cfg.Issuer == "" || cfg.ClientID == "":
		return cfg, errors.New("web.Config.Issuer and ClientID are required: the OpenID provider and the client area's registration there")
	}
	base, err := url.Parse(cfg.URL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || (base.Path != "" && base.Path != "/") {
		return cfg, fmt.Errorf("web.Config.URL %q must be the client area's origin, such as https://client.example.com", cfg.URL)
	}
	cfg.URL = base.Scheme + "://" + base.Host
	if cfg.ClientAddressHeader != "" {
		if !isHeaderName(cfg.ClientAddressHeader) {
			return cfg, fmt.Errorf("web.Config.ClientAddressHeader %q is not a header name", cfg.ClientAddressHeader)
		}
		cfg.ClientAddressHeader = http.CanonicalHeaderKey(cfg.ClientAddressHeader)
	}
	return cfg, nil
}

// isHeaderName says whether name is an HTTP header name (RFC 9110's token).
func isHeaderName(name string) bool {
	const tokenChars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	return name != "" && strings.Trim(name, tokenChars) == ""
}

// newServer puts the parts together; tests give it their own.
func newServer(cfg Config, kube client.Client, auth *authenticator) (*Server, error) {
	pages, err := newRenderer()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, kube: kube, sessions: newSessionStore(cfg), auth: auth, pages: pages,
		signIns: newRateLimiter(cfg.Clock, signInBurst, signInEvery, maxClients),
		log:     logf.Log.WithName("web"),
	}
	handler, err := s.middleware(s.routes())
	if err != nil {
		return nil, err
	}
	s.handler = handler
	return s, nil
}

// ServeHTTP serves the client area.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// middleware is the chain every request passes, outermost first: security
// headers (on every response, refusals included), cross-origin protection
// (before anything acts on a request), the session, the language.
func (s *Server) middleware(next http.Handler) (http.Handler, error) {
	protection := http.NewCrossOriginProtection()
	// The client area's own origin, for a proxy in front that changes Host;
	// browsers that send Sec-Fetch-Site need no list.
	if err := protection.AddTrustedOrigin(s.cfg.URL); err != nil {
		return nil, err
	}
	protection.SetDenyHandler(http.HandlerFunc(s.crossOriginRefused))
	return s.securityHeaders(protection.Handler(s.withSession(s.withLanguage(next)))), nil
}

// contentSecurityPolicy allows the page its own stylesheet and images and
// nothing else: no script at all, no inline style, no framing, forms only
// to this site.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// securityHeaders sets the headers a browser needs to protect the pages.
// Pages are never stored by a cache: they hold a customer's data.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	https := strings.HasPrefix(s.cfg.URL, "https://")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "public, max-age=3600")
		} else {
			h.Set("Cache-Control", "no-store")
		}
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// crossOriginRefused answers a state-changing request from another site.
func (s *Server) crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	r = r.WithContext(withLanguageOf(r.Context(), chooseLanguage(r)))
	s.renderError(w, r, http.StatusForbidden, "err_cross_origin")
}

// Scheme is what the front end reads and writes: the client area's kinds,
// and the Kubernetes kinds it asks the API server about (access reviews).
func Scheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err) // the schemes are constants: a failure is a programming error
	}
	if err := clientareav1alpha1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	return scheme
}
