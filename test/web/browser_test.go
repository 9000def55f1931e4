package web_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

// sessionCookie is the client area's session cookie.
const sessionCookie = "__Host-session"

// browser is one person's browser: a browser context of its own in the one
// Chromium process, so its own cookies.
type browser struct {
	name string
	ctx  context.Context
}

// actionTimeout bounds each browser step: a missing element fails the step
// after this long, naming the element.
const actionTimeout = 15 * time.Second

func newBrowser(name string) *browser {
	GinkgoHelper()
	// It lives as long as the suite's browser (a DeferCleanup here would
	// close it at the end of the step that opens it).
	ctx, _ := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext()) //nolint:govet // closed with browserCtx
	// The first run opens the tab and binds it to the context it gets:
	// one without a timeout.
	Expect(chromedp.Do(ctx)).To(Succeed(), "opening %s's browser", name)
	b := &browser{name: name, ctx: ctx}
	b.do(chromedp.EmulateViewport(1280, 860))
	return b
}

// do runs actions, each step bounded by actionTimeout.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	Expect(chromedp.Do(ctx, actions...)).To(Succeed(), "%s's browser at %s", b.name, b.location())
}

// navigateBy runs actions that cause a navigation (a click on a link, a
// form's submit button), waits until the new page has loaded and returns
// its status code.
func (b *browser) navigateBy(actions ...chromedp.Action[chromedp.Void]) int {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	Expect(err).NotTo(HaveOccurred(), "%s's browser at %s", b.name, b.location())
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// open goes to a path of the client area, or to a full URL, and returns
// the page's status code.
func (b *browser) open(target string) int {
	GinkgoHelper()
	if strings.HasPrefix(target, "/") {
		target = area.URL + target
	}
	return b.navigateBy(chromedp.Navigate(target))
}

// click clicks the element with the given CSS selector, waits for the page
// it leads to, and expects that page to be no error.
func (b *browser) click(selector string) {
	GinkgoHelper()
	status := b.navigateBy(chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
	Expect(status).To(BeNumerically("<", 400), "%s's browser: clicking %s led to %s with status %d:\n%s",
		b.name, selector, b.location(), status, b.pageText())
}

// pageText is the text of the page, for failure messages.
func (b *browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return text
}

// text is the text of the first element the selector matches, once it is there.
func (b *browser) text(selector string) string {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector), chromedp.NodeVisible))
	Expect(err).NotTo(HaveOccurred(), "%s's browser at %s: no visible %s", b.name, b.location(), selector)
	return text
}

// has tells whether the page has an element that the selector matches.
func (b *browser) has(selector string) bool {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	found, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%q) !== null", selector)))
	Expect(err).NotTo(HaveOccurred())
	return found
}

// setValue sets the value of a form field (input, select, textarea).
func (b *browser) setValue(selector, value string) {
	GinkgoHelper()
	b.do(chromedp.SetValue(chromedp.CSS(selector), value, chromedp.NodeReady))
}

// check ticks a checkbox, unless it is ticked.
func (b *browser) check(selector string) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	checked, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[bool](chromedp.CSS(selector), "checked", chromedp.NodeReady))
	Expect(err).NotTo(HaveOccurred(), "%s's browser at %s: no %s", b.name, b.location(), selector)
	if !checked {
		b.do(chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
	}
}

// submit clicks the submit button of a form and waits for the page that
// the post/redirect/get leads to.
func (b *browser) submit(form string) {
	GinkgoHelper()
	b.click(fmt.Sprintf("%[1]s button[type=submit], %[1]s input[type=submit], %[1]s button:not([type])", form))
}

// location is the page's URL.
func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return location
}

// path is the page's path, when it is the client area's.
func (b *browser) path() string {
	GinkgoHelper()
	u, err := url.Parse(b.location())
	Expect(err).NotTo(HaveOccurred())
	return u.Path
}

// session is the browser's session cookie for the client area.
func (b *browser) session() (*network.Cookie, bool) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{area.URL + "/"}})
	Expect(err).NotTo(HaveOccurred())
	for _, c := range res.Cookies {
		if c.Name == sessionCookie {
			return c, true
		}
	}
	return nil, false
}

// screenshots numbers the screenshots in the order they are taken.
var screenshots atomic.Int32

