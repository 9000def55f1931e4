package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// expect fails the test unless the answer has the status and contains every
// want (HTML, as served).
func expect(t *testing.T, what string, w *httptest.ResponseRecorder, status int, want ...string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, w.Code, status, w.Body.String())
	}
	for _, s := range want {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("%s: the page does not contain %q\n%s", what, s, w.Body.String())
		}
	}
}

// expectNot fails the test if the page contains any of bad.
func expectNot(t *testing.T, what string, w *httptest.ResponseRecorder, bad ...string) {
	t.Helper()
	for _, s := range bad {
		if strings.Contains(w.Body.String(), s) {
			t.Errorf("%s: the page contains %q", what, s)
		}
	}
}

func expectRedirect(t *testing.T, what string, w *httptest.ResponseRecorder, location string) {
	t.Helper()
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != location {
		t.Fatalf("%s: %d to %q, want 303 to %q\n%s", what, w.Code, w.Header().Get("Location"), location, w.Body.String())
	}
}

// W1, W2, W6: the OpenID sign-in finds the customer through the address's
// claim, renews the session; a customer with two accounts picks one (which
// renews the session again), a customer with one goes straight in, and the
// header shows the account, the switch and what the customer may open.
func TestSignInAndAccountChoice(t *testing.T) {
	c := needCluster(t)
	s, p := c.server(t)
	anna, annaAddress := c.newCustomer(t, "anna")
	agency, agencyNS := c.newAccount(t, anna, "Werbeagentur XYZ GmbH")
	project, _ := c.newAccount(t, anna, "Mustermann website")
	bernd, berndAddress := c.newCustomer(t, "bernd")
	c.member(t, agencyNS, bernd, clientareav1alpha1.PermissionInvoices)
	c.waitForAccounts(t, anna, agency, project)
	c.waitForAccounts(t, bernd, agency)

	b := newBrowser(t, s)
	b.get("/login")
	pending := b.session()
	expectRedirect(t, "the callback", b.signIn(p, strings.ToUpper(annaAddress), "/"), "/")
	signedIn := b.session()
	if signedIn == "" || signedIn == pending {
		t.Fatal("W6: the sign-in did not renew the session id")
	}
	if _, ok := s.sessions.get(pending); ok {
		t.Error("W6: the session id from before the sign-in still works")
	}
	if sess, _ := s.sessions.get(signedIn); sess.Address != annaAddress || sess.UserName != anna {
		t.Errorf("signed in as %q (%q), want the lower-cased %q (%q)", sess.Address, sess.UserName, annaAddress, anna)
	}
	expectRedirect(t, "W2: a customer with two accounts", b.get("/"), "/accounts")
	picker := b.get("/accounts")
	expect(t, "the picker", picker, http.StatusOK, `id="accounts"`, `id="pick-`+agency+`"`, `id="pick-`+project+`"`,
		"Werbeagentur XYZ GmbH", "Mustermann website", `action="/accounts/`+agency+`"`)

	expectRedirect(t, "the choice", b.post("/accounts/"+project, nil), "/a/"+project+"/")
	if b.session() == signedIn {
		t.Error("W6: the account switch did not renew the session id")
	}
	old := newBrowser(t, s)
	old.cookies[sessionCookie] = signedIn
	if w := old.get("/accounts"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Errorf("W6: the session id from before the switch still works: %d", w.Code)
	}
	overview := b.get("/a/" + project + "/")
	expect(t, "the owner's overview", overview, http.StatusOK, `id="account"`, "Mustermann website", `id="switch-account"`, `href="/accounts"`,
		`title="Switch account"`, "⇄", `id="nav-members"`, `id="nav-contacts"`, `id="nav-domains"`, `id="nav-invoices"`,
		`id="lang-en"`, `id="lang-de"`, `id="sign-out"`, annaAddress)
	number := customerNumber(t, c, project)
	expect(t, "the header's customer number", overview, http.StatusOK, fmt.Sprintf("%d", number))

	berndBrowser := newBrowser(t, s)
	invoices := "/a/" + agency + "/invoices"
	expectRedirect(t, "Bernd's sign-in from a link to the invoices", berndBrowser.signIn(p, berndAddress, invoices), invoices)
	expect(t, "Bernd's invoices", berndBrowser.get(invoices), http.StatusOK, `id="no-invoices"`)
	expectRedirect(t, "W2: a customer with one account goes straight in", berndBrowser.get("/"), "/a/"+agency+"/")
	bo := berndBrowser.get("/a/" + agency + "/")
	expect(t, "W5: an invoices-only member's overview", bo, http.StatusOK, `id="nav-invoices"`, "Werbeagentur XYZ GmbH")
	expectNot(t, "W5: an invoices-only member's overview", bo, `id="nav-members"`, `id="nav-contacts"`, `id="nav-domains"`)
	expect(t, "the German switch", berndBrowser.get("/lang?l=de&return=/a/"+agency+"/"), http.StatusSeeOther)
	expect(t, "the overview in German", berndBrowser.get("/a/"+agency+"/"), http.StatusOK, `title="Konto wechseln"`, "Rechnungen")
}

