package v1alpha1_test

import (
	"errors"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

var _ = BeforeEach(func() {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNamespace}}
	Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, ns))).To(Succeed())
})

// expectInvalid asserts that err is the API server's refusal of an invalid
// object, and that one of its causes names field and says message.
func expectInvalid(err error, field, message string) {
	GinkgoHelper()
	Expect(err).To(HaveOccurred(), "the API server accepted the object; want %s refused", field)
	var status apierrors.APIStatus
	Expect(errors.As(err, &status)).To(BeTrue(), "not an API status error: %v", err)
	Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
	details := status.Status().Details
	Expect(details).NotTo(BeNil(), "no details in %v", err)
	for _, cause := range details.Causes {
		namesField := cause.Field == field || strings.HasPrefix(cause.Field, field+"[") ||
			// A rule on the whole object (about metadata.name) has no field
			// path of its own; its message names the field instead.
			((cause.Field == "" || cause.Field == "<nil>") && strings.Contains(cause.Message, field+" must"))
		if namesField && strings.Contains(cause.Message, message) {
			return
		}
	}
	Fail("no cause names " + field + " with \"" + message + "\": " + err.Error())
}

// refuse is a table entry body: creating the object (as a dry run, so that
// nothing is stored) must be refused for field with message.
func refuse(build func() client.Object, field, message string) {
	expectInvalid(k8sClient.Create(ctx, build(), client.DryRunAll), field, message)
}

