package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

var domainCredentialsRBAC sync.Once

// domainLoginServer is a client area on the cluster whose domain login
// reads DomainCredentials as the front end's ServiceAccount, with the
// ClusterRole config/web grants it for that.
func (c *cluster) domainLoginServer(t *testing.T, clk clock.PassiveClock) *Server {
	t.Helper()
	var err error
	domainCredentialsRBAC.Do(func() {
		for _, file := range []string{"web/domain_credentials_role.yaml", "web/domain_credentials_role_binding.yaml"} {
			if err = testenv.ApplyFile(context.Background(), c.admin, filepath.Join(testenv.RepoRoot(), "config", file)); err != nil {
				break
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := testServer(t, c.kube, clk)
	if s.domainLogins.credentials, err = newCredentialReader(c.web); err != nil {
		t.Fatal(err)
	}
	return s
}

// domainFixture is an account with two domains of different holders.
type domainFixture struct {
	account, ns, owner, ownerAddress string
	mine, other                      string // domain names
	holder, otherHolder              string // contact names
}

func (c *cluster) domainFixture(t *testing.T) *domainFixture {
	t.Helper()
	ctx := context.Background()
	f := &domainFixture{}
	f.owner, f.ownerAddress = c.newCustomer(t, "agency")
	f.account, f.ns = c.newAccount(t, f.owner, "Werbeagentur XYZ")
	for _, contact := range []struct {
		name *string
		who  string
	}{{&f.holder, "Max Mustermann"}, {&f.otherHolder, "Erika Other"}} {
		*contact.name = unique("contact")
		obj := &clientareav1alpha1.Contact{
			ObjectMeta: metav1.ObjectMeta{Name: *contact.name, Namespace: f.ns},
			Spec: clientareav1alpha1.ContactDetails{Name: contact.who, Street: []string{"Musterstraße 1"}, PostalCode: "10115",
				City: "Musterstadt", CountryCode: "DE", Email: "max@mustermann.example"},
		}
		if err := c.admin.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	f.mine, f.other = unique("mustermann")+".de", unique("other")+".de"
	for name, holder := range map[string]string{f.mine: f.holder, f.other: f.otherHolder} {
		domain := &clientareav1alpha1.Domain{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: f.ns},
			Spec: clientareav1alpha1.DomainSpec{
				DomainName: clientareav1alpha1.DomainName(name), HolderRef: clientareav1alpha1.LocalObjectReference{Name: clientareav1alpha1.ObjectName(holder)},
				NameServers: []clientareav1alpha1.DomainName{"ns1.example.com", "ns2.example.com"}, PeriodYears: 1, AutoRenew: ptr.To(true),
			},
		}
		if err := c.admin.Create(ctx, domain); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{f.mine, f.other} {
		c.domainPassword(t, f.ns, name)
	}
	return f
}

// domainPassword waits for the domain's login and reads its password as an
// administrator.
func (c *cluster) domainPassword(t *testing.T, ns, name string) string {
	t.Helper()
	var password string
	eventually(t, "the domain login of "+name, func() error {
		domain := &clientareav1alpha1.Domain{}
		if err := c.admin.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, domain); err != nil {
			return err
		}
		if domain.Status.AuthCodeSecret == "" || domain.Status.LoginServiceAccount == "" ||
			domain.Status.LoginPasswordGeneration < domain.Spec.LoginPasswordGeneration {
			return fmt.Errorf("no login yet: %+v", domain.Status)
		}
		credential := &clientareav1alpha1.DomainCredential{}
		if err := c.admin.Get(context.Background(), client.ObjectKey{Name: clientareav1alpha1.DomainCredentialName(name)}, credential); err != nil {
			return err
		}
		secret := &corev1.Secret{}
		if err := c.admin.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: domain.Status.AuthCodeSecret}, secret); err != nil {
			return err
		}
		password = string(secret.Data[authCodeKey])
		if password == "" {
			return fmt.Errorf("no password in the Secret")
		}
		return nil
	})
	return password
}

// signInFrom submits the domain sign-in form from a client address.
func (b *browser) signInFrom(remoteAddr string, form url.Values) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, testURL+"/domain", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.RemoteAddr = remoteAddr
	return b.do(r)
}

func signInForm(domain, password string) url.Values {
	return url.Values{"domain": {domain}, "password": {password}}
}

// D5, W7: Herr Mustermann signs in with his domain's name and password,
// sees that one domain and its holder, changes its name servers, and
// reaches nothing else; a new password ends his session at once.
func TestDomainLogin(t *testing.T) {
	c := needCluster(t)
	s := c.domainLoginServer(t, nil)
	f := c.domainFixture(t)
	password := c.domainPassword(t, f.ns, f.mine)
	b := newBrowser(t, s)

	expect(t, "the start page", b.get("/"), http.StatusOK, `id="domain-sign-in"`, `href="/domain"`)
	expect(t, "the sign-in page", b.get("/domain"), http.StatusOK, `id="domain-signin-form"`, `name="domain"`, `name="password"`)

	// W7: one answer for every failure.
	wrong := b.post("/domain", signInForm(f.mine, password+"x"))
	unknown := b.post("/domain", signInForm("unknown-"+f.mine, password))
	expect(t, "a wrong password", wrong, http.StatusUnauthorized, `id="domain-signin-failed"`)
	expect(t, "an unknown domain", unknown, http.StatusUnauthorized, `id="domain-signin-failed"`)
	if strings.ReplaceAll(wrong.Body.String(), f.mine, "") != strings.ReplaceAll(unknown.Body.String(), "unknown-"+f.mine, "") {
		t.Errorf("a wrong password and an unknown domain give different pages:\n%s\n----\n%s", wrong.Body.String(), unknown.Body.String())
	}
	if b.cookies[domainSessionCookie] != "" {
		t.Fatal("a failed sign-in set a domain session")
	}

	page := "/domain/" + f.mine
	expectRedirect(t, "the sign-in", b.post("/domain", signInForm("  "+strings.ToUpper(f.mine)+". ", password)), page)
	if b.cookies[domainSessionCookie] == "" || b.cookies[sessionCookie] != "" {
		t.Fatalf("after the sign-in the cookies are %v", b.cookies)
	}
	expectRedirect(t, "the sign-in page when signed in", b.get("/domain"), page)
	domainPage := b.get(page)
	expect(t, "the domain page", domainPage, http.StatusOK, f.mine, "Max Mustermann", "Musterstraße 1", "10115 Musterstadt",
		`id="nameservers-form"`, `name="nameServer"`, "ns1.example.com", `id="domain-sign-out"`, `id="domain-state"`)
	expectNot(t, "the domain page", domainPage, `id="switch-account"`, `id="user-menu"`, `id="nav-`, "Erika Other", f.other, f.account)

	generation := regexp.MustCompile(`name="generation" value="([0-9]+)"`).FindStringSubmatch(domainPage.Body.String())
	if generation == nil {
		t.Fatal("no generation in the form")
	}
	expect(t, "D1: one name server", b.post(page, url.Values{"generation": {generation[1]}, "nameServer": {"ns1.example.net", ""}}),
		http.StatusUnprocessableEntity, "Name servers")
	expectRedirect(t, "the name servers", b.post(page, url.Values{"generation": {generation[1]}, "nameServer": {"NS1.mustermann.example", "ns2.mustermann.example", ""}}), page+"?saved")
	domain := &clientareav1alpha1.Domain{}
	if err := c.admin.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: f.mine}, domain); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(domain.Spec.NameServers); got != "[ns1.mustermann.example ns2.mustermann.example]" {
		t.Errorf("the name servers are %s", got)
	}
	expect(t, "the saved page", b.get(page+"?saved"), http.StatusOK, "ns2.mustermann.example", "saved")

	// D5: nothing else, by link or by hand.
	expect(t, "another domain by URL", b.get("/domain/"+f.other), http.StatusNotFound)
	expect(t, "another domain's form by hand", b.post("/domain/"+f.other, url.Values{"nameServer": {"ns1.evil.example", "ns2.evil.example"}}), http.StatusNotFound)
	for _, path := range []string{"/a/" + f.account + "/invoices", "/a/" + f.account + "/contacts/" + f.otherHolder, "/a/" + f.account + "/members", "/accounts"} {
		if w := b.get(path); w.Code == http.StatusOK {
			t.Errorf("the domain session reaches %s", path)
		}
	}
	login := &clientareav1alpha1.Domain{}
	if err := c.admin.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: f.mine}, login); err != nil {
		t.Fatal(err)
	}
	asLogin := WithUser(context.Background(), "system:serviceaccount:"+f.ns+":"+login.Status.LoginServiceAccount)
	for what, err := range map[string]error{
		"another domain":  c.kube.Get(asLogin, client.ObjectKey{Namespace: f.ns, Name: f.other}, &clientareav1alpha1.Domain{}),
		"another contact": c.kube.Get(asLogin, client.ObjectKey{Namespace: f.ns, Name: f.otherHolder}, &clientareav1alpha1.Contact{}),
		"the invoices":    c.kube.List(asLogin, &clientareav1alpha1.InvoiceList{}, client.InNamespace(f.ns)),
		"the members":     c.kube.List(asLogin, &clientareav1alpha1.MembershipList{}, client.InNamespace(f.ns)),
		"its Secret":      c.kube.Get(asLogin, client.ObjectKey{Namespace: f.ns, Name: login.Status.AuthCodeSecret}, &corev1.Secret{}),
	} {
		if !apierrors.IsForbidden(err) {
			t.Errorf("the domain login reading %s: %v, want forbidden", what, err)
		}
	}
	// The front end itself reads no Secret of an account namespace.
	if own, err := newCredentialReader(c.web); err != nil {
		t.Fatal(err)
	} else if err := own.c.Get(context.Background(), client.ObjectKey{Namespace: f.ns, Name: login.Status.AuthCodeSecret}, &corev1.Secret{}); err == nil {
		t.Error("the front end's own identity read an auth-code Secret")
	}

	// W7: a new password ends the open session on its next request.
	before := &clientareav1alpha1.DomainCredential{}
	if err := c.admin.Get(context.Background(), client.ObjectKey{Name: f.mine}, before); err != nil {
		t.Fatal(err)
	}
	c.waitForAccounts(t, f.owner, f.account)
	owner := signedIn(t, s, f.ownerAddress)
	detail := "/a/" + f.account + "/domains/" + f.mine
	expect(t, "the owner's domain page", owner.get(detail), http.StatusOK, `id="new-domain-password"`)
	expectRedirect(t, "the owner sets a new password", owner.post(detail+"/password", nil), detail)
	expect(t, "the owner's domain page after", owner.get(detail), http.StatusOK, "A new password is being set")
	eventually(t, "the new password's credential", func() error {
		after := &clientareav1alpha1.DomainCredential{}
		if err := c.admin.Get(context.Background(), client.ObjectKey{Name: f.mine}, after); err != nil {
			return err
		}
		if after.Spec.PasswordSetAt.Equal(&before.Spec.PasswordSetAt) {
			return fmt.Errorf("passwordSetAt unchanged")
		}
		return nil
	})
	expectRedirect(t, "the session after a new password", b.get(page), "/domain?ended")
	if b.cookies[domainSessionCookie] != "" {
		t.Error("the ended session's cookie is not cleared")
	}
	expect(t, "the sign-in page after the end", b.get("/domain?ended"), http.StatusOK, `id="domain-session-ended"`)
	expect(t, "the old password", b.post("/domain", signInForm(f.mine, password)), http.StatusUnauthorized, `id="domain-signin-failed"`)
	newPassword := c.domainPassword(t, f.ns, f.mine)
	expectRedirect(t, "the new password", b.post("/domain", signInForm(f.mine, newPassword)), page)
	expectRedirect(t, "the sign-out", b.post("/domain/logout", nil), "/domain")
	expectRedirect(t, "the page after the sign-out", b.get(page), "/domain")
}