func customerNumber(t *testing.T, c *cluster, account string) int64 {
	t.Helper()
	a := &clientareav1alpha1.Account{}
	if err := c.admin.Get(context.Background(), client.ObjectKey{Name: account}, a); err != nil {
		t.Fatal(err)
	}
	return a.Status.CustomerNumber
}

// W1: an address that no User has claimed is not a customer: the front end
// may not even act as it, and says so on a page, not as an error.
func TestNoCustomerForUnclaimedAddress(t *testing.T) {
	c := needCluster(t)
	s, p := c.server(t)
	c.newCustomer(t, "someone") // so that the impersonator role has rules at all
	b := newBrowser(t, s)
	address := unique("stranger") + "@nowhere.example"
	w := b.signIn(p, address, "/")
	expect(t, "the callback", w, http.StatusOK, "There is no customer account for "+address, `id="no-customer"`)
	if _, ok := s.sessions.get(b.session()); ok {
		t.Error("a session remains for an address that is no customer")
	}
	expectNot(t, "the no-customer page", w, `id="sign-out"`)
}

// A5: an account the customer is not in is "not found", word for word as
// one that does not exist; nothing of it appears.
func TestOtherAccountsAreNotFound(t *testing.T) {
	c := needCluster(t)
	s, _ := c.server(t)
	anna, annaAddress := c.newCustomer(t, "anna")
	own, _ := c.newAccount(t, anna, "Anna's own")
	carla, _ := c.newCustomer(t, "carla")
	foreign, _ := c.newAccount(t, carla, "Carla's secret GmbH")
	c.waitForAccounts(t, anna, own)
	b := signedIn(t, s, annaAddress)
	for _, page := range []string{"/", "/contacts", "/invoices", "/members", "/domains/x.de"} {
		other := b.get("/a/" + foreign + page)
		missing := b.get("/a/no-such-account" + page)
		expect(t, "another's account", other, http.StatusNotFound, `id="error-message"`)
		expect(t, "a missing account", missing, http.StatusNotFound)
		if messageOf(other) != messageOf(missing) {
			t.Errorf("%s: another's account says %q, a missing one %q", page, messageOf(other), messageOf(missing))
		}
		expectNot(t, "another's account", other, "Carla", namespacePrefix+foreign)
	}
	if w := b.post("/accounts/"+foreign, nil); w.Code != http.StatusNotFound {
		t.Errorf("choosing another's account: %d", w.Code)
	}
}

var errorMessage = regexp.MustCompile(`<p id="error-message">([^<]*)</p>`)

func messageOf(w *httptest.ResponseRecorder) string {
	m := errorMessage.FindStringSubmatch(w.Body.String())
	if m == nil {
		return ""
	}
	return m[1]
}

