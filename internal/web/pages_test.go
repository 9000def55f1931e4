package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// W6: opening another account's pages by their address is as much an
// account switch as the picker's choice: the session moves to a new id (the
// old one dead at once) and records the account; further pages of the same
// account keep the id, and an account that is not the customer's switches
// nothing.
func TestAccountSwitchByAddressRenewsSession(t *testing.T) {
	c := needCluster(t)
	s, _ := c.server(t)
	anna, annaAddress := c.newCustomer(t, "anna")
	first, _ := c.newAccount(t, anna, "First Account GmbH")
	second, _ := c.newAccount(t, anna, "Second Account GmbH")
	c.waitForAccounts(t, anna, first, second)
	b := signedIn(t, s, annaAddress)

	switchTo := func(account, displayName string) string {
		t.Helper()
		before := b.session()
		expect(t, "the account "+account+" by its address", b.get("/a/"+account+"/"), http.StatusOK, displayName)
		after := b.session()
		if after == "" || after == before {
			t.Fatalf("opening %s by its address did not renew the session", account)
		}
		if _, ok := s.sessions.get(before); ok {
			t.Errorf("the session id from before the switch to %s still works", account)
		}
		sess, ok := s.sessions.get(after)
		if !ok || sess.Account != account || sess.Address != annaAddress {
			t.Errorf("after the switch to %s the session is %+v", account, sess)
		}
		return before
	}
	switchTo(first, "First Account GmbH")
	id := b.session()
	expect(t, "another page of the same account", b.get("/a/"+first+"/invoices"), http.StatusOK)
	if b.session() != id {
		t.Error("a page of the session's own account renewed the session")
	}
	expect(t, "another's (a missing) account", b.get("/a/no-such-account/"), http.StatusNotFound)
	if b.session() != id {
		t.Error("an account that is not the customer's renewed the session")
	}
	if sess, _ := s.sessions.get(id); sess.Account != first {
		t.Errorf("an account that is not the customer's became the session's: %q", sess.Account)
	}

	old := switchTo(second, "Second Account GmbH")
	stale := newBrowser(t, s)
	stale.cookies[sessionCookie] = old
	if w := stale.get("/a/" + second + "/"); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login?return=") {
		t.Errorf("the id from before the switch opened the account: %d", w.Code)
	}
	switchTo(first, "First Account GmbH")
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

