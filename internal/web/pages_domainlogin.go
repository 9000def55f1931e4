package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/domainpassword"
)

// The domain login (D5, W7): a visitor signs in with a domain name and its
// password (the auth code in the login's Secret). The front end checks the
// password against the Argon2id hash in the domain's DomainCredential, read
// as the front end itself (the only thing it reads as itself), then acts as
// the domain login's ServiceAccount, whose Role limits it to that one
// Domain and its holder Contact.

// maxDomainPassword bounds what is hashed of a typed password: a password
// the operator draws is far shorter.
const maxDomainPassword = 256

// domainLogin is the domain login's state in a Server.
type domainLogin struct {
	// credentials reads DomainCredentials as the front end's own
	// ServiceAccount; nil when it could not be built (every sign-in fails).
	credentials *credentialReader
	sessions    *domainSessionStore
	// byDomain and byAddress count failed sign-ins (W7).
	byDomain  *attemptLimiter
	byAddress *attemptLimiter
	// hasher bounds the password checks running at once: each takes
	// Argon2id's memory (19 MiB, reused by the next check) and a CPU for a
	// while.
	hasher *domainpassword.Hasher

	registry *prometheus.Registry
	signIns  *prometheus.CounterVec
	lockouts *prometheus.CounterVec
}

func newDomainLogin(s *Server) *domainLogin {
	d := &domainLogin{
		sessions:  newDomainSessionStore(s.cfg.Clock),
		byDomain:  newAttemptLimiter(s.cfg.Clock, attemptLimit, attemptMaxKeys),
		byAddress: newAttemptLimiter(s.cfg.Clock, attemptLimit, attemptMaxKeys),
		hasher:    domainpassword.NewHasher(runtime.GOMAXPROCS(0)),
		registry:  prometheus.NewRegistry(),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clientarea_web_domain_sign_ins_total",
			Help: "Domain login sign-in attempts, by result: success, failure (unknown domain or wrong password), refused (limited, not checked).",
		}, []string{"result"}),
		lockouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clientarea_web_domain_sign_in_lockouts_total",
			Help: "Domain login lock-outs after too many failed sign-ins, by what was locked out: domain or address.",
		}, []string{"scope"}),
	}
	d.registry.MustRegister(d.signIns, d.lockouts)
	for _, result := range []string{"success", "failure", "refused"} {
		d.signIns.WithLabelValues(result)
	}
	for _, scope := range []string{"domain", "address"} {
		d.lockouts.WithLabelValues(scope)
	}
	if s.cfg.Kube != nil {
		reader, err := newCredentialReader(s.cfg.Kube)
		if err != nil {
			s.log.Error(err, "the domain login's connection to the API server; domain sign-ins will fail")
		}
		d.credentials = reader
	}
	return d
}

// Metrics serves the client area's metrics (the domain login's sign-ins
// and lock-outs) in the Prometheus format, for cmd/web to expose on its
// metrics address.
func (s *Server) Metrics() http.Handler {
	return promhttp.HandlerFor(s.domainLogins.registry, promhttp.HandlerOpts{})
}

// credentialReader gets DomainCredentials, and nothing else, as the front
// end's own ServiceAccount: the one read the front end makes as itself, by
// name (it may `get` DomainCredentials and not list them). A client of its
// own, from the same rest.Config but without the impersonating transport,
// and a REST mapping that knows no other kind.
type credentialReader struct{ c client.Client }

func newCredentialReader(cfg *rest.Config) (*credentialReader, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.Impersonate = rest.ImpersonationConfig{}
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(clientareav1alpha1.GroupVersion.WithKind("DomainCredential"), meta.RESTScopeRoot)
	c, err := client.New(cfg, client.Options{Scheme: Scheme(), Mapper: mapper})
	if err != nil {
		return nil, fmt.Errorf("the front end's own connection for domain credentials: %w", err)
	}
	return &credentialReader{c: c}, nil
}

// get reads the credential of a domain name.
func (c *credentialReader) get(ctx context.Context, domainName string) (*clientareav1alpha1.DomainCredential, error) {
	if c == nil {
		return nil, errors.New("no connection for domain credentials")
	}
	credential := &clientareav1alpha1.DomainCredential{}
	if err := c.c.Get(ctx, client.ObjectKey{Name: clientareav1alpha1.DomainCredentialName(domainName)}, credential); err != nil {
		return nil, err
	}
	return credential, nil
}

