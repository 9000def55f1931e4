package controller_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/fixtures"
)

// newDomain is a Domain for name in the account, held by holder.
func newDomain(namespace, name, holder string, years int32) *clientareav1alpha1.Domain {
	domain := fixtures.Domain(namespace)
	domain.GenerateName, domain.Name = "", name
	domain.Spec.DomainName = ""
	domain.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(holder)
	domain.Spec.PeriodYears = years
	return domain
}

// newHolder creates a Contact in the account to hold domains.
func newHolder(namespace, name string) *clientareav1alpha1.Contact {
	GinkgoHelper()
	holder := fixtures.Contact(namespace)
	holder.GenerateName, holder.Name = "", unique("holder")
	holder.Spec.Name = name
	create(holder)
	return holder
}

// invoiced waits until every billable event of the domain has its invoice.
func invoiced(domain *clientareav1alpha1.Domain) {
	GinkgoHelper()
	Eventually(condition(domain, func() []metav1.Condition { return domain.Status.Conditions }, clientareav1alpha1.DomainConditionInvoiced)).
		WithTimeout(60 * time.Second).WithPolling(100 * time.Millisecond).
		Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.DomainReasonInvoiced))
}

// invoicesOf lists the invoices that bill a domain, as an administrator.
func invoicesOf(domain *clientareav1alpha1.Domain) []clientareav1alpha1.Invoice {
	GinkgoHelper()
	invoices := &clientareav1alpha1.InvoiceList{}
	Expect(k8sClient.List(ctx, invoices, client.InNamespace(domain.Namespace))).To(Succeed())
	var of []clientareav1alpha1.Invoice
	for _, invoice := range invoices.Items {
		if string(invoice.Spec.Event.Domain) == domain.Name {
			of = append(of, invoice)
		}
	}
	return of
}

// invoicesInYear lists every invoice of the year's series, cluster-wide,
// ordered by number.
func invoicesInYear(year int) []clientareav1alpha1.Invoice {
	GinkgoHelper()
	invoices := &clientareav1alpha1.InvoiceList{}
	Expect(k8sClient.List(ctx, invoices)).To(Succeed())
	var inYear []clientareav1alpha1.Invoice
	for _, invoice := range invoices.Items {
		if strings.HasPrefix(invoice.Spec.Number, fmt.Sprintf("INV-%d-", year)) {
			inYear = append(inYear, invoice)
		}
	}
	slices.SortFunc(inYear, func(a, b clientareav1alpha1.Invoice) int { return int(a.Spec.Sequence - b.Spec.Sequence) })
	return inYear
}

// expectGaplessSeries asserts that the year's series holds exactly the
// numbers 1 to want, each reserved once and used by exactly one invoice
// under that number (I2).
func expectGaplessSeries(year, want int) {
	GinkgoHelper()
	claims := &clientareav1alpha1.NumberClaimList{}
	Expect(k8sClient.List(ctx, claims, client.MatchingLabels{clientareav1alpha1.SeriesLabel: fmt.Sprintf("invoice-%d", year)})).To(Succeed())
	reserved := map[int64]string{}
	for _, claim := range claims.Items {
		reserved[claim.Spec.Number] = claim.Spec.Event
	}
	invoices := invoicesInYear(year)
	Expect(invoices).To(HaveLen(want), "one invoice per number")
	Expect(reserved).To(HaveLen(want), "no number reserved without its invoice")
	for i, invoice := range invoices {
		Expect(invoice.Spec.Sequence).To(Equal(int64(i+1)), "numbers 1 to %d without gap or duplicate", want)
		Expect(invoice.Spec.Number).To(Equal(fmt.Sprintf("INV-%d-%06d", year, i+1)))
		Expect(reserved).To(HaveKeyWithValue(invoice.Spec.Sequence, invoice.Spec.Event.IdempotencyKey), "the number was reserved for the event it bills")
	}
}