var _ = Describe("Validation at admission (G2)", func() {
	DescribeTable("accepts valid objects, edge values included",
		func(build func() client.Object) {
			Expect(k8sClient.Create(ctx, build(), client.DryRunAll)).To(Succeed())
		},
		Entry("User", with(validUser, func(*clientareav1alpha1.User) {})),
		Entry("U1: User with a mixed-case, plus-addressed e-mail", with(validUser, func(u *clientareav1alpha1.User) { u.Spec.Email = "Anna.Schmidt+billing@Sub.Example.co.uk" })),
		Entry("Account", with(validAccount, func(*clientareav1alpha1.Account) {})),
		Entry("A1: Account of each type, without billing contact", with(validAccount, func(a *clientareav1alpha1.Account) {
			a.Spec.Type = clientareav1alpha1.AccountTypePerson
			a.Spec.BillingContactRef = nil
		})),
		Entry("A2: Account whose name is 50 characters", with(named(label(50), validAccount), func(*clientareav1alpha1.Account) {})),
		Entry("Membership", with(validMembership, func(*clientareav1alpha1.Membership) {})),
		Entry("M1: Membership with All alone", with(validMembership, func(m *clientareav1alpha1.Membership) {
			m.Spec.Permissions = []clientareav1alpha1.Permission{clientareav1alpha1.PermissionAll}
		})),
		Entry("M1: Membership with every single permission", with(validMembership, func(m *clientareav1alpha1.Membership) {
			m.Spec.Permissions = []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices, clientareav1alpha1.PermissionDomains, clientareav1alpha1.PermissionContacts, clientareav1alpha1.PermissionMembers}
		})),
		Entry("Contact", with(validContact, func(*clientareav1alpha1.Contact) {})),
		Entry("D6: Contact whose name is 63 characters", with(named(label(63), validContact), func(*clientareav1alpha1.Contact) {})),
		Entry("C1: Contact with only the required fields", with(validContact, func(c *clientareav1alpha1.Contact) {
			c.Spec = clientareav1alpha1.ContactDetails{Name: "M", City: "Köln", CountryCode: "DE", Email: "m@example.de"}
		})),
		Entry("C1: Contact with 3 street lines, 16-character postal code, 17-character phone", with(validContact, func(c *clientareav1alpha1.Contact) {
			c.Spec.Street = []string{"a", "b", "c"}
			c.Spec.PostalCode = strings.Repeat("9", 16)
			c.Spec.Phone = "+49.1234567890123"
		})),
		Entry("Domain", with(validDomain, func(*clientareav1alpha1.Domain) {})),
		Entry("D1: Domain named by its metadata.name", with(named("example.co.uk", validDomain), func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "" })),
		Entry("D1: Domain with an IDN A-label, 63-character labels, 10 years, 13 name servers", with(validDomain, func(d *clientareav1alpha1.Domain) {
			d.Spec.DomainName = clientareav1alpha1.DomainName("xn--mnchen-3ya." + label(63) + ".de")
			d.Spec.PeriodYears = 10
			d.Spec.NameServers = nil
			for i := range 13 {
				d.Spec.NameServers = append(d.Spec.NameServers, clientareav1alpha1.DomainName("ns"+string(rune('a'+i))+".example.net"))
			}
		})),
		Entry("D1: Domain name of 253 characters", with(validDomain, func(d *clientareav1alpha1.Domain) {
			d.Spec.DomainName = clientareav1alpha1.DomainName(label(63) + "." + label(63) + "." + label(63) + "." + label(58) + ".de")
		})),
		Entry("Invoice", with(validInvoice, func(*clientareav1alpha1.Invoice) {})),
		Entry("I3: Invoice without tax, in a currency without minor units", with(validInvoice, func(i *clientareav1alpha1.Invoice) {
			i.Spec.Currency, i.Spec.TaxRate, i.Spec.Tax, i.Spec.Total = "JPY", 0, 0, 1380
		})),
		Entry("OwnershipTransfer", with(validTransfer, func(*clientareav1alpha1.OwnershipTransfer) {})),
		Entry("T1: OwnershipTransfer that removes the previous owner", with(validTransfer, func(t *clientareav1alpha1.OwnershipTransfer) {
			t.Spec.PreviousOwner = clientareav1alpha1.PreviousOwnerRemove
		})),
		Entry("PriceList", with(validPriceList, func(*clientareav1alpha1.PriceList) {})),
	)

	DescribeTable("refuses a bad User, naming the field",
		refuse,
		Entry("U1: e-mail empty", with(validUser, func(u *clientareav1alpha1.User) { u.Spec.Email = "" }), "spec.email", "at least"),
		Entry("U1: e-mail without @", with(validUser, func(u *clientareav1alpha1.User) { u.Spec.Email = "anna.werbeagentur-xyz.example" }), "spec.email", "valid e-mail address"),
		Entry("U1: e-mail with a space", with(validUser, func(u *clientareav1alpha1.User) { u.Spec.Email = "anna schmidt@example.com" }), "spec.email", "valid e-mail address"),
		Entry("U1: e-mail without a dot in the domain", with(validUser, func(u *clientareav1alpha1.User) { u.Spec.Email = "anna@localhost" }), "spec.email", "valid e-mail address"),
		Entry("U1: e-mail with two @", with(validUser, func(u *clientareav1alpha1.User) { u.Spec.Email = "anna@xyz@example.com" }), "spec.email", "valid e-mail address"),
		Entry("U1: e-mail longer than 254 characters", with(validUser, func(u *clientareav1alpha1.User) { u.Spec.Email = clientareav1alpha1.EmailAddress(label(250) + "@x.de") }), "spec.email", "254"),
		Entry("display name longer than 255 characters", with(validUser, func(u *clientareav1alpha1.User) { u.Spec.DisplayName = label(256) }), "spec.displayName", "255"),
	)

	DescribeTable("refuses a bad Account, naming the field",
		refuse,
		Entry("A1: owner empty", with(validAccount, func(a *clientareav1alpha1.Account) { a.Spec.Owner = "" }), "spec.owner", "at least"),
		Entry("A1: owner not an object name", with(validAccount, func(a *clientareav1alpha1.Account) { a.Spec.Owner = "Anna@Example" }), "spec.owner", "must be an object name"),
		Entry("A1: type not Person, Company or Project", with(validAccount, func(a *clientareav1alpha1.Account) { a.Spec.Type = "Corporation" }), "spec.type", "Unsupported value"),
		Entry("A1: display name empty", with(validAccount, func(a *clientareav1alpha1.Account) { a.Spec.DisplayName = "" }), "spec.displayName", "at least"),
		Entry("A1: display name longer than 255 characters", with(validAccount, func(a *clientareav1alpha1.Account) { a.Spec.DisplayName = label(256) }), "spec.displayName", "255"),
		Entry("A1: contact's country not ISO 3166-1", with(validAccount, func(a *clientareav1alpha1.Account) { a.Spec.Contact.CountryCode = "XX" }), "spec.contact.countryCode", "ISO 3166-1"),
		Entry("A1: contact's e-mail invalid", with(validAccount, func(a *clientareav1alpha1.Account) { a.Spec.Contact.Email = "buchhaltung" }), "spec.contact.email", "valid e-mail address"),
		Entry("A1: contact's VAT ID malformed", with(validAccount, func(a *clientareav1alpha1.Account) { a.Spec.Contact.VATID = "123456789" }), "spec.contact.vatID", "country letters"),
		Entry("A2: name longer than 50 characters (the namespace would be too long)", with(named(label(51), validAccount), func(*clientareav1alpha1.Account) {}), "metadata.name", "at most 50 characters"),
		Entry("A2: name with a dot (not a namespace name)", with(named("werbeagentur.xyz", validAccount), func(*clientareav1alpha1.Account) {}), "metadata.name", "DNS label"),
		Entry("A7: billing contact reference without a name", with(validAccount, func(a *clientareav1alpha1.Account) { a.Spec.BillingContactRef.Name = "" }), "spec.billingContactRef.name", "at least"),
		Entry("A7: billing contact reference to a malformed account", with(validAccount, func(a *clientareav1alpha1.Account) { a.Spec.BillingContactRef.Account = "Werbeagentur XYZ" }), "spec.billingContactRef.account", "must be an object name"),
	)

	DescribeTable("refuses a bad Membership, naming the field",
		refuse,
		Entry("M1: user empty", with(validMembership, func(m *clientareav1alpha1.Membership) { m.Spec.User = "" }), "spec.user", "at least"),
		Entry("M1: user given as an e-mail address", with(validMembership, func(m *clientareav1alpha1.Membership) { m.Spec.User = "bernd@example.com" }), "spec.user", "must be an object name"),
		Entry("M1: no permissions", with(validMembership, func(m *clientareav1alpha1.Membership) { m.Spec.Permissions = []clientareav1alpha1.Permission{} }), "spec.permissions", "at least 1"),
		Entry("M1: a permission outside the vocabulary", with(validMembership, func(m *clientareav1alpha1.Membership) { m.Spec.Permissions = []clientareav1alpha1.Permission{"Admin"} }), "spec.permissions", "Unsupported value"),
		Entry("M1: All combined with another permission", with(validMembership, func(m *clientareav1alpha1.Membership) {
			m.Spec.Permissions = []clientareav1alpha1.Permission{clientareav1alpha1.PermissionAll, clientareav1alpha1.PermissionInvoices}
		}), "spec.permissions", "All already includes every permission"),
		Entry("M1: a permission twice", with(validMembership, func(m *clientareav1alpha1.Membership) {
			m.Spec.Permissions = []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices, clientareav1alpha1.PermissionInvoices}
		}), "spec.permissions", "Duplicate value"),
	)

	DescribeTable("refuses a bad Contact, naming the field",
		refuse,
		Entry("C1: name empty", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.Name = "" }), "spec.name", "at least"),
		Entry("C1: name longer than 255 characters", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.Name = label(256) }), "spec.name", "255"),
		Entry("C1: organisation longer than 255 characters", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.Organisation = label(256) }), "spec.organisation", "255"),
		Entry("C1: four street lines", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.Street = []string{"a", "b", "c", "d"} }), "spec.street", "Too many"),
		Entry("C1: an empty street line", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.Street = []string{"Musterweg 5", ""} }), "spec.street", "at least 1"),
		Entry("C1: city empty", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.City = "" }), "spec.city", "at least"),
		Entry("C1: postal code longer than 16 characters", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.PostalCode = strings.Repeat("9", 17) }), "spec.postalCode", "16"),
		Entry("C1: country as alpha-3", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.CountryCode = "DEU" }), "spec.countryCode", "2"),
		Entry("C1: country not assigned in ISO 3166-1", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.CountryCode = "XX" }), "spec.countryCode", "ISO 3166-1 alpha-2"),
		Entry("C1: country in lower case", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.CountryCode = "de" }), "spec.countryCode", "ISO 3166-1 alpha-2"),
		Entry("C1: country empty", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.CountryCode = "" }), "spec.countryCode", "at least"),
		Entry("C1: e-mail invalid", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.Email = "max@" }), "spec.email", "valid e-mail address"),
		Entry("C1: phone without the dot", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.Phone = "+492211234567" }), "spec.phone", "+CC.NUMBER"),
		Entry("C1: phone in national form", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.Phone = "0221 1234567" }), "spec.phone", "+CC.NUMBER"),
		Entry("C1: phone longer than 17 characters", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.Phone = "+49.123456789012345" }), "spec.phone", "17"),
		Entry("C1: fax with letters", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.Fax = "+49.FAX" }), "spec.fax", "+CC.NUMBER"),
		Entry("C1: VAT ID in lower case", with(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.VATID = "de123456789" }), "spec.vatID", "country letters"),
		Entry("D6: name longer than 63 characters, which cannot label the domains it holds", with(named(label(64), validContact), func(*clientareav1alpha1.Contact) {}),
			"metadata.name", "at most 63 characters"),
	)

	DescribeTable("refuses a bad Domain, naming the field",
		refuse,
		Entry("D1: upper-case domain name", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "Mustermann.DE" }), "spec.domainName", "must be lowercase"),
		Entry("D1: domain name without a top-level domain", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "mustermann" }), "spec.domainName", "fully qualified domain name"),
		Entry("D1: label starting with a hyphen", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "-mustermann.de" }), "spec.domainName", "fully qualified domain name"),
		Entry("D1: label ending with a hyphen", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "mustermann-.de" }), "spec.domainName", "fully qualified domain name"),
		Entry("D1: empty label", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "mustermann..de" }), "spec.domainName", "fully qualified domain name"),
		Entry("D1: trailing dot", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "mustermann.de." }), "spec.domainName", "fully qualified domain name"),
		Entry("D1: underscore", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "muster_mann.de" }), "spec.domainName", "fully qualified domain name"),
		Entry("D1: numeric top-level domain", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "mustermann.123" }), "spec.domainName", "alphabetic top-level domain"),
		Entry("D1: Unicode instead of an A-label", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "münchen.de" }), "spec.domainName", "fully qualified domain name"),
		Entry("D1: label of 64 characters", with(validDomain, func(d *clientareav1alpha1.Domain) {
			d.Spec.DomainName = clientareav1alpha1.DomainName(label(64) + ".de")
		}), "spec.domainName", "at most 63 characters"),
		Entry("D1: name longer than 253 characters", with(validDomain, func(d *clientareav1alpha1.Domain) {
			d.Spec.DomainName = clientareav1alpha1.DomainName(label(63) + "." + label(63) + "." + label(63) + "." + label(60) + ".de")
		}), "spec.domainName", "253"),
		Entry("D1: metadata.name not a domain name and no spec.domainName", with(named("my-domain", validDomain), func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "" }), "metadata.name", "fully qualified domain name"),
		Entry("D1: holder empty", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.HolderRef.Name = "" }), "spec.holderRef.name", "at least"),
		Entry("D6: holder name longer than 63 characters, which cannot be a label", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(label(64)) }),
			"spec.holderRef.name", "at most 63 characters"),
		Entry("D1: period shorter than 1 year", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.PeriodYears = -1 }), "spec.periodYears", "greater than or equal to 1"),
		Entry("R4: transfer code shorter than 6 characters", with(validDomain, func(d *clientareav1alpha1.Domain) {
			d.Spec.TransferIn = &clientareav1alpha1.DomainTransferIn{AuthCode: "abc"}
		}), "spec.transferIn.authCode", "at least 6"),
		Entry("R4: transfer code generation below 0", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.TransferCodeGeneration = -1 }),
			"spec.transferCodeGeneration", "greater than or equal to 0"),
		Entry("D1: period of 11 years", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.PeriodYears = 11 }), "spec.periodYears", "less than or equal to 10"),
		Entry("D1: one name server", with(validDomain, func(d *clientareav1alpha1.Domain) {
			d.Spec.NameServers = []clientareav1alpha1.DomainName{"ns1.example.net"}
		}), "spec.nameServers", "at least 2"),
		Entry("D1: fourteen name servers", with(validDomain, func(d *clientareav1alpha1.Domain) {
			for i := range 12 {
				d.Spec.NameServers = append(d.Spec.NameServers, clientareav1alpha1.DomainName("ns"+string(rune('c'+i))+".example.net"))
			}
		}), "spec.nameServers", "Too many"),
		Entry("D1: a name server that is not a host name", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.NameServers[1] = "ns2" }), "spec.nameServers", "fully qualified domain name"),
		Entry("D1: the same name server twice", with(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.NameServers[1] = d.Spec.NameServers[0] }), "spec.nameServers", "Duplicate value"),
	)

	DescribeTable("refuses a bad Invoice, naming the field",
		refuse,
		Entry("I2: number in lower case", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Number = "inv-2026-1" }), "spec.number", "upper-case letters and digits"),
		Entry("I2: sequence 0", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Sequence = 0 }), "spec.sequence", "greater than or equal to 1"),
		Entry("I3: no lines", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Lines = nil }), "spec.lines", "Required value"),
		Entry("I3: line amount is not quantity × unit price", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Lines[0].Amount = 1381 }), "spec.lines[0]", "amount must equal quantity × unitPrice"),
		Entry("I3: negative unit price", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Lines[0].UnitPrice = -690 }), "spec.lines[0].unitPrice", "greater than or equal to 0"),
		Entry("I3: net is not the sum of the lines", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Net = 1300 }), "spec.net", "sum of the line amounts"),
		Entry("I3: tax is not net × rate", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Tax = 263 }), "spec.tax", "rounded half up"),
		Entry("I3: total is not net + tax", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Total = 1700 }), "spec.total", "spec.net + spec.tax"),
		Entry("I3: currency not ISO 4217", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Currency = "XYZ" }), "spec.currency", "ISO 4217"),
		Entry("I3: currency spelled out", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Currency = "EURO" }), "spec.currency", "3"),
		Entry("I3: tax rate above 100 %", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.TaxRate = 10001 }), "spec.taxRate", "less than or equal to 10000"),
		Entry("I4: recipient's country not ISO 3166-1", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.BillTo.CountryCode = "EU" }), "spec.billTo.countryCode", "ISO 3166-1"),
		Entry("I1: event type unknown", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Event.Type = "DomainRestore" }), "spec.event.type", "Unsupported value"),
		Entry("I1: period ending before it starts", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Event.PeriodEnd = i.Spec.Event.PeriodStart }), "spec.event.periodEnd", "after spec.event.periodStart"),
		Entry("I1: idempotency key empty", with(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Event.IdempotencyKey = "" }), "spec.event.idempotencyKey", "at least"),
	)

	DescribeTable("refuses a bad OwnershipTransfer, naming the field",
		refuse,
		Entry("T1: account empty", with(validTransfer, func(t *clientareav1alpha1.OwnershipTransfer) { t.Spec.Account = "" }), "spec.account", "at least"),
		Entry("T1: new owner empty", with(validTransfer, func(t *clientareav1alpha1.OwnershipTransfer) { t.Spec.NewOwner = "" }), "spec.newOwner", "at least"),
		Entry("T1: new owner is the requester", with(validTransfer, func(t *clientareav1alpha1.OwnershipTransfer) { t.Spec.NewOwner = "anna" }), "spec.newOwner", "must differ from spec.requestedBy"),
		Entry("T1: ticket empty", with(validTransfer, func(t *clientareav1alpha1.OwnershipTransfer) { t.Spec.Ticket = "" }), "spec.ticket", "at least"),
		Entry("T1: ticket longer than 128 characters", with(validTransfer, func(t *clientareav1alpha1.OwnershipTransfer) { t.Spec.Ticket = label(129) }), "spec.ticket", "128"),
		Entry("T1: unknown previous-owner policy", with(validTransfer, func(t *clientareav1alpha1.OwnershipTransfer) { t.Spec.PreviousOwner = "Delete" }), "spec.previousOwner", "Unsupported value"),
	)

	DescribeTable("refuses a bad PriceList, naming the field",
		refuse,
		Entry("I5: currency not ISO 4217", with(validPriceList, func(p *clientareav1alpha1.PriceList) { p.Spec.Currency = "ABC" }), "spec.currency", "ISO 4217"),
		Entry("I5: negative tax rate", with(validPriceList, func(p *clientareav1alpha1.PriceList) { p.Spec.TaxRate = -1 }), "spec.taxRate", "greater than or equal to 0"),
		Entry("I5: no prices", with(validPriceList, func(p *clientareav1alpha1.PriceList) { p.Spec.Domains = []clientareav1alpha1.TLDPrice{} }), "spec.domains", "at least 1"),
		Entry("I5: TLD with a leading dot", with(validPriceList, func(p *clientareav1alpha1.PriceList) { p.Spec.Domains[0].TLD = ".de" }), "spec.domains[0].tld", "without a leading dot"),
		Entry("I5: TLD in upper case", with(validPriceList, func(p *clientareav1alpha1.PriceList) { p.Spec.Domains[0].TLD = "DE" }), "spec.domains[0].tld", "lowercase top-level domain"),
		Entry("I5: the same TLD twice", with(validPriceList, func(p *clientareav1alpha1.PriceList) { p.Spec.Domains[1].TLD = "de" }), "spec.domains[1]", "Duplicate value"),
		Entry("I5: negative price", with(validPriceList, func(p *clientareav1alpha1.PriceList) { p.Spec.Domains[0].RenewalPerYear = -690 }), "spec.domains[0].renewalPerYear", "greater than or equal to 0"),
	)
})
