package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/chromedp/cdproto/network"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/devoidc"
)

// The first source document's story, through the pages: Anna owns an
// agency's account and a customer's; she signs in, picks one, invites her
// bookkeeper Bernd by e-mail with "only invoices", switches to the other
// account, adds a contact and registers a domain held by it, and sees the
// invoice. Bernd signs in for the first time, finds the invitation's
// account and only its invoices, and what he forces by hand is refused by
// the API server.
var _ = Describe("The client area in a browser", Ordered, func() {
	const (
		agency, customer                   = "werbeagentur-xyz", "mustermann"
		agencyNamespace, customerNamespace = namespacePrefix + agency, namespacePrefix + customer
		agencyName, customerName           = "Werbeagentur XYZ GmbH", "Mustermann website"
	)
	var (
		anna, bernd *browser
		// agencyInvoice is an invoice of the agency account, issued before
		// the story starts: what Bernd is invited to see.
		agencyInvoice clientareav1alpha1.Invoice
		// agencyContact is a contact of the agency account, which Bernd may
		// not see.
		agencyContact *clientareav1alpha1.Contact
		// customerInvoice is the invoice of Anna's registration.
		customerInvoice clientareav1alpha1.Invoice
	)

	BeforeAll(func() {
		By("the platform creates Anna and her two accounts, as the order process does")
		Expect(admin.Create(ctx, &clientareav1alpha1.User{
			ObjectMeta: metav1.ObjectMeta{Name: "anna"},
			Spec:       clientareav1alpha1.UserSpec{Email: annaEmail, DisplayName: "Anna Schmidt"},
		})).To(Succeed())
		for _, account := range []*clientareav1alpha1.Account{
			{
				ObjectMeta: metav1.ObjectMeta{Name: agency},
				Spec: clientareav1alpha1.AccountSpec{Owner: "anna", Type: clientareav1alpha1.AccountTypeCompany, DisplayName: agencyName,
					Contact: clientareav1alpha1.ContactDetails{
						Name: "Anna Schmidt", Organisation: agencyName, Street: []string{"Hauptstraße 1"}, City: "Berlin",
						PostalCode: "10115", CountryCode: "DE", Email: "buchhaltung@werbeagentur-xyz.example", Phone: "+49.3012345678",
					}},
			},
			{
				ObjectMeta: metav1.ObjectMeta{Name: customer},
				Spec: clientareav1alpha1.AccountSpec{Owner: "anna", Type: clientareav1alpha1.AccountTypeProject, DisplayName: customerName,
					Contact: clientareav1alpha1.ContactDetails{
						Name: "Max Mustermann", Street: []string{"Musterweg 5"}, City: "Köln",
						PostalCode: "50667", CountryCode: "DE", Email: "max@mustermann.example",
					}},
			},
		} {
			Expect(admin.Create(ctx, account)).To(Succeed())
		}
		eventually(func(g Gomega) {
			user := &clientareav1alpha1.User{}
			g.Expect(admin.Get(ctx, client.ObjectKey{Name: "anna"}, user)).To(Succeed())
			g.Expect(user.Status.Accounts).To(HaveLen(2))
			for _, account := range user.Status.Accounts {
				// The client area opens an account once its entry names the namespace.
				g.Expect(account.Namespace).NotTo(BeEmpty())
			}
			for _, namespace := range []string{agencyNamespace, customerNamespace} {
				g.Expect(admin.Get(ctx, client.ObjectKey{Name: namespace}, &corev1.Namespace{})).To(Succeed())
			}
		}).Should(Succeed(), "U2, A2: Anna's two accounts in her status, with their namespaces")

		By("the agency already has a domain of its own, and its invoice")
		agencyContact = &clientareav1alpha1.Contact{
			ObjectMeta: metav1.ObjectMeta{Name: "agency-holder", Namespace: agencyNamespace},
			Spec: clientareav1alpha1.ContactDetails{
				Name: "Agentur Inhaberin", Organisation: agencyName, Street: []string{"Hauptstraße 1"}, City: "Berlin",
				PostalCode: "10115", CountryCode: "DE", Email: "domains@werbeagentur-xyz.example", Phone: "+49.3012345678",
			},
		}
		Expect(admin.Create(ctx, agencyContact)).To(Succeed())
		Expect(admin.Create(ctx, &clientareav1alpha1.Domain{
			ObjectMeta: metav1.ObjectMeta{Name: "werbeagentur-xyz.de", Namespace: agencyNamespace},
			Spec: clientareav1alpha1.DomainSpec{
				HolderRef: clientareav1alpha1.LocalObjectReference{Name: clientareav1alpha1.ObjectName(agencyContact.Name)}, PeriodYears: 1, AutoRenew: ptr.To(true),
				NameServers: []clientareav1alpha1.DomainName{"ns1.werbeagentur-xyz.example", "ns2.werbeagentur-xyz.example"},
			},
		})).To(Succeed())
		agencyInvoice = invoiceOf(agencyNamespace, "werbeagentur-xyz.de")
	})

	It("W1, W2: Anna signs in through the development provider and is asked to pick one of her two accounts", func() {
		anna = newBrowser("Anna")
		anna.open("/")
		Expect(anna.has("#sign-in")).To(BeTrue(), "the start page offers to sign in")
		anna.shot("start")

		anna.click("#sign-in")
		Expect(anna.location()).To(HavePrefix(area.Provider.Issuer()), "W1: the OpenID provider's login page")
		Expect(anna.text("#dev-banner")).To(Equal(devoidc.Banner))
		anna.shot("dev-login")

		anna.click(`a[data-email="` + annaEmail + `"]`)
		Expect(anna.path()).To(Equal("/accounts"), "W2: a user in two accounts picks one")
		accounts := anna.text("#accounts")
		Expect(accounts).To(ContainSubstring(agencyName))
		Expect(accounts).To(ContainSubstring(customerName))
		Expect(anna.has("#pick-" + agency)).To(BeTrue())
		Expect(anna.has("#pick-" + customer)).To(BeTrue())
		anna.shot("account-picker")

		session, ok := anna.session()
		Expect(ok).To(BeTrue(), "W6: a session cookie after sign-in")
		Expect(session.HTTPOnly).To(BeTrue(), "W6: HttpOnly")
		Expect(session.Secure).To(BeTrue(), "W6: Secure")
		Expect(session.SameSite).To(Equal(network.CookieSameSiteLax), "W6: SameSite=Lax")
		Expect(session.Path).To(Equal("/"))
	})

	It("W2, W6, A6: Anna picks the agency's account; the header names it with its customer number, the session is renewed", func() {
		before, _ := anna.session()
		anna.click("#pick-" + agency)
		Expect(anna.path()).To(Equal("/a/" + agency + "/"))
		header := anna.text("#account")
		Expect(header).To(ContainSubstring(agencyName))
		account := &clientareav1alpha1.Account{}
		Expect(admin.Get(ctx, client.ObjectKey{Name: agency}, account)).To(Succeed())
		Expect(account.Status.CustomerNumber).NotTo(BeZero())
		Expect(header).To(ContainSubstring(strconv.FormatInt(account.Status.CustomerNumber, 10)), "A6: the customer number in the header")
		after, _ := anna.session()
		Expect(after.Value).NotTo(Equal(before.Value), "W6: a new session id at the account switch")
		anna.shot("overview")
	})

	It("W4, M6: Anna opens User Management from her name and invites Bernd by e-mail with only invoices", func() {
		anna.openMenuOf("#nav-members")
		anna.click("#nav-members")
		Expect(anna.path()).To(Equal("/a/" + agency + "/members"))
		Expect(anna.text("#members")).To(ContainSubstring(annaEmail), "W4: the owner is listed")
		anna.shot("members")

		anna.setValue(`#invite-form input[name=email]`, berndEmail)
		anna.check(`#invite-form input[name=permission][value=Invoices]`)
		anna.shot("invite-form")
		anna.submit("#invite-form")
		Expect(anna.path()).To(Equal("/a/"+agency+"/members"), "post/redirect/get back to the list")
		members := anna.text("#members")
		Expect(members).To(ContainSubstring(berndEmail), "W4: the invitation is listed")
		Expect(strings.Index(members, annaEmail)).To(BeNumerically("<", strings.Index(members, berndEmail)), "W4: the owner first")
		anna.shot("members-invited")

		invitation := invitationOf(agencyNamespace, berndEmail)
		Expect(invitation.Spec.User).To(BeEmpty(), "M6: by address, not by User")
		Expect(invitation.Spec.Permissions).To(ConsistOf(clientareav1alpha1.PermissionInvoices))
		eventually(func(g Gomega) {
			m := &clientareav1alpha1.Membership{}
			g.Expect(admin.Get(ctx, client.ObjectKeyFromObject(&invitation), m)).To(Succeed())
			g.Expect(m.Status.State).To(Equal(clientareav1alpha1.MembershipPending))
		}).Should(Succeed(), "M6: pending while no User has claimed the address")
	})

	It("W2: Anna switches with the arrows to her other account", func() {
		Expect(anna.text("#switch-account")).To(ContainSubstring("⇄"))
		anna.click("#switch-account")
		Expect(anna.path()).To(Equal("/accounts"))
		anna.click("#pick-" + customer)
		Expect(anna.path()).To(Equal("/a/" + customer + "/"))
		Expect(anna.text("#account")).To(ContainSubstring(customerName))
	})

	It("C1: Anna adds a contact", func() {
		anna.click("#nav-contacts")
		Expect(anna.path()).To(Equal("/a/" + customer + "/contacts"))
		anna.click(`a[href$="/contacts/new"]`)
		for field, value := range map[string]string{
			"name": "Max Mustermann", "city": "Köln", "postalCode": "50667", "countryCode": "DE",
			"email": "max@mustermann.example", "phone": "+49.2211234567",
		} {
			anna.setValue(fmt.Sprintf("#contact-form [name=%s]", field), value)
		}
		anna.setValue("#contact-form [name=street]", "Musterweg 5")
		anna.shot("contact-form")
		anna.submit("#contact-form")

		anna.click("#nav-contacts")
		Expect(anna.text("#contacts")).To(ContainSubstring("Max Mustermann"))
		anna.shot("contacts")
	})

	It("D1, D4, D3: Anna registers a domain held by that contact", func() {
		holder := contactNamed(customerNamespace, "Max Mustermann")
		anna.click("#nav-domains")
		Expect(anna.path()).To(Equal("/a/" + customer + "/domains"))
		anna.click(`a[href$="/domains/new"]`)
		anna.setValue("#domain-form [name=domainName]", "mustermann.de")
		anna.setValue("#domain-form [name=holder]", holder.Name)
		anna.setValues("#domain-form [name=nameServer]", "ns1.werbeagentur-xyz.example", "ns2.werbeagentur-xyz.example")
		anna.setValue("#domain-form [name=periodYears]", "1")
		anna.shot("domain-form")
		anna.submit("#domain-form")

		eventually(func(g Gomega) {
			domains := &clientareav1alpha1.DomainList{}
			g.Expect(admin.List(ctx, domains, client.InNamespace(customerNamespace))).To(Succeed())
			g.Expect(domains.Items).To(ContainElement(SatisfyAll(
				HaveField("Status.DomainName", "mustermann.de"),
				HaveField("Spec.HolderRef.Name", clientareav1alpha1.ObjectName(holder.Name)),
				HaveField("Status.State", clientareav1alpha1.DomainActive),
			)))
		}).Should(Succeed(), "D4: the built-in registrar registers it")

		anna.click("#nav-domains")
		domains := anna.text("#domains")
		Expect(domains).To(ContainSubstring("mustermann.de"))
		Expect(domains).To(ContainSubstring("Active"))
		anna.shot("domains")
	})

	It("I1, I6: Anna sees the invoice of the registration", func() {
		customerInvoice = invoiceOf(customerNamespace, "mustermann.de")
		anna.click("#nav-invoices")
		Expect(anna.path()).To(Equal("/a/" + customer + "/invoices"))
		invoices := anna.text("#invoices")
		Expect(invoices).To(ContainSubstring(customerInvoice.Spec.Number))
		Expect(invoices).NotTo(ContainSubstring(agencyInvoice.Spec.Number), "A5: each account's invoices in that account only")
		anna.shot("invoices")

		anna.click(`#invoices a[href$="/invoices/` + customerInvoice.Name + `"]`)
		Expect(anna.text("main")).To(SatisfyAll(ContainSubstring(customerInvoice.Spec.Number), ContainSubstring("mustermann.de")))
		anna.shot("invoice")
		Expect(anna.open("/a/" + customer + "/invoices/" + customerInvoice.Name + "/print")).To(Equal(http.StatusOK))
		anna.shot("invoice-print")
	})

	It("W6: Anna signs out, and her session is dead", func() {
		session, _ := anna.session()
		anna.open("/a/" + customer + "/") // the print view has no header
		anna.openMenuOf("#sign-out")
		anna.click("#sign-out")
		Expect(anna.has("#sign-in")).To(BeTrue())
		status, body := anna.handMadeWithCookie(session.Value, http.MethodGet, "/a/"+customer+"/invoices", nil)
		Expect(status).NotTo(Equal(http.StatusOK))
		Expect(body).NotTo(ContainSubstring(customerInvoice.Spec.Number))
	})

	It("W1, M6, W2: Bernd signs in for the first time and goes straight into the invitation's account", func() {
		By("the platform creates Bernd's User, which claims his address")
		Expect(admin.Create(ctx, &clientareav1alpha1.User{
			ObjectMeta: metav1.ObjectMeta{Name: "bernd"},
			Spec:       clientareav1alpha1.UserSpec{Email: berndEmail, DisplayName: "Bernd Weber"},
		})).To(Succeed())
		eventually(func(g Gomega) {
			user := &clientareav1alpha1.User{}
			g.Expect(admin.Get(ctx, client.ObjectKey{Name: "bernd"}, user)).To(Succeed())
			g.Expect(user.Status.Accounts).To(ConsistOf(HaveField("Account", agency)))
		}).Should(Succeed(), "M6: the invitation is active for the User who claimed the address")

		bernd = newBrowser("Bernd")
		bernd.open("/")
		bernd.click("#sign-in")
		bernd.click(`a[data-email="` + berndEmail + `"]`)
		Expect(bernd.path()).To(Equal("/a/"+agency+"/"), "W2: a user in one account goes straight in")
		Expect(bernd.text("#account")).To(ContainSubstring(agencyName))
		bernd.shot("bernd-overview")
	})

	It("W5, I6: Bernd sees only the invoices: no contacts, domains or User Management", func() {
		Expect(bernd.has("#nav-invoices")).To(BeTrue())
		for _, hidden := range []string{"#nav-contacts", "#nav-domains", "#nav-members"} {
			Expect(bernd.has(hidden)).To(BeFalse(), "W5: %s is not shown to Bernd", hidden)
		}
		bernd.click("#nav-invoices")
		invoices := bernd.text("#invoices")
		Expect(invoices).To(ContainSubstring(agencyInvoice.Spec.Number))
		Expect(invoices).NotTo(ContainSubstring(customerInvoice.Spec.Number), "A5: not the other account's")
		bernd.shot("bernd-invoices")
	})

	It("W5, W3: Bernd's hand-made requests for the contacts are refused by the API server", func() {
		contactsPath := "/namespaces/" + agencyNamespace + "/contacts"
		refusedAsBernd := func(method string) OmegaMatcher {
			return ContainElement(SatisfyAll(
				HaveField("User", berndEmail), HaveField("Method", method),
				HaveField("Path", ContainSubstring(contactsPath)), HaveField("Status", http.StatusForbidden)))
		}

		before := apiCalls.count()
		status, body := bernd.handMade(http.MethodGet, "/a/"+agency+"/contacts", nil)
		Expect(status).To(Equal(http.StatusForbidden), body)
		Expect(body).NotTo(ContainSubstring(agencyContact.Spec.Name), "W5: nothing of the contacts")
		calls := apiCalls.since(before)
		Expect(calls).To(refusedAsBernd(http.MethodGet), "W5: the API server refused the list, as Bernd")
		for _, call := range calls {
			Expect(call.User).To(Equal(berndEmail), "W3: every request for Bernd acts as Bernd: %+v", call)
		}

		before = apiCalls.count()
		status, body = bernd.handMade(http.MethodPost, "/a/"+agency+"/contacts", url.Values{
			"name": {"Mallory"}, "city": {"Berlin"}, "postalCode": {"10115"}, "countryCode": {"DE"},
			"email": {"mallory@example.com"}, "street": {"Weg 1"}, "phone": {"+49.301234"},
		})
		Expect(status).To(Equal(http.StatusForbidden), body)
		Expect(apiCalls.since(before)).To(refusedAsBernd(http.MethodPost), "W5: the API server refused the create, as Bernd")
		contacts := &clientareav1alpha1.ContactList{}
		Expect(admin.List(ctx, contacts, client.InNamespace(agencyNamespace))).To(Succeed())
		Expect(contacts.Items).NotTo(ContainElement(HaveField("Spec.Name", "Mallory")))

		Expect(bernd.open("/a/" + agency + "/contacts")).To(Equal(http.StatusForbidden))
		bernd.shot("bernd-forbidden")
	})
})