// dummyHash is what a password for an unknown domain is checked against,
// so that an unknown domain takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	hash, err := domainpassword.Hash(rand.Text())
	if err != nil {
		panic(err) // the system's random source failed
	}
	return hash
})

// normalizeDomainName is a typed domain name as credentials are named.
func normalizeDomainName(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// plausibleDomainName says whether name can be a credential's name at all;
// no other is looked up (its password is still checked, against the dummy).
func plausibleDomainName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for _, c := range name {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// domainSignInView is the sign-in form.
type domainSignInView struct {
	Failed bool
	Ended  bool
}

// domainLoginView is the domain page.
type domainLoginView struct {
	DomainName string
	Domain     *clientareav1alpha1.Domain
	Holder     *clientareav1alpha1.Contact
	Saved      bool
}

// DomainLogin says whether the page belongs to the domain login, whose
// header shows nothing of a customer's session.
func (p *page) DomainLogin() bool {
	switch p.Data.(type) {
	case domainSignInView, domainLoginView:
		return true
	}
	return false
}

// DomainSession is the domain page's domain name, for its sign-out
// button; "" on other pages.
func (p *page) DomainSession() string {
	if v, ok := p.Data.(domainLoginView); ok {
		return v.DomainName
	}
	return ""
}

// domainSignIn is the sign-in page; a signed-in domain login goes to its
// domain.
func (s *Server) domainSignIn(w http.ResponseWriter, r *http.Request) {
	if d, ok := s.domainSessionOf(r); ok {
		http.Redirect(w, r, "/domain/"+url.PathEscape(d.Credential), http.StatusSeeOther)
		return
	}
	s.showDomainSignIn(w, r, http.StatusOK, newForm(), domainSignInView{Ended: r.URL.Query().Has("ended")})
}

func (s *Server) showDomainSignIn(w http.ResponseWriter, r *http.Request, status int, f *form, view domainSignInView) {
	f.set("password") // never shown again
	s.render(w, r, status, "domain_signin", &page{Form: f, Data: view})
}

// domainSignInFailed is the one answer to every failed sign-in: unknown
// domain, wrong password, too many attempts.
func (s *Server) domainSignInFailed(w http.ResponseWriter, r *http.Request, f *form) {
	s.showDomainSignIn(w, r, http.StatusUnauthorized, f, domainSignInView{Failed: true})
}

// domainSignInSubmit checks a domain name and password (W7).
func (s *Server) domainSignInSubmit(w http.ResponseWriter, r *http.Request) {
	f, err := readForm(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := s.domainLogins
	name := normalizeDomainName(f.Get("domain"))
	f.set("domain", name)
	password := f.Get("password")
	attempt := domainAttempt{domain: limiterKey(name), address: s.clientKey(r)}
	log := s.log.WithValues("domain", name, "client", attempt.address)

	if ok, domainUntil, addressUntil := d.begin(attempt); !ok {
		d.signIns.WithLabelValues("refused").Inc()
		log.Info("domain sign-in refused: too many failed attempts", "domainLockedUntil", domainUntil, "addressLockedUntil", addressUntil)
		s.domainSignInFailed(w, r, f)
		return
	}
	failed := false
	defer func() { d.end(attempt, failed, log) }()

	var credential *clientareav1alpha1.DomainCredential
	if plausibleDomainName(name) {
		credential, err = d.credentials.get(r.Context(), name)
		if err != nil && !apierrors.IsNotFound(err) {
			// The API server did not answer: that is no failed attempt.
			s.fail(w, r, err)
			return
		}
	}
	hash := dummyHash()
	if credential != nil {
		hash = credential.Spec.PasswordHash
	}
	ok := s.verifyDomainPassword(r.Context(), password, hash)
	if !ok || credential == nil || len(password) > maxDomainPassword || name == "" {
		failed = true
		d.signIns.WithLabelValues("failure").Inc()
		s.domainSignInFailed(w, r, f)
		return
	}
	s.startDomainSession(w, r, credential, log)
}

// domainAttempt is one sign-in attempt's keys in the two limiters.
type domainAttempt struct{ domain, address string }

// implausibleDomainKey counts every attempt with a name that no Domain can
// have under one key: the limiter's keys stay short however long the names
// typed.
const implausibleDomainKey = "(not a domain name)"

// limiterKey is the key a domain name is limited under.
func limiterKey(name string) string {
	if plausibleDomainName(name) {
		return name
	}
	return implausibleDomainKey
}

// begin reserves an attempt against both the domain name and the client
// address; when either refuses it, neither keeps it.
func (d *domainLogin) begin(a domainAttempt) (ok bool, domainUntil, addressUntil time.Time) {
	domainOK, domainUntil := d.byDomain.begin(a.domain)
	addressOK, addressUntil := d.byAddress.begin(a.address)
	if domainOK && addressOK {
		return true, domainUntil, addressUntil
	}
	if domainOK {
		d.byDomain.end(a.domain, false)
	}
	if addressOK {
		d.byAddress.end(a.address, false)
	}
	return false, domainUntil, addressUntil
}

// end ends an attempt that begin reserved; a failure is counted against
// the domain and the client address, and a lock-out either brings is
// logged.
func (d *domainLogin) end(a domainAttempt, failed bool, log logr.Logger) {
	if locked, until := d.byDomain.end(a.domain, failed); locked {
		d.lockouts.WithLabelValues("domain").Inc()
		log.Info("domain sign-in locked out for the domain", "until", until)
	}
	if locked, until := d.byAddress.end(a.address, failed); locked {
		d.lockouts.WithLabelValues("address").Inc()
		log.Info("domain sign-in locked out for the client address", "until", until)
	}
}

// startDomainSession signs the domain login in: a new session (a new id,
// the old one ended) that keeps when the password was set, so that a new
// password ends it.
func (s *Server) startDomainSession(w http.ResponseWriter, r *http.Request, credential *clientareav1alpha1.DomainCredential, log logr.Logger) {
	d := s.domainLogins
	d.signIns.WithLabelValues("success").Inc()
	var oldID string
	if cookie, err := r.Cookie(domainSessionCookie); err == nil {
		oldID = cookie.Value
	}
	sess := d.sessions.create(oldID, domainSession{
		Credential: credential.Name, Namespace: credential.Spec.Namespace, Domain: credential.Spec.Domain,
		DomainUID: credential.Spec.DomainUID, ServiceAccount: credential.Spec.ServiceAccount,
		PasswordSetAt: credential.Spec.PasswordSetAt.Time,
	})
	log.Info("domain login signed in")
	setDomainSessionCookie(w, sess.ID)
	http.Redirect(w, r, "/domain/"+url.PathEscape(sess.Credential), http.StatusSeeOther)
}

// verifyDomainPassword checks a password against a hash, with at most as
// many checks at once as CPUs; a malformed hash matches nothing.
func (s *Server) verifyDomainPassword(ctx context.Context, password, hash string) bool {
	if len(password) > maxDomainPassword {
		password = password[:maxDomainPassword]
	}
	ok, err := s.domainLogins.hasher.Verify(ctx, password, hash)
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		s.log.Error(err, "a domain credential's hash")
		return false
	}
	return ok
}

// domainSessionOf is the request's live domain session, without checking
// its credential.
func (s *Server) domainSessionOf(r *http.Request) (domainSession, bool) {
	cookie, err := r.Cookie(domainSessionCookie)
	if err != nil || cookie.Value == "" {
		return domainSession{}, false
	}
	return s.domainLogins.sessions.get(cookie.Value)
}

// domainRequest is a request of a signed-in domain login, acting as its
// ServiceAccount.
type domainRequest struct {
	s    *Server
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	sess domainSession
}

// inDomain serves a page of the domain login: a live domain session whose
// credential still exists with the password it signed in with (else it
// ends at once, W7), for the domain name of the address (else 404).
func (s *Server) inDomain(h func(*domainRequest)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.domainSessionOf(r)
		if !ok {
			clearDomainSessionCookie(w)
			http.Redirect(w, r, "/domain", http.StatusSeeOther)
			return
		}
		credential, err := s.domainLogins.credentials.get(r.Context(), sess.Credential)
		if err != nil && !apierrors.IsNotFound(err) {
			s.fail(w, r, err)
			return
		}
		if credential == nil || !credential.Spec.PasswordSetAt.Time.Equal(sess.PasswordSetAt) ||
			credential.Spec.DomainUID != sess.DomainUID || credential.Spec.ServiceAccount != sess.ServiceAccount ||
			credential.Spec.Namespace != sess.Namespace {
			s.domainLogins.sessions.delete(sess.ID)
			clearDomainSessionCookie(w)
			s.log.Info("domain session ended: the domain's password changed or its login is gone", "domain", sess.Credential)
			http.Redirect(w, r, "/domain?ended", http.StatusSeeOther)
			return
		}
		if normalizeDomainName(r.PathValue("domainName")) != sess.Credential {
			s.renderError(w, r, http.StatusNotFound, "err_not_found")
			return
		}
		ctx := WithUser(r.Context(), sess.user())
		h(&domainRequest{s: s, w: w, r: r.WithContext(ctx), ctx: ctx, sess: sess})
	})
}