// W3, W5, C1-C3: contacts are created, validated, edited and deleted as the
// customer; the API server's validation is shown on the form with the
// field; a member without the permission is refused by the API server, and
// a browser's Impersonate-* headers change nothing.
func TestContactsAsTheCustomer(t *testing.T) {
	c := needCluster(t)
	s, _ := c.server(t)
	anna, annaAddress := c.newCustomer(t, "anna")
	account, ns := c.newAccount(t, anna, "Contacts GmbH")
	bernd, berndAddress := c.newCustomer(t, "bernd")
	c.member(t, ns, bernd, clientareav1alpha1.PermissionInvoices)
	c.waitForAccounts(t, anna, account)
	c.waitForAccounts(t, bernd, account)
	b := signedIn(t, s, annaAddress)
	base := "/a/" + account + "/contacts"

	expect(t, "the empty form", b.get(base+"/new"), http.StatusOK, `id="contact-form"`, `name="organization"`, `name="street"`, `name="vatID"`)
	form := url.Values{"name": {"Max Mustermann"}, "organization": {"Mustermann AG"}, "street": {"Musterweg 5\r\nHinterhaus"},
		"city": {"Köln"}, "postalCode": {"50667"}, "countryCode": {"XX"}, "email": {"max@mustermann.example"}, "phone": {"+49.221123456"}}
	w := b.post(base, form)
	expect(t, "G2: a country the API refuses", w, http.StatusUnprocessableEntity, "Country", "ISO 3166-1", `value="Max Mustermann"`)
	form.Set("countryCode", "de")
	expectRedirect(t, "a valid contact", b.post(base, form), base)
	list := &clientareav1alpha1.ContactList{}
	if err := c.admin.List(context.Background(), list, client.InNamespace(ns)); err != nil || len(list.Items) != 1 {
		t.Fatalf("the contacts in the namespace: %v, %v", list.Items, err)
	}
	contact := list.Items[0]
	if contact.Spec.CountryCode != "DE" || len(contact.Spec.Street) != 2 || contact.Spec.Organisation != "Mustermann AG" {
		t.Errorf("the contact was saved as %+v", contact.Spec)
	}
	expect(t, "the list", b.get(base), http.StatusOK, `id="contacts"`, "Max Mustermann", "Mustermann AG", "Köln")

	form.Set("city", "Bonn")
	form.Set("generation", fmt.Sprint(contact.Generation))
	expectRedirect(t, "an edit", b.post(base+"/"+contact.Name, form), base)
	form.Set("city", "Stale") // a form of the generation before the edit
	expectRedirect(t, "an edit of a changed contact", b.post(base+"/"+contact.Name, form), base+"/"+contact.Name)
	expect(t, "after a stale edit", b.get(base+"/"+contact.Name), http.StatusOK, "Someone changed this meanwhile", `value="Bonn"`)

	bb := signedIn(t, s, berndAddress)
	bb.header.Set("Impersonate-User", annaAddress)
	bb.header.Set("Impersonate-Group", "system:masters")
	expect(t, "W5: an invoices-only member forcing the contacts page", bb.get(base), http.StatusForbidden, "You are not allowed")
	expect(t, "W5: an invoices-only member forcing a contact", bb.post(base, form), http.StatusForbidden)
	expect(t, "W5: an invoices-only member forcing a delete", bb.post(base+"/"+contact.Name+"/delete", nil), http.StatusForbidden)
	expectNot(t, "the refusal", bb.get(base), ns, "forbidden:")

	expectRedirect(t, "deleting an unused contact", b.post(base+"/"+contact.Name+"/delete", nil), base)
	eventually(t, "the contact is gone", func() error {
		err := c.admin.Get(context.Background(), client.ObjectKeyFromObject(&contact), &clientareav1alpha1.Contact{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("still there (%v)", err)
	})
}

// W4, M3, M6: the owner invites by e-mail address (7 days by default),
// changes permissions and withdraws; the invitee finds the account after
// signing in; a member with Members sees the list read-only.
func TestUserManagement(t *testing.T) {
	c := needCluster(t)
	s, p := c.server(t)
	anna, annaAddress := c.newCustomer(t, "anna")
	account, ns := c.newAccount(t, anna, "Members GmbH")
	mia, miaAddress := c.newCustomer(t, "mia")
	c.member(t, ns, mia, clientareav1alpha1.PermissionMembers, clientareav1alpha1.PermissionInvoices)
	c.waitForAccounts(t, anna, account)
	c.waitForAccounts(t, mia, account)
	b := signedIn(t, s, annaAddress)
	base := "/a/" + account + "/members"

	page := b.get(base)
	expect(t, "the owner's User Management", page, http.StatusOK, `id="members"`, `id="invite-form"`, `name="permission" value="All"`, "7 days")
	if first := strings.Index(page.Body.String(), annaAddress); first < 0 || first > strings.Index(page.Body.String(), miaAddress) {
		t.Error("W4: the owner is not listed first")
	}
	invitee := unique("newbie") + "@Invited.example"
	address := strings.ToLower(invitee)
	expect(t, "G2: All with another permission", b.post(base, url.Values{"email": {invitee}, "permission": {"All", "Invoices"}}),
		http.StatusUnprocessableEntity, "Permissions", "All already includes")
	expectRedirect(t, "the invitation", b.post(base, url.Values{"email": {invitee}, "permission": {"Domains"}}), base)
	m := &clientareav1alpha1.Membership{}
	if err := c.admin.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: invitationName(address)}, m); err != nil {
		t.Fatal(err)
	}
	if string(m.Spec.Email) != address || m.Spec.User != "" || m.Spec.ExpiresAt == nil ||
		m.Spec.ExpiresAt.Sub(time.Now().Add(7*24*time.Hour)).Abs() > time.Minute {
		t.Errorf("M6: the invitation is %+v", m.Spec)
	}
	expect(t, "the list with the invitation", b.get(base), http.StatusOK, address, `id="remove-`+m.Name+`"`, "Withdraw invitation")
	expect(t, "inviting the same address again", b.post(base, url.Values{"email": {address}, "permission": {"Domains"}}),
		http.StatusConflict, "invited already")

	expectRedirect(t, "changing the permissions, no expiry", b.post(base+"/"+m.Name, url.Values{
		"permission": {"Domains", "Contacts"}, "expires": {""}, "generation": {fmt.Sprint(m.Generation)}}), base)
	if err := c.admin.Get(context.Background(), client.ObjectKeyFromObject(m), m); err != nil || m.Spec.ExpiresAt != nil || len(m.Spec.Permissions) != 2 {
		t.Errorf("after the change: %+v, %v", m.Spec, err)
	}

	c.inviteeSignsIn(t, s, p, address, account)

	mb := signedIn(t, s, miaAddress)
	read := mb.get(base)
	expect(t, "a member with Members", read, http.StatusOK, `id="members"`, address)
	expectNot(t, "M3: a member's User Management", read, `id="invite-form"`, `id="remove-`)
	expect(t, "M3: a member forcing an invitation", mb.post(base, url.Values{"email": {"x@y.example"}, "permission": {"All"}}), http.StatusForbidden)
	expect(t, "M3: a member forcing a removal", mb.post(base+"/"+m.Name+"/delete", nil), http.StatusForbidden)

	expectRedirect(t, "removing", b.post(base+"/"+m.Name+"/delete", nil), base)
	expectNot(t, "the list after the removal", b.get(base), `id="remove-`+m.Name+`"`)
}