// forReadme are the screenshots that the README shows (docs/screenshots/).
var forReadme = map[string]bool{
	"dev-login": true, "account-picker": true, "members-invited": true, "domains": true, "invoice": true, "bernd-invoices": true,
}

// shot keeps a PNG screenshot of the page (the viewport) as
// <artifacts>/<nn>-<name>.png.
func (b *browser) shot(name string) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	Expect(err).NotTo(HaveOccurred())
	file := filepath.Join(artifacts, fmt.Sprintf("%02d-%s.png", screenshots.Add(1), name))
	Expect(os.WriteFile(file, png, 0o644)).To(Succeed())
	GinkgoWriter.Printf("screenshot %s (%s)\n", file, b.location())
	if forReadme[name] && os.Getenv("UPDATE_SCREENSHOTS") != "" {
		docs := filepath.Join(testenv.RepoRoot(), "docs", "screenshots")
		Expect(os.MkdirAll(docs, 0o755)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(docs, name+".png"), png, 0o644)).To(Succeed())
	}
}

// setValues sets the values of the fields that the selector matches (a
// repeated field), the first ones, in order.
func (b *browser) setValues(selector string, values ...string) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(selector), chromedp.NodeReady, chromedp.AtLeast(len(values))))
	Expect(err).NotTo(HaveOccurred(), "%s's browser at %s: fewer than %d of %s", b.name, b.location(), len(values), selector)
	for i, value := range values {
		b.do(chromedp.SetValue(chromedp.NodeIDs{nodes[i].NodeID}, value))
	}
}