// domainPage is the domain: state, expiry, holder, name servers (D5).
func (s *Server) domainPage(req *domainRequest) {
	domain, ok := req.domain()
	if !ok {
		return
	}
	s.showDomainPage(req, http.StatusOK, domain, domainForm(domain), nil)
}

func (s *Server) showDomainPage(req *domainRequest, status int, domain *clientareav1alpha1.Domain, f *form, errs []fieldError) {
	view := domainLoginView{DomainName: req.sess.Credential, Domain: domain, Saved: req.r.URL.Query().Has("saved")}
	holder := &clientareav1alpha1.Contact{}
	// The login may read its holder; anything else is shown as nothing.
	if err := s.kube.Get(req.ctx, client.ObjectKey{Namespace: domain.Namespace, Name: string(domain.Spec.HolderRef.Name)}, holder); err == nil {
		view.Holder = holder
	}
	s.render(req.w, req.r, status, "domain_login", &page{Title: req.sess.Credential, Form: f, Errors: errs, Data: view})
}

// domain reads the session's Domain as its login; it must still be the
// Domain the credential belongs to.
func (req *domainRequest) domain() (*clientareav1alpha1.Domain, bool) {
	domain := &clientareav1alpha1.Domain{}
	err := req.s.kube.Get(req.ctx, client.ObjectKey{Namespace: req.sess.Namespace, Name: req.sess.Domain}, domain)
	if err == nil && string(domain.UID) != req.sess.DomainUID {
		err = apierrors.NewNotFound(clientareav1alpha1.GroupVersion.WithResource("domains").GroupResource(), req.sess.Domain)
	}
	if err != nil {
		req.s.fail(req.w, req.r, err)
		return nil, false
	}
	return domain, true
}