// invoiceOf waits for the invoice of a domain's registration.
func invoiceOf(namespace, domain string) clientareav1alpha1.Invoice {
	GinkgoHelper()
	var invoice clientareav1alpha1.Invoice
	eventually(func(g Gomega) {
		invoices := &clientareav1alpha1.InvoiceList{}
		g.Expect(admin.List(ctx, invoices, client.InNamespace(namespace))).To(Succeed())
		i := slices.IndexFunc(invoices.Items, func(i clientareav1alpha1.Invoice) bool { return string(i.Spec.Event.DomainName) == domain })
		g.Expect(i).NotTo(Equal(-1), "no invoice for %s yet", domain)
		invoice = invoices.Items[i]
	}).Should(Succeed(), "I1: the registration of %s is invoiced", domain)
	return invoice
}

// invitationOf is the Membership that invites an address.
func invitationOf(namespace, email string) clientareav1alpha1.Membership {
	GinkgoHelper()
	memberships := &clientareav1alpha1.MembershipList{}
	Expect(admin.List(ctx, memberships, client.InNamespace(namespace))).To(Succeed())
	i := slices.IndexFunc(memberships.Items, func(m clientareav1alpha1.Membership) bool { return string(m.Spec.Email) == email })
	Expect(i).NotTo(Equal(-1), "no Membership for %s in %s", email, namespace)
	return memberships.Items[i]
}

// contactNamed is the Contact with the given name (spec.name).
func contactNamed(namespace, name string) clientareav1alpha1.Contact {
	GinkgoHelper()
	contacts := &clientareav1alpha1.ContactList{}
	Expect(admin.List(ctx, contacts, client.InNamespace(namespace))).To(Succeed())
	i := slices.IndexFunc(contacts.Items, func(c clientareav1alpha1.Contact) bool { return c.Spec.Name == name })
	Expect(i).NotTo(Equal(-1), "no Contact named %q in %s", name, namespace)
	return contacts.Items[i]
}