// openMenuOf opens the menu that holds an element, when it is in one that
// is closed (a <details> element, such as the menu behind the user's name).
func (b *browser) openMenuOf(selector string) {
	GinkgoHelper()
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		const menu = el && el.closest("details");
		if (menu && !menu.open) { menu.querySelector("summary").click(); }
	})()`, selector)))
}

// handMade sends a request of the person's own, outside the browser, with
// the browser's session cookie (as a person would with curl), and returns
// the answer's status and body.
func (b *browser) handMade(method, path string, form url.Values) (int, string) {
	GinkgoHelper()
	session, ok := b.session()
	Expect(ok).To(BeTrue(), "%s has no %s cookie", b.name, sessionCookie)
	return b.handMadeWithCookie(session.Value, method, path, form)
}

// handMadeWithCookie is handMade with a given session cookie.
func (b *browser) handMadeWithCookie(session, method, path string, form url.Values) (int, string) {
	GinkgoHelper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, area.URL+path, body)
	Expect(err).NotTo(HaveOccurred())
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: session})
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := &http.Client{
		Timeout:       actionTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(data)
}

// The domain login (D5, D7, W7): Herr Mustermann holds a domain that an
// agency pays for; he signs in with the domain name and its password, not
// as a customer, and reaches that one domain only.
var _ = Describe("The domain login in a browser", Ordered, func() {
	const (
		// A web agency of its own, so that the story's accounts and
		// domains are not touched (the containers run in any order).
		owner, ownerEmail = "doris", "doris@webagentur-nord.example"
		account           = "webagentur-nord"
		namespace         = namespacePrefix + account
		// his domain, and another domain of the same account
		domainName, otherName   = "max-mustermann.de", "webagentur-nord.de"
		holderName, otherHolder = "Max Mustermann", "Webagentur Nord Inhaberin"
	)
	var (
		mustermann *browser
		password   string
		// domainCookie is his domain session's id, once signed in.
		domainCookie string
	)

	BeforeAll(func() {
		By("the platform creates the agency's owner and account; the agency registers two domains")
		Expect(admin.Create(ctx, &clientareav1alpha1.User{
			ObjectMeta: metav1.ObjectMeta{Name: owner},
			Spec:       clientareav1alpha1.UserSpec{Email: ownerEmail, DisplayName: "Doris Nord"},
		})).To(Succeed())
		Expect(admin.Create(ctx, &clientareav1alpha1.Account{
			ObjectMeta: metav1.ObjectMeta{Name: account},
			Spec: clientareav1alpha1.AccountSpec{Owner: owner, Type: clientareav1alpha1.AccountTypeCompany, DisplayName: "Webagentur Nord GmbH",
				Contact: clientareav1alpha1.ContactDetails{
					Name: "Doris Nord", Organisation: "Webagentur Nord GmbH", Street: []string{"Hafenstraße 2"}, City: "Hamburg",
					PostalCode: "20457", CountryCode: "DE", Email: ownerEmail, Phone: "+49.4012345678",
				}},
		})).To(Succeed())
		eventually(func(g Gomega) {
			g.Expect(admin.Get(ctx, client.ObjectKey{Name: namespace}, &corev1.Namespace{})).To(Succeed())
		}).Should(Succeed(), "A2: the account's namespace")
		for _, d := range []struct{ domain, contact, holder string }{
			{domainName, "mustermann-holder", holderName},
			{otherName, "agency-holder", otherHolder},
		} {
			Expect(admin.Create(ctx, &clientareav1alpha1.Contact{
				ObjectMeta: metav1.ObjectMeta{Name: d.contact, Namespace: namespace},
				Spec: clientareav1alpha1.ContactDetails{
					Name: d.holder, Street: []string{"Musterweg 5"}, City: "Köln", PostalCode: "50667", CountryCode: "DE",
					Email: clientareav1alpha1.EmailAddress("holder@" + d.domain), Phone: "+49.2211234567",
				},
			})).To(Succeed())
			Expect(admin.Create(ctx, &clientareav1alpha1.Domain{
				ObjectMeta: metav1.ObjectMeta{Name: d.domain, Namespace: namespace},
				Spec: clientareav1alpha1.DomainSpec{
					HolderRef: clientareav1alpha1.LocalObjectReference{Name: clientareav1alpha1.ObjectName(d.contact)}, PeriodYears: 1,
					NameServers: []clientareav1alpha1.DomainName{"ns1.webagentur-nord.example", "ns2.webagentur-nord.example"},
				},
			})).To(Succeed())
		}
		for _, name := range []string{domainName, otherName} {
			eventually(func(g Gomega) {
				g.Expect(loginPassword(g, namespace, name)).NotTo(BeEmpty())
			}).Should(Succeed(), "D5: %s is registered and has its domain login", name)
		}
		password = loginPassword(Default, namespace, domainName)
	})

	It("D5, W7: Herr Mustermann follows the start page's link, signs in with his domain name and its password, and sees his domain without a customer's header", func() {
		mustermann = newBrowser("Herr Mustermann")
		mustermann.open("/")
		mustermann.click("#domain-sign-in")
		Expect(mustermann.path()).To(Equal("/domain"))
		mustermann.shot("domain-signin")

		mustermann.setValue("#domain", domainName)
		mustermann.setValue("#password", password)
		mustermann.submit("#domain-signin-form")
		Expect(mustermann.path()).To(Equal("/domain/"+domainName), "D5: his domain's page")
		Expect(mustermann.text("#domain-name")).To(Equal(domainName))
		Expect(mustermann.text("#domain-state")).To(Equal("Active"))
		Expect(mustermann.text("#domain-holder")).To(ContainSubstring(holderName), "D5: he reads his holder record")
		for _, hidden := range []string{"#account", "#switch-account", "#user-menu", "#sign-out", "#nav-domains", "#nav-contacts", "#nav-invoices", "#nav-members"} {
			Expect(mustermann.has(hidden)).To(BeFalse(), "D5: no %s for a domain login", hidden)
		}
		Expect(mustermann.has("#domain-sign-out")).To(BeTrue())
		Expect(mustermann.has(`a[href*="`+otherName+`"]`)).To(BeFalse(), "D5: no link to another domain")
		Expect(mustermann.pageText()).NotTo(ContainSubstring(otherHolder))
		mustermann.shot("domain-login")

		cookie, ok := mustermann.cookie(domainSessionCookie)
		Expect(ok).To(BeTrue(), "a domain session cookie after sign-in")
		Expect(cookie.HTTPOnly).To(BeTrue())
		Expect(cookie.Secure).To(BeTrue())
		Expect(cookie.SameSite).To(Equal(network.CookieSameSiteStrict))
		domainCookie = cookie.Value
		_, customer := mustermann.session()
		Expect(customer).To(BeFalse(), "D5: no customer session")
	})

	It("D7: Herr Mustermann changes the name servers", func() {
		mustermann.setValues("#nameservers-form [name=nameServer]", "ns1.mustermann-hosting.example", "ns2.mustermann-hosting.example")
		mustermann.shot("domain-login-nameservers")
		mustermann.submit("#nameservers-form")
		Expect(mustermann.path()).To(Equal("/domain/" + domainName))
		domain := &clientareav1alpha1.Domain{}
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: domainName}, domain)).To(Succeed())
		Expect(domain.Spec.NameServers).To(Equal([]clientareav1alpha1.DomainName{"ns1.mustermann-hosting.example", "ns2.mustermann-hosting.example"}),
			"D7: saved as the domain login")
		mustermann.shot("domain-login-saved")
	})

	It("D5: in the browser he reaches no other domain of the account (404), nor its contacts, invoices or members", func() {
		Expect(mustermann.open("/domain/" + otherName)).To(Equal(http.StatusNotFound))
		Expect(mustermann.pageText()).NotTo(ContainSubstring(otherHolder))
		mustermann.shot("domain-login-other-domain")

		for _, page := range []string{"domains/" + otherName, "domains/" + domainName, "contacts", "invoices", "members", ""} {
			mustermann.open("/a/" + account + "/" + page)
			Expect(mustermann.location()).NotTo(HavePrefix(area.URL+"/a/"), "D5: /a/%s/%s is a customer's page, not his", account, page)
			Expect(mustermann.pageText()).NotTo(SatisfyAny(ContainSubstring(otherHolder), ContainSubstring(otherName)))
		}
		mustermann.shot("domain-login-customer-page")

		Expect(mustermann.open("/domain/"+domainName)).To(Equal(http.StatusOK), "his own domain stays open")
	})

	It("D5, W3: his hand-made requests with the domain session's cookie for another domain and the customer pages are refused, and so is his login's ServiceAccount by the API server", func() {
		for _, path := range []string{"/domain/" + otherName, "/domain/" + strings.ToUpper(otherName)} {
			status, body := domainHandMade(domainCookie, http.MethodGet, path, nil)
			Expect(status).To(Equal(http.StatusNotFound), "%s: %s", path, body)
			Expect(body).NotTo(ContainSubstring(otherHolder))
		}
		status, body := domainHandMade(domainCookie, http.MethodPost, "/domain/"+otherName,
			url.Values{"nameServer": {"ns1.mallory.example", "ns2.mallory.example"}})
		Expect(status).To(Equal(http.StatusNotFound), body)
		for _, page := range []string{"domains/" + otherName, "domains/" + domainName, "contacts", "contacts/agency-holder", "invoices", "members"} {
			status, body := domainHandMade(domainCookie, http.MethodGet, "/a/"+account+"/"+page, nil)
			Expect(status).NotTo(Equal(http.StatusOK), "/a/%s/%s with a domain session: %s", account, page, body)
			Expect(body).NotTo(SatisfyAny(ContainSubstring(otherHolder), ContainSubstring("ns1.webagentur-nord.example")))
		}
		status, body = domainHandMade(domainCookie, http.MethodPost, "/a/"+account+"/domains/"+otherName,
			url.Values{"nameServer": {"ns1.mallory.example", "ns2.mallory.example"}})
		Expect(status).NotTo(BeNumerically("<", 300), body)
		other := &clientareav1alpha1.Domain{}
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: otherName}, other)).To(Succeed())
		Expect(other.Spec.NameServers).To(Equal([]clientareav1alpha1.DomainName{"ns1.webagentur-nord.example", "ns2.webagentur-nord.example"}))

		By("the API server refuses the domain login's ServiceAccount everything but its domain and holder")
		domain := &clientareav1alpha1.Domain{}
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: domainName}, domain)).To(Succeed())
		Expect(domain.Status.LoginServiceAccount).NotTo(BeEmpty())
		login, err := client.New(env.ConfigAs("system:serviceaccount:"+namespace+":"+domain.Status.LoginServiceAccount,
			"system:serviceaccounts", "system:serviceaccounts:"+namespace), client.Options{Scheme: admin.Scheme()})
		Expect(err).NotTo(HaveOccurred())
		Expect(login.Get(ctx, client.ObjectKey{Namespace: namespace, Name: domainName}, &clientareav1alpha1.Domain{})).To(Succeed())
		Expect(login.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "mustermann-holder"}, &clientareav1alpha1.Contact{})).To(Succeed())
		for what, err := range map[string]error{
			"another domain":  login.Get(ctx, client.ObjectKey{Namespace: namespace, Name: otherName}, &clientareav1alpha1.Domain{}),
			"another contact": login.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "agency-holder"}, &clientareav1alpha1.Contact{}),
			"the domains":     login.List(ctx, &clientareav1alpha1.DomainList{}, client.InNamespace(namespace)),
			"the contacts":    login.List(ctx, &clientareav1alpha1.ContactList{}, client.InNamespace(namespace)),
			"the invoices":    login.List(ctx, &clientareav1alpha1.InvoiceList{}, client.InNamespace(namespace)),
			"the members":     login.List(ctx, &clientareav1alpha1.MembershipList{}, client.InNamespace(namespace)),
			"the auth code":   login.Get(ctx, client.ObjectKey{Namespace: namespace, Name: domain.Status.AuthCodeSecret}, &corev1.Secret{}),
		} {
			Expect(apierrors.IsForbidden(err)).To(BeTrue(), "D5: %s: %v", what, err)
		}
	})

	It("W7: a wrong password and an unknown domain give the same message", func() {
		visitor := newBrowser("a visitor")
		signInFailed := func(domain, password string) string {
			GinkgoHelper()
			visitor.open("/domain")
			visitor.setValue("#domain", domain)
			visitor.setValue("#password", password)
			status := visitor.navigateBy(chromedp.Click(chromedp.CSS("#domain-sign-in-submit"), chromedp.NodeVisible))
			Expect(status).To(Equal(http.StatusUnauthorized))
			Expect(visitor.path()).To(Equal("/domain"))
			_, ok := visitor.cookie(domainSessionCookie)
			Expect(ok).To(BeFalse(), "no domain session")
			return visitor.text("#domain-signin-failed")
		}
		wrong := signInFailed(domainName, "not-"+password)
		visitor.shot("domain-signin-failed")
		unknown := signInFailed("nicht-vorhanden.de", password)
		Expect(wrong).NotTo(BeEmpty())
		Expect(unknown).To(Equal(wrong), "W7: the same message")
		Expect(wrong).NotTo(ContainSubstring(domainName))
	})

	It("W7: the eleventh attempt in a minute from one client is refused, even with the right password", func() {
		// A client address of its own (127.0.0.2), so that the browser's
		// (127.0.0.1) sign-ins in the other specs are not locked out.
		c := clientFrom("127.0.0.2")
		var first string
		for i := range 10 {
			status, body, cookie := domainSignIn(c, fmt.Sprintf("unbekannt-%d.de", i), "geraten")
			Expect(status).To(Equal(http.StatusUnauthorized), "attempt %d", i+1)
			Expect(cookie).To(BeEmpty())
			if i == 0 {
				first = failedMessage(body)
			}
		}
		status, body, cookie := domainSignIn(c, domainName, password)
		Expect(status).To(Equal(http.StatusUnauthorized), "W7: the 11th attempt is refused")
		Expect(cookie).To(BeEmpty(), "W7: no session for the 11th attempt, though its password is right")
		Expect(failedMessage(body)).To(Equal(first), "W7: the same message")

		status, _, cookie = domainSignIn(clientFrom("127.0.0.3"), domainName, password)
		Expect(status).To(Equal(http.StatusSeeOther), "another client signs in: the lock-out was the client's")
		Expect(cookie).NotTo(BeEmpty())
	})

	It("W7: a new password set by the owner ends his open session on the next request", func() {
		Expect(mustermann.open("/domain/" + domainName)).To(Equal(http.StatusOK))
		domain := &clientareav1alpha1.Domain{}
		Expect(admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: domainName}, domain)).To(Succeed())
		generation := domain.Status.LoginPasswordGeneration + 1
		// A merge patch: the operator may write the Domain's status meanwhile.
		asked := domain.DeepCopy()
		asked.Spec.LoginPasswordGeneration = generation
		Expect(admin.Patch(ctx, asked, client.MergeFrom(domain))).To(Succeed(), "the owner asks for a new password (as her page's button does)")
		var newPassword string
		eventually(func(g Gomega) {
			g.Expect(admin.Get(ctx, client.ObjectKeyFromObject(domain), domain)).To(Succeed())
			g.Expect(domain.Status.LoginPasswordGeneration).To(Equal(generation))
			newPassword = loginPassword(g, namespace, domainName)
			g.Expect(newPassword).NotTo(Equal(password))
		}).Should(Succeed(), "W7: the operator draws the new password")

		mustermann.open("/domain/" + domainName)
		Expect(mustermann.path()).To(Equal("/domain"), "W7: his session ended")
		Expect(mustermann.has("#domain-session-ended")).To(BeTrue())
		_, ok := mustermann.cookie(domainSessionCookie)
		Expect(ok).To(BeFalse())
		mustermann.shot("domain-login-ended")
		status, body := domainHandMade(domainCookie, http.MethodGet, "/domain/"+domainName, nil)
		Expect(status).To(Equal(http.StatusSeeOther), body)

		mustermann.setValue("#domain", domainName)
		mustermann.setValue("#password", newPassword)
		mustermann.submit("#domain-signin-form")
		Expect(mustermann.path()).To(Equal("/domain/"+domainName), "the new password signs in")
	})
})

// domainSessionCookie is the domain login's session cookie.
const domainSessionCookie = "__Host-domain-session"

func init() { forReadme["domain-login"] = true }

// loginPassword reads a domain's login password as an administrator: the
// `authCode` of the Secret named by its status.authCodeSecret, once the
// Domain is active and its DomainCredential is there; "" until then.
func loginPassword(g Gomega, namespace, name string) string {
	domain := &clientareav1alpha1.Domain{}
	g.Expect(admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, domain)).To(Succeed())
	if domain.Status.State != clientareav1alpha1.DomainActive || domain.Status.AuthCodeSecret == "" ||
		domain.Status.LoginPasswordGeneration < domain.Spec.LoginPasswordGeneration {
		return ""
	}
	credential := &clientareav1alpha1.DomainCredential{}
	if err := admin.Get(ctx, client.ObjectKey{Name: clientareav1alpha1.DomainCredentialName(name)}, credential); err != nil {
		return ""
	}
	secret := &corev1.Secret{}
	g.Expect(admin.Get(ctx, client.ObjectKey{Namespace: namespace, Name: domain.Status.AuthCodeSecret}, secret)).To(Succeed())
	return string(secret.Data["authCode"])
}

// cookie is the browser's cookie of that name for the client area.
func (b *browser) cookie(name string) (*network.Cookie, bool) {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{area.URL + "/"}})
	Expect(err).NotTo(HaveOccurred())
	for _, c := range res.Cookies {
		if c.Name == name && c.Value != "" {
			return c, true
		}
	}
	return nil, false
}

// clientFrom is an HTTP client, outside the browser, whose requests come
// from the given loopback address; it follows no redirect.
func clientFrom(local string) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: actionTimeout}
	u, err := url.Parse(area.URL)
	Expect(err).NotTo(HaveOccurred())
	return &http.Client{
		Timeout: actionTimeout,
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "tcp4", "127.0.0.1:"+u.Port())
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// domainSignIn posts the domain sign-in form from a client; it returns the
// status, the body and the domain session cookie set ("" for none).
func domainSignIn(c *http.Client, domain, password string) (int, string, string) {
	GinkgoHelper()
	resp, err := c.PostForm(area.URL+"/domain", url.Values{"domain": {domain}, "password": {password}})
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	var session string
	for _, cookie := range resp.Cookies() {
		if cookie.Name == domainSessionCookie {
			session = cookie.Value
		}
	}
	return resp.StatusCode, string(data), session
}

// failedMessage is the sign-in page's failure message in a body.
func failedMessage(body string) string {
	GinkgoHelper()
	_, rest, ok := strings.Cut(body, `id="domain-signin-failed">`)
	Expect(ok).To(BeTrue(), "no failure message in:\n%s", body)
	message, _, _ := strings.Cut(rest, "<")
	return message
}

// domainHandMade sends a request outside the browser with a domain
// session's cookie (as one would with curl), and returns the answer's
// status and body.
func domainHandMade(session, method, path string, form url.Values) (int, string) {
	GinkgoHelper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, area.URL+path, body)
	Expect(err).NotTo(HaveOccurred())
	req.AddCookie(&http.Cookie{Name: domainSessionCookie, Value: session})
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := clientFrom("127.0.0.1").Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return resp.StatusCode, string(data)
}