// inviteeSignsIn: the invitee signs up and in for the first time, and
// finds the account with what the invitation gives (M6, W2).
func (c *cluster) inviteeSignsIn(t *testing.T, s *Server, p *provider, address, account string) {
	t.Helper()
	newbie, _ := c.newCustomerWithAddress(t, "newbie", address)
	c.waitForAccounts(t, newbie, account)
	nb := newBrowser(t, s)
	expectRedirect(t, "the invitee's first sign-in", nb.signIn(p, address, "/"), "/")
	expectRedirect(t, "the invitee goes straight into the account", nb.get("/"), "/a/"+account+"/")
	expect(t, "the invitee's overview", nb.get("/a/"+account+"/"), http.StatusOK, `id="nav-domains"`, `id="nav-contacts"`)
}

// newCustomerWithAddress creates a User for a given address (an invitee
// signing up), and waits until the front end may act as it.
func (c *cluster) newCustomerWithAddress(t *testing.T, name, address string) (string, string) {
	t.Helper()
	userName := unique(name)
	user := &clientareav1alpha1.User{}
	user.Name = userName
	user.Spec.Email = clientareav1alpha1.EmailAddress(address)
	if err := c.admin.Create(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the front end may act as "+address, func() error {
		return c.kube.Get(WithUser(context.Background(), address), client.ObjectKey{Name: userName}, &clientareav1alpha1.User{})
	})
	return userName, address
}

// domainCase is a customer's account with a holder contact, signed in.
type domainCase struct {
	c                        *cluster
	b                        *browser
	account, ns, holder, dom string
}

// D1, D6, C3, I6: a domain is registered with a holder from the contacts,
// listed with holder, state and expiry, edited; its holder cannot be
// deleted; its invoice is listed, shown and printable.
func TestDomainsAndInvoices(t *testing.T) {
	c := needCluster(t)
	s, _ := c.server(t)
	anna, annaAddress := c.newCustomer(t, "anna")
	account, ns := c.newAccount(t, anna, "Domains GmbH")
	c.waitForAccounts(t, anna, account)
	dc := &domainCase{c: c, b: signedIn(t, s, annaAddress), account: account, ns: ns}
	contacts := "/a/" + account + "/contacts"
	expectRedirect(t, "the holder", dc.b.post(contacts, url.Values{"name": {"Erika Holder"}, "city": {"Berlin"}, "countryCode": {"DE"}, "email": {"erika@holder.example"}}), contacts)
	list := &clientareav1alpha1.ContactList{}
	if err := c.admin.List(context.Background(), list, client.InNamespace(ns)); err != nil || len(list.Items) != 1 {
		t.Fatal(list, err)
	}
	dc.holder = list.Items[0].Name
	dc.register(t)
	dc.edit(t)
	dc.holderInUse(t)
	dc.invoices(t)
}