// billToOwnContact creates a Contact named billing in the account and makes
// it the account's invoice recipient (A7).
func billToOwnContact(s memberSetup, name string) *clientareav1alpha1.Contact {
	GinkgoHelper()
	billing := fixtures.Contact(s.namespace)
	billing.GenerateName, billing.Name = "", "billing"
	billing.Spec.Name, billing.Spec.City = name, "Hamburg"
	create(billing)
	change(s.account, func(a *clientareav1alpha1.Account) {
		a.Spec.BillingContactRef = &clientareav1alpha1.BillingContactReference{Name: "billing"}
	})
	eventually(condition(s.account, func() []metav1.Condition { return s.account.Status.Conditions }, clientareav1alpha1.AccountConditionBillingContactResolved)).
		Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.AccountReasonBillingContactFound))
	return billing
}

// setClockTo moves the operator's clock for the rest of the test. A year in
// the past gives a test a series of invoice numbers of its own; periods long
// enough to end after today keep the domains from renewing when the clock
// is set back.
func setClockTo(t time.Time) {
	moveClockFor(time.Now())
	testClock.SetTime(t)
}

var _ = Describe("Invoices", func() {
	It("I1, I3, I4, D3: a registration is invoiced once, to the account's invoice recipient and not the domain's holder, at the PriceList's price", func() {
		s := newMemberSetup()
		billing := billToOwnContact(s, "Buchhaltung XYZ")

		holder := newHolder(s.namespace, "Max Mustermann")
		domain := newDomain(s.namespace, unique("mustermann")+".de", holder.Name, 2)
		create(domain)
		invoiced(domain)

		invoices := invoicesOf(domain)
		Expect(invoices).To(HaveLen(1))
		invoice := invoices[0]
		Expect(invoice.Spec.BillTo.Name).To(Equal("Buchhaltung XYZ"), "D3: the account's billing contact, not the holder")
		Expect(invoice.Spec.BillTo.Source).To(Equal("contact/" + s.account.Name + "/billing"))
		Expect(invoice.Spec.Account).To(Equal(clientareav1alpha1.ObjectName(s.account.Name)))
		Expect(invoice.Spec.Event.Type).To(Equal(clientareav1alpha1.EventDomainRegistration))
		Expect(invoice.Spec.Event.PeriodStart.Time).To(BeTemporally("==", domain.Status.RegisteredAt.Time))
		Expect(invoice.Spec.Event.PeriodEnd.Time).To(BeTemporally("==", domain.Status.ExpiresAt.Time))
		Expect(invoice.Spec.Currency).To(Equal(clientareav1alpha1.CurrencyCode("EUR")))
		Expect(invoice.Spec.Lines).To(ConsistOf(clientareav1alpha1.InvoiceLine{
			Description: domain.Name + " registration, 2 years", Quantity: 2, UnitPrice: deRegistration, Amount: 2 * deRegistration,
		}))
		Expect([]clientareav1alpha1.AmountMinor{invoice.Spec.Net, invoice.Spec.Tax, invoice.Spec.Total}).To(Equal([]clientareav1alpha1.AmountMinor{1380, 262, 1642}),
			"I3: net 2 x 6.90, tax 19 %% rounded half up, total")
		Expect(invoice.Spec.Number).To(MatchRegexp(`^INV-\d{4}-\d{6}$`))
		Expect(invoice.Name).To(Equal(strings.ToLower(invoice.Spec.Number)))
		Expect(apimeta.IsStatusConditionTrue(invoice.Status.Conditions, clientareav1alpha1.ConditionReady)).To(BeTrue())
		Expect(domain.Status.Billing).To(ConsistOf(HaveField("Invoice", invoice.Name)))

		By("I4, C2: editing the billing contact afterwards changes no issued invoice")
		change(billing, func(c *clientareav1alpha1.Contact) { c.Spec.City = "Köln" })
		waitForQuiet()
		Expect(invoicesOf(domain)).To(ConsistOf(HaveField("Spec", invoice.Spec)))
	})

	It("I1: a period stored before its invoice is issued says Invoiced=False (InvoicePending) until the invoice exists, and is then invoiced once", func() {
		s := newMemberSetup()
		By("the API server refuses every invoice in the account, for a while")
		name := unique("hold-invoices")
		policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				FailurePolicy: ptr.To(admissionregistrationv1.Fail),
				MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
					RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
						Rule:       admissionregistrationv1.Rule{APIGroups: []string{"clientarea.dev"}, APIVersions: []string{"*"}, Resources: []string{"invoices"}},
					},
				}}},
				Validations: []admissionregistrationv1.Validation{{
					Expression: "object.metadata.namespace != '" + s.namespace + "'", Message: "invoices are held by this test",
				}},
			},
		}
		binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: name,
				ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}}
		create(policy)
		create(binding)
		DeferCleanup(func() {
			Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, binding))).To(Succeed())
			Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, policy))).To(Succeed())
		})
		probe := fixtures.Invoice(s.namespace)
		probe.GenerateName, probe.Name = "", "inv-2026-000001"
		eventually(func() error { return k8sClient.Create(ctx, probe, client.DryRunAll) }).Should(MatchError(ContainSubstring("invoices are held by this test")))

		holder := newHolder(s.namespace, "Max Mustermann")
		domain := newDomain(s.namespace, unique("pending")+".de", holder.Name, 1)
		create(domain)
		pending := func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain)).To(Succeed())
			g.Expect(domain.Status.Billing).To(ConsistOf(HaveField("Invoice", "")), "the registration's period, stored without its invoice")
			g.Expect(apimeta.FindStatusCondition(domain.Status.Conditions, string(clientareav1alpha1.DomainConditionInvoiced))).
				To(haveStatus(metav1.ConditionFalse, clientareav1alpha1.DomainReasonInvoicePending))
		}
		By("the registration's period is stored, and the Domain says its invoice is pending")
		eventually(pending).Should(Succeed())
		consistently(pending).WithTimeout(time.Second).Should(Succeed())
		Expect(invoicesOf(domain)).To(BeEmpty())

		By("once invoices may be made again, the period is invoiced, once")
		Expect(k8sClient.Delete(ctx, binding)).To(Succeed())
		invoiced(domain)
		Expect(invoicesOf(domain)).To(HaveLen(1))
		Expect(domain.Status.Billing).To(ConsistOf(HaveField("Invoice", invoicesOf(domain)[0].Name)))
	})

	It("I1, D4: a renewal is invoiced once, at the renewal price, for the period it adds", func() {
		s := newMemberSetup()
		holder := newHolder(s.namespace, "Max Mustermann")
		domain := newDomain(s.namespace, unique("renewing")+".de", holder.Name, 1)
		create(domain)
		invoiced(domain)
		registeredUntil := domain.Status.ExpiresAt.Time

		moveClockFor(time.Now())
		testClock.SetTime(registeredUntil.Add(-controller.RenewBefore + time.Hour))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain)).To(Succeed())
		touched := domain.DeepCopy()
		touched.Annotations = map[string]string{"test": "renew-now"}
		Expect(k8sClient.Patch(ctx, touched, client.MergeFrom(domain))).To(Succeed())
		eventually(func(g Gomega) []clientareav1alpha1.Invoice {
			stateOf(domain)(g)
			return invoicesOf(domain)
		}).Should(HaveLen(2))
		invoiced(domain)

		var renewal *clientareav1alpha1.Invoice
		for _, invoice := range invoicesOf(domain) {
			if invoice.Spec.Event.Type == clientareav1alpha1.EventDomainRenewal {
				renewal = &invoice
			}
		}
		Expect(renewal).NotTo(BeNil())
		Expect(renewal.Spec.Event.PeriodStart.Time).To(BeTemporally("==", registeredUntil), "the renewal pays from the old expiry")
		Expect(renewal.Spec.Event.PeriodEnd.Time).To(BeTemporally("==", domain.Status.ExpiresAt.Time))
		Expect(renewal.Spec.Lines).To(ConsistOf(HaveField("UnitPrice", clientareav1alpha1.AmountMinor(deRenewal))))
		waitForQuiet()
		Expect(invoicesOf(domain)).To(HaveLen(2), "exactly one invoice per event")
	})

	It("I5: a domain whose top-level domain has no price waits with a condition, its deletion too, and is invoiced once one PriceList prices it", func() {
		s := newMemberSetup()
		holder := newHolder(s.namespace, "Max Mustermann")
		tld := unique("tld")
		domain := newDomain(s.namespace, "example."+tld, holder.Name, 1)
		create(domain)
		invoicedCondition := condition(domain, func() []metav1.Condition { return domain.Status.Conditions }, clientareav1alpha1.DomainConditionInvoiced)
		eventually(invoicedCondition).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.BillingHoldPriceMissing))
		Expect(invoicedCondition(Default).Message).To(ContainSubstring("no PriceList has a price for example." + tld))
		Expect(domain.Status.State).To(Equal(clientareav1alpha1.DomainActive), "the domain is registered all the same")

		By("A8, I1: deleting the domain waits for its invoice")
		Expect(k8sClient.Delete(ctx, domain)).To(Succeed())
		consistently(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain) }).Should(Succeed())

		By("a TLD that two lists price has no price either")
		ambiguousTLD := unique("tld")
		prices := func(perYear clientareav1alpha1.AmountMinor) *clientareav1alpha1.PriceList {
			list := fixtures.PriceList()
			list.Spec.Domains = []clientareav1alpha1.TLDPrice{{TLD: ambiguousTLD, RegistrationPerYear: perYear, RenewalPerYear: perYear}}
			create(list)
			return list
		}
		first, second := prices(1000), prices(2000)
		eventually(condition(second, func() []metav1.Condition { return second.Status.Conditions }, clientareav1alpha1.ConditionReady)).
			Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.PriceListReasonTLDPricedTwice))
		ambiguous := newDomain(s.namespace, "example."+ambiguousTLD, holder.Name, 1)
		create(ambiguous)
		eventually(condition(ambiguous, func() []metav1.Condition { return ambiguous.Status.Conditions }, clientareav1alpha1.DomainConditionInvoiced)).
			Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.BillingHoldPriceAmbiguous))
		Expect(invoicesOf(ambiguous)).To(BeEmpty(), "no invoice with a price picked at random")

		By("one list prices the missing TLD: the waiting domain is invoiced, then deleted")
		change(second, func(p *clientareav1alpha1.PriceList) {
			p.Spec.Domains = append(p.Spec.Domains, clientareav1alpha1.TLDPrice{TLD: tld, RegistrationPerYear: 3000, RenewalPerYear: 3000})
		})
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain) }).Should(Satisfy(isNotFound))
		Expect(invoicesOf(domain)).To(ConsistOf(HaveField("Spec.Lines", ConsistOf(HaveField("UnitPrice", clientareav1alpha1.AmountMinor(3000))))))

		By("the other list goes: the ambiguous TLD has one price")
		Expect(k8sClient.Delete(ctx, first)).To(Succeed())
		invoiced(ambiguous)
		Expect(invoicesOf(ambiguous)).To(ConsistOf(HaveField("Spec.Lines", ConsistOf(HaveField("UnitPrice", clientareav1alpha1.AmountMinor(2000))))))
		eventually(condition(second, func() []metav1.Condition { return second.Status.Conditions }, clientareav1alpha1.ConditionReady)).
			Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.ReasonReady))
	})

	It("I1, I2: killed at any step between reserving a number and recording the invoice, the operator ends with exactly one invoice per event and no gap", func() {
		year := 2024
		setClockTo(time.Date(year, 12, 1, 9, 0, 0, 0, time.UTC))
		s := newMemberSetup()
		holder := newHolder(s.namespace, "Max Mustermann")
		steps := []struct {
			name string
			dies func(name string) func(verb string, obj client.Object) bool
		}{
			{"recording the registration period", func(name string) func(string, client.Object) bool {
				return func(verb string, obj client.Object) bool {
					d, ok := obj.(*clientareav1alpha1.Domain)
					return ok && verb == "patch status" && d.Name == name && len(d.Status.Billing) > 0 && d.Status.Billing[0].Invoice == ""
				}
			}},
			{"reserving the number", func(name string) func(string, client.Object) bool {
				return func(verb string, obj client.Object) bool {
					c, ok := obj.(*clientareav1alpha1.NumberClaim)
					return ok && verb == "create" && c.Spec.HolderName == name
				}
			}},
			{"creating the invoice", func(name string) func(string, client.Object) bool {
				return func(verb string, obj client.Object) bool {
					i, ok := obj.(*clientareav1alpha1.Invoice)
					return ok && verb == "create" && string(i.Spec.Event.Domain) == name
				}
			}},
			{"marking the invoice issued", func(name string) func(string, client.Object) bool {
				return func(verb string, obj client.Object) bool {
					i, ok := obj.(*clientareav1alpha1.Invoice)
					return ok && verb == "patch status" && string(i.Spec.Event.Domain) == name
				}
			}},
			{"recording the invoice on the Domain", func(name string) func(string, client.Object) bool {
				return func(verb string, obj client.Object) bool {
					d, ok := obj.(*clientareav1alpha1.Domain)
					return ok && verb == "patch status" && d.Name == name && len(d.Status.Billing) > 0 && d.Status.Billing[0].Invoice != ""
				}
			}},
		}
		const events = 25
		seed := GinkgoRandomSeed()
		random := rand.New(rand.NewPCG(uint64(seed), 5))
		crashes := map[string]int{}
		for i := range events {
			step := steps[i%len(steps)] // every step once, then steps at random
			if i >= len(steps) {
				step = steps[random.IntN(len(steps))]
			}
			domain := newDomain(s.namespace, fmt.Sprintf("crash-%d-%s.de", i, strings.ToLower(s.account.Name)), holder.Name, int32(3))
			crashed := crashWhen(step.dies(domain.Name))
			create(domain)
			invoiced(domain)
			Expect(crashed()).To(BeTrue(), "the operator died while %s", step.name)
			Expect(invoicesOf(domain)).To(HaveLen(1), "exactly one invoice for %s after dying while %s", domain.Name, step.name)
			crashes[step.name]++
		}
		GinkgoWriter.Printf("crash points (seed %d): %v\n", seed, crashes)
		waitForQuiet()
		expectGaplessSeries(year, events)
	})

	It("I3, I1: an invoice issued just before a crash stands, even when its recipient can no longer be resolved after the restart", func() {
		s := newMemberSetup()
		billToOwnContact(s, "Buchhaltung")
		holder := newHolder(s.namespace, "Max Mustermann")
		domain := newDomain(s.namespace, unique("issued")+".de", holder.Name, 1)

		By("the operator dies after creating the invoice, and meanwhile the account's billing contact is pointed at one that does not exist")
		crashed := crashWhen(func(verb string, obj client.Object) bool {
			issued, ok := obj.(*clientareav1alpha1.Invoice)
			if !ok || verb != "patch status" || string(issued.Spec.Event.Domain) != domain.Name {
				return false
			}
			// Called on the operator's goroutine: a failed patch shows
			// below, as a billing contact that is still found.
			repointed := s.account.DeepCopy()
			repointed.Spec.BillingContactRef.Name = "gone"
			_ = k8sClient.Patch(ctx, repointed, client.MergeFrom(s.account))
			return true
		})
		create(domain)
		invoiced(domain)
		Expect(crashed()).To(BeTrue())
		eventually(condition(s.account, func() []metav1.Condition { return s.account.Status.Conditions }, clientareav1alpha1.AccountConditionBillingContactResolved)).
			Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.BillingHoldBillingContactNotFound))
		invoices := invoicesOf(domain)
		Expect(invoices).To(HaveLen(1))
		Expect(invoices[0].Spec.BillTo.Source).To(Equal("contact/"+s.account.Name+"/billing"), "the invoice as it was issued")
		Expect(apimeta.IsStatusConditionTrue(invoices[0].Status.Conditions, clientareav1alpha1.ConditionReady)).To(BeTrue())
		Expect(domain.Status.Billing).To(ConsistOf(HaveField("Invoice", invoices[0].Name)))
	})

	It("I2: 200 domains registered at once across 20 accounts get 200 invoices numbered 1 to 200, without gap or duplicate, though the claim of number 7 fails, again and again, while later ones are made", func() {
		year := 2025
		setClockTo(time.Date(year, 6, 1, 9, 0, 0, 0, time.UTC))
		owner := newUser(unique("reseller"), unique("reseller")+"@example.com")
		create(owner)
		var accounts []*clientareav1alpha1.Account
		for range 20 {
			account := newAccount(unique("bulk"), owner.Name)
			create(account)
			accounts = append(accounts, account)
		}
		var domains []*clientareav1alpha1.Domain
		for _, account := range accounts {
			eventuallyReady(account)
			namespace := namespacePrefix + account.Name
			holder := newHolder(namespace, "Kunde "+account.Name)
			for j := range 10 {
				domains = append(domains, newDomain(namespace, fmt.Sprintf("bulk-%d-%s.de", j, account.Name), holder.Name, 2))
			}
		}
		// Numbers are reserved in groups created at once: the claim of 7
		// fails on every try of its reservation, those after it in its
		// group are made, and the hole is filled by a later reservation.
		failWrites("create", &clientareav1alpha1.NumberClaim{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("invoice-%d-%012d", year, 7)}}, 0, 4)
		var objects []client.Object
		for _, domain := range domains {
			objects = append(objects, domain)
		}
		createAtOnce(objects...)
		for _, domain := range domains {
			invoiced(domain)
			Expect(invoicesOf(domain)).To(HaveLen(1))
		}
		Expect(faultPending()).To(BeFalse(), "the claim of number 7 failed on each of its 4 tries")
		waitForQuiet()
		expectGaplessSeries(year, len(domains))
	})

	It("A7, D3: the agency story: two customer accounts of one agency bill to the agency's contact; after one moves to another owner, its next invoice waits and the Account says why", func() {
		agencyUser := newUser(unique("agency"), unique("agency")+"@werbeagentur-xyz.example")
		customerUser := newUser(unique("customer"), unique("customer")+"@mustermann.example")
		create(agencyUser)
		create(customerUser)
		agency := newAccount(unique("agency"), agencyUser.Name)
		create(agency)
		eventuallyReady(agency)
		agencyBilling := fixtures.Contact(namespacePrefix + agency.Name)
		agencyBilling.GenerateName, agencyBilling.Name = "", "agency-billing"
		agencyBilling.Spec.Name = "Werbeagentur XYZ GmbH"
		create(agencyBilling)

		customers := make([]*clientareav1alpha1.Account, 2)
		for i := range customers {
			customers[i] = newAccount(unique("customer"), agencyUser.Name)
			customers[i].Spec.BillingContactRef = &clientareav1alpha1.BillingContactReference{Account: clientareav1alpha1.ObjectName(agency.Name), Name: "agency-billing"}
			create(customers[i])
			eventuallyReady(customers[i])
		}
		register := func(account *clientareav1alpha1.Account) *clientareav1alpha1.Domain {
			namespace := namespacePrefix + account.Name
			domain := newDomain(namespace, unique("kunde")+".de", newHolder(namespace, "Max Mustermann").Name, 1)
			create(domain)
			return domain
		}
		for _, customer := range customers {
			domain := register(customer)
			invoiced(domain)
			Expect(invoicesOf(domain)).To(ConsistOf(HaveField("Spec.BillTo.Source", "contact/"+agency.Name+"/agency-billing")),
				"A7: the agency pays for its customers' accounts")
		}

		By("T1: the second customer account moves to the customer")
		moved := customers[1]
		transfer := &clientareav1alpha1.OwnershipTransfer{
			ObjectMeta: metav1.ObjectMeta{Name: unique("transfer")},
			Spec: clientareav1alpha1.OwnershipTransferSpec{
				Account: clientareav1alpha1.ObjectName(moved.Name), NewOwner: clientareav1alpha1.ObjectName(customerUser.Name), RequestedBy: clientareav1alpha1.ObjectName(agencyUser.Name),
				Ticket: "SUP-4712", PreviousOwner: clientareav1alpha1.PreviousOwnerRemove,
			},
		}
		create(transfer)
		finishedAs(transfer, clientareav1alpha1.TransferCompleted)

		billingContact := condition(moved, func() []metav1.Condition { return moved.Status.Conditions }, clientareav1alpha1.AccountConditionBillingContactResolved)
		eventually(billingContact).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.BillingHoldBillingContactNotAllowed))
		Expect(billingContact(Default).Message).To(And(ContainSubstring("agency-billing"), ContainSubstring(agencyUser.Name), ContainSubstring(customerUser.Name)))
		Expect(apimeta.FindStatusCondition(moved.Status.Conditions, clientareav1alpha1.ConditionReady)).To(haveStatus(metav1.ConditionFalse, clientareav1alpha1.BillingHoldBillingContactNotAllowed))

		held := register(moved)
		heldInvoiced := condition(held, func() []metav1.Condition { return held.Status.Conditions }, clientareav1alpha1.DomainConditionInvoiced)
		eventually(heldInvoiced).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.BillingHoldBillingContactNotAllowed))
		stillAgency := register(customers[0])
		invoiced(stillAgency)
		Expect(invoicesOf(stillAgency)).To(ConsistOf(HaveField("Spec.BillTo.Source", "contact/"+agency.Name+"/agency-billing")),
			"the account the agency still owns keeps billing to it")
		Expect(invoicesOf(held)).To(BeEmpty(), "A7: never to the agency's contact")

		By("the new owner bills to the account's own contact: the waiting invoice is issued to it")
		change(moved, func(a *clientareav1alpha1.Account) { a.Spec.BillingContactRef = nil })
		invoiced(held)
		Expect(invoicesOf(held)).To(ConsistOf(HaveField("Spec.BillTo.Source", "account/"+moved.Name)))
		eventually(billingContact).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.AccountReasonAccountContact))
	})

	It("I6: owners and invoice members read invoices; domain members and outsiders cannot; nobody in the account may create, change or delete one", func() {
		s := newMemberSetup()
		domainMember := newUser(unique("domains"), unique("domains")+"@agency.example")
		create(domainMember)
		create(s.membership("invoices", s.member.Name, clientareav1alpha1.PermissionInvoices))
		create(s.membership("domains", domainMember.Name, clientareav1alpha1.PermissionDomains))
		domain := activeDomain(s)
		invoiced(domain)
		invoice := invoicesOf(domain)[0]

		for _, who := range []struct {
			name, email string
			reads       bool
		}{
			{"owner", string(s.owner.Spec.Email), true},
			{"invoice member", string(s.member.Spec.Email), true},
			{"domain member", string(domainMember.Spec.Email), false},
			{"outsider", unique("outsider") + "@example.com", false},
		} {
			c, err := env.ClientAs(who.email)
			Expect(err).NotTo(HaveOccurred())
			read := &clientareav1alpha1.Invoice{}
			if who.reads {
				eventually(func() error { return c.Get(ctx, client.ObjectKeyFromObject(&invoice), read) }).Should(Succeed(), who.name)
				Expect(read.Spec).To(Equal(invoice.Spec))
				Expect(c.List(ctx, &clientareav1alpha1.InvoiceList{}, client.InNamespace(s.namespace))).To(Succeed(), who.name)
			} else {
				Expect(c.Get(ctx, client.ObjectKeyFromObject(&invoice), read)).To(Satisfy(isForbidden), who.name)
				Expect(c.List(ctx, &clientareav1alpha1.InvoiceList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), who.name)
			}
			forged := fixtures.Invoice(s.namespace)
			Expect(c.Create(ctx, forged)).To(Satisfy(isForbidden), who.name+" creates")
			changed := invoice.DeepCopy()
			changed.Labels = map[string]string{"paid": "yes"}
			Expect(c.Update(ctx, changed)).To(Satisfy(isForbidden), who.name+" updates")
			Expect(c.Delete(ctx, invoice.DeepCopy())).To(Satisfy(isForbidden), who.name+" deletes")
		}

		By("I6, A8: a user whom RBAC lets write invoices (a role made too wide) is refused by the admission policy")
		wide := unique("wide-role")
		create(&rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: wide},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"invoices"}, Verbs: []string{"*"}}},
		})
		create(&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: wide, Namespace: s.namespace},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: wide},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "bookkeeper@example.com"}},
		})
		bookkeeper, err := env.ClientAs("bookkeeper@example.com")
		Expect(err).NotTo(HaveOccurred())
		eventually(func() error {
			return bookkeeper.Get(ctx, client.ObjectKeyFromObject(&invoice), &clientareav1alpha1.Invoice{})
		}).Should(Succeed())
		err = bookkeeper.Create(ctx, fixtures.Invoice(s.namespace))
		Expect(err).To(Satisfy(isForbidden))
		Expect(err.Error()).To(ContainSubstring("invoices are issued only by the clientarea operator"))
		err = bookkeeper.Delete(ctx, invoice.DeepCopy())
		Expect(err).To(Satisfy(isForbidden))
		Expect(err.Error()).To(ContainSubstring(invoice.Spec.Number + " is an issued invoice and is never deleted"))
		changed := invoice.DeepCopy()
		changed.Spec.Total++
		Expect(bookkeeper.Update(ctx, changed)).To(MatchError(ContainSubstring("an issued invoice never changes")), "I3")
	})
})