// W4, M3, M5, M6: the owner invites by e-mail address (the invitation is
// valid for 7 days; the access has no end unless the owner picks a day),
// changes permissions and withdraws; the invitee finds the account after
// signing in; a member with Members sees the list read-only, the owner's
// address included (A6).
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
	expect(t, "the owner's User Management", page, http.StatusOK, `id="members"`, `id="invite-form"`, `name="permission" value="All"`,
		"The invitation is valid for 7 days")
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
	if string(m.Spec.Email) != address || m.Spec.User != "" || m.Spec.ExpiresAt != nil || m.Spec.InvitationExpiresAt == nil ||
		m.Spec.InvitationExpiresAt.Sub(time.Now().Add(7*24*time.Hour)).Abs() > time.Minute {
		t.Errorf("M6: the invitation is %+v: it should be valid for 7 days and give access without an end", m.Spec)
	}
	validUntil := "invitation valid until " + english.Date(m.Spec.InvitationExpiresAt)
	expect(t, "the list with the invitation", b.get(base), http.StatusOK, address, `id="remove-`+m.Name+`"`, "Withdraw invitation", validUntil)
	until := time.Now().AddDate(0, 3, 0).UTC().Format(time.DateOnly)
	limited := unique("temp") + "@invited.example"
	expectRedirect(t, "an invitation with an end of the access", b.post(base, url.Values{"email": {limited}, "permission": {"Invoices"}, "expires": {until}}), base)
	lm := &clientareav1alpha1.Membership{}
	if err := c.admin.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: invitationName(limited)}, lm); err != nil {
		t.Fatal(err)
	}
	day, _ := time.Parse(time.DateOnly, until)
	if lm.Spec.ExpiresAt == nil || !lm.Spec.ExpiresAt.Time.Equal(day.Add(24*time.Hour)) ||
		lm.Spec.InvitationExpiresAt == nil || lm.Spec.InvitationExpiresAt.Sub(time.Now().Add(7*24*time.Hour)).Abs() > time.Minute {
		t.Errorf("M5: the invitation with access until %s is %+v", until, lm.Spec)
	}
	expect(t, "inviting the same address again", b.post(base, url.Values{"email": {address}, "permission": {"Domains"}}),
		http.StatusConflict, "invited already")

	expectRedirect(t, "changing the permissions and the end of the access", b.post(base+"/"+m.Name, url.Values{
		"permission": {"Domains", "Contacts"}, "expires": {until}, "generation": {fmt.Sprint(m.Generation)}}), base)
	if err := c.admin.Get(context.Background(), client.ObjectKeyFromObject(m), m); err != nil || m.Spec.ExpiresAt == nil || len(m.Spec.Permissions) != 2 {
		t.Errorf("after the change: %+v, %v", m.Spec, err)
	}
	expectRedirect(t, "no end of the access", b.post(base+"/"+m.Name, url.Values{
		"permission": {"Domains", "Contacts"}, "expires": {""}, "generation": {fmt.Sprint(m.Generation)}}), base)
	if err := c.admin.Get(context.Background(), client.ObjectKeyFromObject(m), m); err != nil || m.Spec.ExpiresAt != nil {
		t.Errorf("after clearing the end: %+v, %v", m.Spec, err)
	}

	c.inviteeSignsIn(t, s, p, address, account)

	mb := signedIn(t, s, miaAddress)
	read := mb.get(base)
	expect(t, "a member with Members", read, http.StatusOK, `id="members"`, address)
	if owner := regexp.MustCompile(`(?s)<tr class="owner">\s*<td>([^<]*)</td>`).FindStringSubmatch(read.Body.String()); owner == nil || owner[1] != annaAddress {
		t.Errorf("A6: a member's User Management does not show the owner's address %s first: %q", annaAddress, owner)
	}
	expectNot(t, "M3: a member's User Management", read, `id="invite-form"`, `id="remove-`)
	expect(t, "M3: a member forcing an invitation", mb.post(base, url.Values{"email": {"x@y.example"}, "permission": {"All"}}), http.StatusForbidden)
	expect(t, "M3: a member forcing a removal", mb.post(base+"/"+m.Name+"/delete", nil), http.StatusForbidden)

	expectRedirect(t, "removing", b.post(base+"/"+m.Name+"/delete", nil), base)
	expectNot(t, "the list after the removal", b.get(base), `id="remove-`+m.Name+`"`)

	lapsedInvitation(t, c, b, ns, base)
}

// lapsedInvitation: an invitation nobody accepted in time shows "Expired"
// with its date, and can be sent again (valid for another 7 days: pending
// again) or removed (M5, M6).
func lapsedInvitation(t *testing.T, c *cluster, b *browser, ns, base string) {
	t.Helper()
	ctx := context.Background()
	address := unique("late") + "@invited.example"
	lapsed := &clientareav1alpha1.Membership{
		ObjectMeta: metav1.ObjectMeta{Name: invitationName(address), Namespace: ns},
		Spec: clientareav1alpha1.MembershipSpec{Email: clientareav1alpha1.EmailAddress(address),
			Permissions:         []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices},
			InvitationExpiresAt: &metav1.Time{Time: time.Now().Add(-time.Hour).Truncate(time.Second)}},
	}
	if err := c.admin.Create(ctx, lapsed); err != nil {
		t.Fatal(err)
	}
	eventually(t, "M5: the invitation lapsed", func() error {
		if err := c.admin.Get(ctx, client.ObjectKeyFromObject(lapsed), lapsed); err != nil {
			return err
		}
		if !invitationLapsed(lapsed) {
			return fmt.Errorf("state %q, %+v", lapsed.Status.State, lapsed.Status.Conditions)
		}
		return nil
	})
	row := regexp.MustCompile(`(?s)<tr id="member-` + lapsed.Name + `">.*?</tr>`)
	list := b.get(base)
	expect(t, "the lapsed invitation", list, http.StatusOK, `id="lapsed-`+lapsed.Name+`"`, `id="resend-`+lapsed.Name+`"`,
		"the invitation was not accepted by "+english.Date(lapsed.Spec.InvitationExpiresAt))
	if r := row.FindString(list.Body.String()); !strings.Contains(r, "Expired") || !strings.Contains(r, `id="remove-`+lapsed.Name+`"`) {
		t.Errorf("the lapsed invitation's row: %s", r)
	}
	expectRedirect(t, "sending it again", b.post(base+"/"+lapsed.Name+"/resend", nil), base)
	eventually(t, "M6: the invitation is pending again", func() error {
		if err := c.admin.Get(ctx, client.ObjectKeyFromObject(lapsed), lapsed); err != nil {
			return err
		}
		if lapsed.Status.State != clientareav1alpha1.MembershipPending || lapsed.Status.ObservedGeneration != lapsed.Generation {
			return fmt.Errorf("state %q", lapsed.Status.State)
		}
		return nil
	})
	if at := lapsed.Spec.InvitationExpiresAt; at == nil || at.Sub(time.Now().Add(7*24*time.Hour)).Abs() > time.Minute || lapsed.Spec.ExpiresAt != nil {
		t.Errorf("the invitation sent again: %+v", lapsed.Spec)
	}
	expect(t, "the invitation sent again", b.get(base), http.StatusOK, `id="valid-`+lapsed.Name+`"`, "The invitation is valid again.")
	expectRedirect(t, "removing it", b.post(base+"/"+lapsed.Name+"/delete", nil), base)
}