// updateDomainLogin saves the name servers, the one thing a domain login
// changes (D7), on the Domain as just read.
func (s *Server) updateDomainLogin(req *domainRequest) {
	f, err := readForm(req.w, req.r)
	if err != nil {
		s.fail(req.w, req.r, err)
		return
	}
	domain, ok := req.domain()
	if !ok {
		return
	}
	path := "/domain/" + url.PathEscape(req.sess.Credential)
	if !unchangedSince(f, domain) {
		s.showDomainPage(req, http.StatusConflict, domain, domainForm(domain), formError(languageFrom(req.ctx), "err_changed_meanwhile"))
		return
	}
	err = updateSpec(req.ctx, s.kube, domain, func() { domain.Spec.NameServers = nameServers(f) })
	if errs, ok := formErrors(err, domainFields); ok {
		s.showDomainPage(req, http.StatusUnprocessableEntity, domain, f, errs)
		return
	}
	if apierrors.IsConflict(err) {
		http.Redirect(req.w, req.r, path, http.StatusSeeOther)
		return
	}
	if err != nil {
		s.fail(req.w, req.r, err)
		return
	}
	http.Redirect(req.w, req.r, path+"?saved", http.StatusSeeOther)
}

// domainSignOut ends the domain session.
func (s *Server) domainSignOut(w http.ResponseWriter, r *http.Request) {
	if cookie, err := r.Cookie(domainSessionCookie); err == nil {
		s.domainLogins.sessions.delete(cookie.Value)
	}
	clearDomainSessionCookie(w)
	http.Redirect(w, r, "/domain", http.StatusSeeOther)
}