// register registers a domain through the form, a refused one first.
func (dc *domainCase) register(t *testing.T) {
	base := "/a/" + dc.account + "/domains"
	expect(t, "the registration form", dc.b.get(base+"/new"), http.StatusOK, `id="domain-form"`, `name="domainName"`,
		`<option value="`+dc.holder+`"`, `name="nameServer"`, `name="periodYears"`, `name="autoRenew"`)
	dc.dom = unique("shop") + ".de"
	form := url.Values{"domainName": {strings.ToUpper(dc.dom)}, "holder": {dc.holder}, "nameServer": {"ns1.example.com", "", ""}, "periodYears": {"1"}, "autoRenew": {"on"}}
	expect(t, "D1: one name server", dc.b.post(base, form), http.StatusUnprocessableEntity, "Name servers")
	form["nameServer"] = []string{"ns1.example.com", "NS2.example.com", ""}
	expectRedirect(t, "the registration", dc.b.post(base, form), base+"/"+dc.dom)
	eventually(t, "the domain is active", func() error {
		d := &clientareav1alpha1.Domain{}
		if err := dc.c.admin.Get(context.Background(), client.ObjectKey{Namespace: dc.ns, Name: dc.dom}, d); err != nil {
			return err
		}
		if d.Status.State != clientareav1alpha1.DomainActive {
			return fmt.Errorf("state %q", d.Status.State)
		}
		return nil
	})
	expect(t, "D6: the list", dc.b.get(base), http.StatusOK, `id="domains"`, dc.dom, "Erika Holder", "Active", fmt.Sprint(time.Now().Year()+1))
}

// edit changes the name servers and turns auto-renew off.
func (dc *domainCase) edit(t *testing.T) {
	path := "/a/" + dc.account + "/domains/" + dc.dom
	detail := dc.b.get(path)
	expect(t, "the domain", detail, http.StatusOK, `id="domain-edit-form"`, "ns2.example.com")
	expectNot(t, "D5: the auth code, whose Secret the customer may not read", detail, `id="auth-code"`)
	generation := regexp.MustCompile(`name="generation" value="([0-9]+)"`).FindStringSubmatch(detail.Body.String())
	expectRedirect(t, "the settings", dc.b.post(path, url.Values{"nameServer": {"ns1.example.net", "ns2.example.net", "ns3.example.net"}, "generation": {generation[1]}}), path)
	d := &clientareav1alpha1.Domain{}
	if err := dc.c.admin.Get(context.Background(), client.ObjectKey{Namespace: dc.ns, Name: dc.dom}, d); err != nil || len(d.Spec.NameServers) != 3 || autoRenew(d) {
		t.Errorf("after the edit: %+v, %v", d.Spec, err)
	}
}

// holderInUse checks that the holder says by whom it is used and cannot be
// deleted (C3).
func (dc *domainCase) holderInUse(t *testing.T) {
	path := "/a/" + dc.account + "/contacts/" + dc.holder
	eventually(t, "C3: the holder is in use", func() error {
		if w := dc.b.get(path); !strings.Contains(w.Body.String(), `id="contact-in-use"`) {
			return fmt.Errorf("not shown as used")
		}
		return nil
	})
	held := dc.b.get(path)
	expect(t, "C3: the holder", held, http.StatusOK, "holder of "+dc.dom)
	expectNot(t, "C3: the holder", held, `id="delete-contact"`)
	expect(t, "C3: forcing the holder's deletion", dc.b.post(path+"/delete", nil), http.StatusConflict, "cannot be deleted")
}

// invoices checks the registration's invoice in the list, alone and printable.
func (dc *domainCase) invoices(t *testing.T) {
	var invoice clientareav1alpha1.Invoice
	eventually(t, "I1: the registration's invoice", func() error {
		invoices := &clientareav1alpha1.InvoiceList{}
		if err := dc.c.admin.List(context.Background(), invoices, client.InNamespace(dc.ns)); err != nil || len(invoices.Items) == 0 {
			return fmt.Errorf("none yet (%v)", err)
		}
		invoice = invoices.Items[0]
		return nil
	})
	base := "/a/" + dc.account + "/invoices"
	expect(t, "the invoice list", dc.b.get(base), http.StatusOK, `id="invoices"`, invoice.Spec.Number, "8.21 EUR")
	expect(t, "the invoice", dc.b.get(base+"/"+invoice.Name), http.StatusOK, invoice.Spec.Number, "6.90 EUR", "19 %", `id="print-invoice"`)
	printable := dc.b.get(base + "/" + invoice.Name + "/print")
	expect(t, "the printable invoice", printable, http.StatusOK, `class="print"`, invoice.Spec.Number, `/static/style.css`)
	expectNot(t, "the printable invoice", printable, `id="switch-account"`, `id="print-invoice"`)
}