// W7: ten failed sign-ins a minute for a domain, and from an address; the
// eleventh is refused even with the right password, with the same answer;
// the lock-outs are counted.
func TestDomainLoginRateLimit(t *testing.T) {
	c := needCluster(t)
	clk := clocktesting.NewFakeClock(time.Now())
	s := c.domainLoginServer(t, clk)
	f := c.domainFixture(t)
	password := c.domainPassword(t, f.ns, f.mine)
	b := newBrowser(t, s)

	// Ten failures for the domain, each from another address.
	for i := range attemptLimit {
		expect(t, "a wrong password", b.signInFrom(fmt.Sprintf("192.0.2.%d:1234", i+1), signInForm(f.mine, "wrong")), http.StatusUnauthorized)
	}
	refused := b.signInFrom("198.51.100.1:1234", signInForm(f.mine, password))
	expect(t, "the 11th attempt for the domain, with the right password", refused, http.StatusUnauthorized, `id="domain-signin-failed"`)
	if b.cookies[domainSessionCookie] != "" {
		t.Fatal("a refused attempt signed in")
	}
	// Another domain is not locked out by them.
	otherPassword := c.domainPassword(t, f.ns, f.other)
	expectRedirect(t, "another domain", b.signInFrom("198.51.100.1:1234", signInForm(f.other, otherPassword)), "/domain/"+f.other)

	// Ten failures from one address, for unknown domains.
	for i := range attemptLimit {
		expect(t, "an unknown domain", b.signInFrom("203.0.113.7:1", signInForm(fmt.Sprintf("nothing-%d.de", i), "wrong")), http.StatusUnauthorized)
	}
	expect(t, "the 11th attempt from the address", b.signInFrom("203.0.113.7:2", signInForm(f.other, otherPassword)), http.StatusUnauthorized)

	// A minute later both may try again.
	clk.Step(attemptLockout + time.Second)
	expectRedirect(t, "the domain after its lock-out", b.signInFrom("198.51.100.2:1234", signInForm(f.mine, password)), "/domain/"+f.mine)
	expectRedirect(t, "the address after its lock-out", b.signInFrom("203.0.113.7:3", signInForm(f.other, otherPassword)), "/domain/"+f.other)

	metrics := httptest.NewRecorder()
	s.Metrics().ServeHTTP(metrics, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`clientarea_web_domain_sign_ins_total{result="refused"} 2`,
		`clientarea_web_domain_sign_ins_total{result="failure"} 20`,
		`clientarea_web_domain_sign_ins_total{result="success"} 3`,
		`clientarea_web_domain_sign_in_lockouts_total{scope="domain"} 1`,
		`clientarea_web_domain_sign_in_lockouts_total{scope="address"} 1`,
	} {
		if !strings.Contains(metrics.Body.String(), want) {
			t.Errorf("the metrics lack %q:\n%s", want, metrics.Body.String())
		}
	}
}