// W4, W5, A7: the owner edits the account's profile (name, the holder's
// contact, the invoice recipient), choosing a Contact of another account
// she owns: the agency that bills its customer's account to itself. The
// API server's validation is shown on the form with the field; the
// operator then addresses the invoices to that Contact, which the page
// says. A member with All is shown no link, and is refused by the API
// server when forcing the page or the form.
func TestAccountProfile(t *testing.T) {
	c := needCluster(t)
	s, _ := c.server(t)
	ctx := context.Background()
	anna, annaAddress := c.newCustomer(t, "anna")
	agency, agencyNS := c.newAccount(t, anna, "Werbeagentur XYZ GmbH")
	customer, customerNS := c.newAccount(t, anna, "Mustermann website")
	bernd, berndAddress := c.newCustomer(t, "bernd")
	c.member(t, customerNS, bernd, clientareav1alpha1.PermissionAll)
	billing := &clientareav1alpha1.Contact{
		ObjectMeta: metav1.ObjectMeta{Name: "agency-billing", Namespace: agencyNS},
		Spec: clientareav1alpha1.ContactDetails{Name: "Anna Schmidt", Organisation: "Werbeagentur XYZ GmbH", City: "Berlin",
			CountryCode: "DE", Email: "rechnung@werbeagentur-xyz.example"},
	}
	local := &clientareav1alpha1.Contact{
		ObjectMeta: metav1.ObjectMeta{Name: "max", Namespace: customerNS},
		Spec:       clientareav1alpha1.ContactDetails{Name: "Max Mustermann", City: "Köln", CountryCode: "DE", Email: "max@mustermann.example"},
	}
	for _, contact := range []*clientareav1alpha1.Contact{billing, local} {
		if err := c.admin.Create(ctx, contact); err != nil {
			t.Fatal(err)
		}
	}
	c.waitForAccounts(t, anna, agency, customer)
	c.waitForAccounts(t, bernd, customer)
	b := signedIn(t, s, annaAddress)
	base := "/a/" + customer + "/profile"

	expect(t, "the owner's overview", b.get("/a/"+customer+"/"), http.StatusOK, `id="nav-profile"`, `href="`+base+`"`)
	page := b.get(base)
	expect(t, "the profile", page, http.StatusOK, `id="profile-form"`, `name="displayName" value="Mustermann website"`,
		`name="organization"`, `name="street"`, `name="postalCode"`, `name="countryCode" value="DE"`, `name="vatID"`,
		`name="billingContact"`, `<option value="" selected>`, "the account&#39;s own contact",
		`<option value="`+customer+`/max">Max Mustermann, Köln`,
		`<optgroup label="Werbeagentur XYZ GmbH">`, `<option value="`+agency+`/agency-billing">Anna Schmidt (Werbeagentur XYZ GmbH), Berlin`)
	generation := regexp.MustCompile(`name="generation" value="([0-9]+)"`).FindStringSubmatch(page.Body.String())[1]

	form := url.Values{"generation": {generation}, "displayName": {"Mustermann Relaunch"}, "name": {"Max Mustermann"},
		"organization": {"Mustermann AG"}, "street": {"Musterweg 5"}, "postalCode": {"50667"}, "city": {"Köln"},
		"countryCode": {"XX"}, "email": {"buchhaltung@mustermann.example"}, "phone": {"+49.221123456"},
		"billingContact": {agency + "/agency-billing"}}
	expect(t, "G2: a country the API refuses", b.post(base, form), http.StatusUnprocessableEntity,
		"Country", "ISO 3166-1", `value="Mustermann Relaunch"`, `value="`+agency+`/agency-billing" selected`)
	form.Set("countryCode", "DE")
	form.Set("billingContact", "someone-else/their-contact")
	expect(t, "a recipient the form does not offer", b.post(base, form), http.StatusUnprocessableEntity, "Invoice recipient", "choose one of the listed")
	form.Set("billingContact", agency+"/agency-billing")
	expectRedirect(t, "A7: the agency's contact as invoice recipient", b.post(base, form), base)

	account := &clientareav1alpha1.Account{}
	if err := c.admin.Get(ctx, client.ObjectKey{Name: customer}, account); err != nil {
		t.Fatal(err)
	}
	ref := account.Spec.BillingContactRef
	if ref == nil || string(ref.Account) != agency || ref.Name != "agency-billing" || account.Spec.DisplayName != "Mustermann Relaunch" ||
		account.Spec.Contact.Organisation != "Mustermann AG" || len(account.Spec.Contact.Street) != 1 || account.Spec.Owner != clientareav1alpha1.ObjectName(anna) {
		t.Fatalf("A7: the account was saved as %+v", account.Spec)
	}
	eventually(t, "A7: BillingContactResolved is True", func() error {
		if err := c.admin.Get(ctx, client.ObjectKey{Name: customer}, account); err != nil {
			return err
		}
		resolved := meta.FindStatusCondition(account.Status.Conditions, string(clientareav1alpha1.AccountConditionBillingContactResolved))
		if resolved == nil || resolved.Status != metav1.ConditionTrue || resolved.ObservedGeneration != account.Generation {
			return fmt.Errorf("%+v", resolved)
		}
		return nil
	})
	expect(t, "the profile after saving", b.get(base), http.StatusOK, `id="billing-status"`,
		"Invoices go to Anna Schmidt (Werbeagentur XYZ GmbH), Berlin, a contact of your account Werbeagentur XYZ GmbH.", `value="`+agency+`/agency-billing" selected`)

	bb := signedIn(t, s, berndAddress)
	overview := bb.get("/a/" + customer + "/")
	expect(t, "the overview of a member with All", overview, http.StatusOK, `id="nav-contacts"`)
	expectNot(t, "W5: the overview of a member with All", overview, `id="nav-profile"`, base)
	expect(t, "W5: a member forcing the profile", bb.get(base), http.StatusForbidden, "You are not allowed")
	form.Set("displayName", "Bernd's account")
	form.Set("billingContact", "")
	expect(t, "W5: a member forcing the form", bb.post(base, form), http.StatusForbidden, "You are not allowed")
	if err := c.admin.Get(ctx, client.ObjectKey{Name: customer}, account); err != nil || account.Spec.DisplayName != "Mustermann Relaunch" || account.Spec.BillingContactRef == nil {
		t.Errorf("after the member's attempt: %+v, %v", account.Spec, err)
	}
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
	// The owner reads the login's Secret (config/rbac/access/owner.yaml),
	// and the front end may get it acting for her once the operator's Role
	// clientarea-web-domain-logins names it: the page shows it then (D5,
	// W7; README "the account's owner and members with Domains see the
	// domain password").
	eventually(t, "D5, W7: the owner sees the domain password on the domain's page", func() error {
		d := &clientareav1alpha1.Domain{}
		if err := dc.c.admin.Get(context.Background(), client.ObjectKey{Namespace: dc.ns, Name: dc.dom}, d); err != nil || d.Status.AuthCodeSecret == "" {
			return fmt.Errorf("no login Secret yet: %v", err)
		}
		secret := &corev1.Secret{}
		if err := dc.c.admin.Get(context.Background(), client.ObjectKey{Namespace: dc.ns, Name: d.Status.AuthCodeSecret}, secret); err != nil {
			return err
		}
		want := `<code id="auth-code">` + string(secret.Data[authCodeKey]) + `</code>`
		// html/template writes some characters of a code as entities (+).
		if detail = dc.b.get(path); !strings.Contains(html.UnescapeString(detail.Body.String()), want) {
			return fmt.Errorf("the page does not contain %s", want)
		}
		return nil
	})
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
