package controller_test

import (
	"fmt"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/eppregistry"
	"clientarea.dev/clientarea-operator/internal/fixtures"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

// euDomain is a Domain of the test registry's TLD in the account, held by a
// new Contact; created, not yet waited for.
func euDomain(s memberSetup, prefix string) *clientareav1alpha1.Domain {
	GinkgoHelper()
	holder := fixtures.Contact(s.namespace)
	create(holder)
	domain := fixtures.Domain(s.namespace)
	domain.Spec.DomainName = clientareav1alpha1.DomainName(unique(prefix) + "." + eppTLD)
	domain.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(holder.Name)
	return domain
}

// atRegistry reads what the test registry holds for a Domain.
func atRegistry(domain *clientareav1alpha1.Domain) func() eppregistry.DomainRecord {
	return func() eppregistry.DomainRecord {
		record, _ := testRegistry.Domain(string(domain.Spec.DomainName))
		return record
	}
}

// registeredReason reads the reason of the Domain's Registered condition.
func registeredReason(domain *clientareav1alpha1.Domain) func(Gomega) string {
	return func(g Gomega) string {
		stateOf(domain)(g)
		return apimetaCondition(domain.Status.Conditions, clientareav1alpha1.DomainConditionRegistered).Reason
	}
}

// activeAndInvoiced waits until the Domain is Active and every period invoiced.
func activeAndInvoiced(domain *clientareav1alpha1.Domain) {
	GinkgoHelper()
	Eventually(stateOf(domain)).WithTimeout(30 * time.Second).WithPolling(50 * time.Millisecond).Should(Equal(clientareav1alpha1.DomainActive))
	invoiced(domain)
}

// chargesFor lists the registry's charges to our registrar for one name,
// as "op years".
func chargesFor(domain *clientareav1alpha1.Domain) []string {
	var ops []string
	for _, c := range testRegistry.Charges(ourRegistrar) {
		if c.Domain == string(domain.Spec.DomainName) {
			ops = append(ops, fmt.Sprintf("%s %d", c.Op, c.Years))
		}
	}
	return ops
}

// years is "op years" of the Domain's period.
func years(op string, domain *clientareav1alpha1.Domain) string {
	return fmt.Sprintf("%s %d", op, max(domain.Spec.PeriodYears, 1))
}

// sameSecond matches a time recorded in a status, which keeps whole seconds.
func sameSecond(t time.Time) OmegaMatcher { return BeTemporally("~", t, time.Second) }

var _ = Describe("Registry over EPP", func() {
	It("R1, R2, I1: a domain of the registry's TLD is registered there once, with its holder as a contact, its name servers and the registrar lock, and invoiced once", func() {
		s := newMemberSetup()
		domain := euDomain(s, "epp")
		create(domain)
		activeAndInvoiced(domain)

		record := atRegistry(domain)()
		Expect(record.Sponsor).To(Equal(ourRegistrar))
		Expect(record.Creates).To(Equal(1))
		Expect(record.Expires).To(sameSecond(domain.Status.ExpiresAt.Time))
		Expect(record.NameServers).To(ConsistOf(toStrings(domain.Spec.NameServers)))
		Expect(record.Statuses).To(ContainElement("clientTransferProhibited"), "the registrar lock is on by default")
		holder, ok := testRegistry.Contact(record.Registrant)
		Expect(ok).To(BeTrue(), "the holder is a contact at the registry")
		Expect(holder.Name).To(Equal(domain.Status.HolderName))
		Expect(invoicesOf(domain)).To(HaveLen(1))
		Expect(invoicesOf(domain)[0].Spec.Lines[0].UnitPrice).To(BeEquivalentTo(euRegistration))
		Expect(chargesFor(domain)).To(Equal([]string{years("create", domain)}))
	})

	DescribeTable("R2: a registration whose answer is lost, or whose recording dies, is resolved by asking the registry: one registration, one invoice",
		func(lose func(name string)) {
			s := newMemberSetup()
			domain := euDomain(s, "lost")
			lose(string(domain.Spec.DomainName))
			create(domain)
			activeAndInvoiced(domain)
			Expect(atRegistry(domain)().Creates).To(Equal(1))
			Expect(chargesFor(domain)).To(Equal([]string{years("create", domain)}))
			Expect(invoicesOf(domain)).To(HaveLen(1))
		},
		Entry("the connection drops after the registry created the holder contact", func(string) {
			testRegistry.Inject(eppregistry.Fault{Command: "contact:create", DropAfterCommit: true})
		}),
		Entry("the connection drops after the registry created the domain", func(string) {
			testRegistry.Inject(eppregistry.Fault{Command: "domain:create", DropAfterCommit: true})
		}),
		Entry("the connection drops after the registry set the registrar lock", func(string) {
			testRegistry.Inject(eppregistry.Fault{Command: "domain:update", DropAfterCommit: true})
		}),
		Entry("the registry answers after the operator gave up waiting", func(string) {
			testRegistry.Inject(eppregistry.Fault{Command: "domain:create", Delay: 6 * time.Second})
		}),
		Entry("the operator dies before it records the registration", func(name string) {
			crashWhen(func(verb string, obj client.Object) bool {
				domain, ok := obj.(*clientareav1alpha1.Domain)
				return ok && verb == "patch status" && string(domain.Spec.DomainName) == name && domain.Status.RegisteredAt != nil
			})
		}),
	)

	It("R2, I1: a Domain deleted after the registry registered it, before the operator recorded it, is deleted at the registry and never invoiced", func() {
		s := newMemberSetup()
		domain := euDomain(s, "unrecorded")
		name := string(domain.Spec.DomainName)
		// The operator dies as it is about to record the registration, and
		// the customer deletes the Domain right then.
		crashed := crashWhen(func(verb string, obj client.Object) bool {
			d, ok := obj.(*clientareav1alpha1.Domain)
			if !ok || verb != "patch status" || string(d.Spec.DomainName) != name || d.Status.RegisteredAt == nil {
				return false
			}
			_ = k8sClient.Delete(ctx, &clientareav1alpha1.Domain{ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace, Name: d.Name}})
			return true
		})
		create(domain)
		eventually(crashed).Should(BeTrue())
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain) }).Should(Satisfy(isNotFound))
		Expect(atRegistry(domain)().Creates).To(Equal(1))
		Expect(atRegistry(domain)().Deletes).To(Equal(1), "deleted at the registry: the provider does not pay for it")
		Expect(invoicesOf(domain)).To(BeEmpty())
		claim := &clientareav1alpha1.DomainClaim{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: name}, claim)).To(Satisfy(isNotFound), "the name is free again")
	})

	DescribeTable("R2, I1: a renewal whose answer is lost, or whose recording dies, renews once and is invoiced once",
		func(lose func(name string)) {
			s := newMemberSetup()
			domain := euDomain(s, "renew")
			create(domain)
			activeAndInvoiced(domain)
			firstExpiry := domain.Status.ExpiresAt.Time

			lose(string(domain.Spec.DomainName))
			moveClockFor(testClock.Now())
			testClock.SetTime(firstExpiry.Add(-controller.RenewBefore + time.Hour))
			nudge(domain)
			eventually(func(g Gomega) time.Time {
				stateOf(domain)(g)
				return domain.Status.ExpiresAt.Time
			}).Should(sameSecond(firstExpiry.AddDate(int(domain.Spec.PeriodYears), 0, 0)))
			invoiced(domain)
			Expect(atRegistry(domain)().Renewals).To(Equal(1))
			Expect(atRegistry(domain)().Expires).To(sameSecond(firstExpiry.AddDate(int(domain.Spec.PeriodYears), 0, 0)))
			Expect(chargesFor(domain)).To(Equal([]string{years("create", domain), years("renew", domain)}))
			Expect(invoicesOf(domain)).To(HaveLen(2))
		},
		Entry("the connection drops after the registry renewed", func(string) {
			testRegistry.Inject(eppregistry.Fault{Command: "domain:renew", DropAfterCommit: true})
		}),
		Entry("the connection drops before the registry renewed", func(string) {
			testRegistry.Inject(eppregistry.Fault{Command: "domain:renew", DropBeforeCommit: true})
		}),
		Entry("the operator dies before it records the renewal", func(name string) {
			crashWhen(func(verb string, obj client.Object) bool {
				domain, ok := obj.(*clientareav1alpha1.Domain)
				return ok && verb == "patch status" && string(domain.Spec.DomainName) == name && len(domain.Status.Billing) > 0 &&
					domain.Status.Billing[len(domain.Status.Billing)-1].Type == clientareav1alpha1.EventDomainRenewal
			})
		}),
	)

	It("R2: a name another registrar holds at the registry is a conflict, never registered or billed", func() {
		s := newMemberSetup()
		domain := euDomain(s, "taken")
		testRegistry.AddDomain(otherRegistrar, string(domain.Spec.DomainName), 1, "someone-elses-code")
		create(domain)
		eventually(stateOf(domain)).Should(Equal(clientareav1alpha1.DomainConflict))
		Expect(apimetaCondition(domain.Status.Conditions, clientareav1alpha1.DomainConditionNameConflict).Status).To(Equal(metav1.ConditionTrue))
		consistently(func() []clientareav1alpha1.Invoice { return invoicesOf(domain) }).Should(BeEmpty())
		Expect(atRegistry(domain)().Sponsor).To(Equal(otherRegistrar))
		Expect(chargesFor(domain)).To(BeEmpty())
	})

	It("R3: a registration the registry completes later stays Pending until its poll message, which is acknowledged once the Domain is Active", func() {
		s := newMemberSetup()
		domain := euDomain(s, "pending")
		createPending(domain)
		testRegistry.SetPendingCreates(false)
		consistently(stateOf(domain)).Should(Equal(clientareav1alpha1.DomainPending))
		Expect(invoicesOf(domain)).To(BeEmpty())

		testRegistry.ResolvePendingCreate(string(domain.Spec.DomainName), true)
		activeAndInvoiced(domain)
		eventually(func() []string { return testRegistry.PollQueue(ourRegistrar) }).Should(BeEmpty(), "acknowledged")
		Expect(invoicesOf(domain)).To(HaveLen(1))
		Expect(atRegistry(domain)().Creates).To(Equal(1))
		eventually(func() []string { return atRegistry(domain)().Statuses }).Should(ContainElement("clientTransferProhibited"),
			"R1: the registrar lock, which a pending registration cannot take, is set once it completes")
	})

	It("A8, R3: an account whose domain the registry has yet to complete is not deleted until that domain is gone", func() {
		s := newMemberSetup()
		domain := euDomain(s, "unsettled")
		name := string(domain.Spec.DomainName)
		createPending(domain)

		Expect(k8sClient.Delete(ctx, s.account)).To(Succeed())
		deleting := condition(s.account, func() []metav1.Condition { return s.account.Status.Conditions }, clientareav1alpha1.AccountConditionDeleting)
		eventually(deleting).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.AccountReasonActiveDomains))
		Expect(deleting(Default).Message).To(ContainSubstring(domain.Name))

		By("the domain is deleted, and the registry rejects its registration: the account goes")
		Expect(k8sClient.Delete(ctx, domain)).To(Succeed())
		testRegistry.ResolvePendingCreate(name, false)
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain) }).Should(Satisfy(isNotFound))
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(s.account), s.account) }).Should(Satisfy(isNotFound))
		Expect(invoicesOf(domain)).To(BeEmpty())
	})

	It("R3: a pending registration the registry rejects says so and is not applied for again until the Domain changes", func() {
		s := newMemberSetup()
		domain := euDomain(s, "rejected")
		name := string(domain.Spec.DomainName)
		// Every create stays pending (until the spec ends): a Domain that
		// applied again would be pending again, and rejected again, for ever.
		createPending(domain)
		creates := func() int {
			return len(slices.DeleteFunc(testRegistry.Charges(ourRegistrar), func(c eppregistry.Charge) bool { return c.Domain != name || c.Op != "create" }))
		}
		Expect(creates()).To(Equal(1))

		testRegistry.ResolvePendingCreate(name, false)
		eventually(registeredReason(domain)).Should(Equal(string(clientareav1alpha1.DomainReasonRegistryRefused)))
		Expect(domain.Status.State).To(Equal(clientareav1alpha1.DomainPending))
		waitForQuiet()
		consistently(registeredReason(domain)).Should(Equal(string(clientareav1alpha1.DomainReasonRegistryRefused)))
		Expect(creates()).To(Equal(1), "not applied for again")
		Expect(invoicesOf(domain)).To(BeEmpty())

		By("the Domain changes: it applies again")
		change(domain, func(d *clientareav1alpha1.Domain) {
			d.Spec.NameServers = []clientareav1alpha1.DomainName{"ns1.other-host.example", "ns2.other-host.example"}
		})
		eventually(creates).Should(Equal(2))
		eventually(registeredReason(domain)).Should(Equal(string(clientareav1alpha1.DomainReasonRegistrationPending)))
	})

	It("R4, I1: a transfer in with the old registrar's code waits for it, completes through the poll queue and is invoiced once at the transfer price", func() {
		s := newMemberSetup()
		domain := euDomain(s, "incoming")
		name := string(domain.Spec.DomainName)
		testRegistry.AddDomain(otherRegistrar, name, 2, "old-registrar-code")
		domain.Spec.TransferIn = &clientareav1alpha1.DomainTransferIn{AuthCode: "old-registrar-code"}
		create(domain)
		eventually(registeredReason(domain)).Should(Equal(string(clientareav1alpha1.DomainReasonTransferPending)))
		Expect(invoicesOf(domain)).To(BeEmpty())
		oldExpiry := atRegistry(domain)().Expires

		testRegistry.ApproveTransfer(name)
		activeAndInvoiced(domain)
		Expect(registeredReason(domain)(Default)).To(Equal(string(clientareav1alpha1.DomainReasonTransferred)))
		Expect(atRegistry(domain)().Sponsor).To(Equal(ourRegistrar))
		Expect(domain.Status.ExpiresAt.Time).To(sameSecond(oldExpiry.AddDate(1, 0, 0)), "a transfer adds a year")
		invoices := invoicesOf(domain)
		Expect(invoices).To(HaveLen(1))
		Expect(invoices[0].Spec.Event.Type).To(Equal(clientareav1alpha1.EventDomainTransfer))
		Expect(invoices[0].Spec.Lines[0].UnitPrice).To(BeEquivalentTo(euTransfer))
		eventually(func() string { // the old registrar's holder and name servers are replaced by the Domain's
			c, _ := testRegistry.Contact(atRegistry(domain)().Registrant)
			return c.Name
		}).Should(Equal(domain.Status.HolderName))
		Expect(atRegistry(domain)().NameServers).To(ConsistOf(toStrings(domain.Spec.NameServers)))
		Expect(atRegistry(domain)().Statuses).To(ContainElement("clientTransferProhibited"))
		consistently(func() []clientareav1alpha1.Invoice { return invoicesOf(domain) }).Should(HaveLen(1))
	})

	It("R4: a transfer in with a wrong code is refused, says so, and is never billed", func() {
		s := newMemberSetup()
		domain := euDomain(s, "wrongcode")
		testRegistry.AddDomain(otherRegistrar, string(domain.Spec.DomainName), 1, "the-right-code")
		domain.Spec.TransferIn = &clientareav1alpha1.DomainTransferIn{AuthCode: "a-wrong-code"}
		create(domain)
		eventually(registeredReason(domain)).Should(Equal(string(clientareav1alpha1.DomainReasonTransferRejected)))
		Expect(domain.Status.State).To(Equal(clientareav1alpha1.DomainPending))
		Expect(atRegistry(domain)().Sponsor).To(Equal(otherRegistrar))
		consistently(func() []clientareav1alpha1.Invoice { return invoicesOf(domain) }).Should(BeEmpty())
	})

	It("R4: only the owner lifts the registrar lock and asks for a transfer code; the code is set at the registry and readable by the owner; another registrar takes the domain with it", func() {
		s := newMemberSetup()
		create(s.membership("domains", s.member.Name, clientareav1alpha1.PermissionDomains))
		domain := euDomain(s, "leaving")
		create(domain)
		activeAndInvoiced(domain)

		member, err := env.ClientAs(string(s.member.Spec.Email))
		Expect(err).NotTo(HaveOccurred())
		eventually(func() error { // the member's Domains permission is in place
			return member.Get(ctx, client.ObjectKeyFromObject(domain), &clientareav1alpha1.Domain{})
		}).Should(Succeed())
		for field, change := range map[string]func(*clientareav1alpha1.Domain){
			"spec.registrarLock":          func(d *clientareav1alpha1.Domain) { d.Spec.RegistrarLock = ptr.To(false) },
			"spec.transferCodeGeneration": func(d *clientareav1alpha1.Domain) { d.Spec.TransferCodeGeneration = 1 },
		} {
			attempt := domain.DeepCopy()
			change(attempt)
			err := member.Patch(ctx, attempt, client.MergeFrom(domain))
			Expect(apierrors.IsForbidden(err) || apierrors.IsInvalid(err)).To(BeTrue(), "a member: %v", err)
			Expect(err.Error()).To(ContainSubstring(field))
			Expect(err.Error()).To(ContainSubstring("only the owner"))
		}

		owner := accountOwner(s)
		Expect(owner.Get(ctx, client.ObjectKeyFromObject(domain), domain)).To(Succeed())
		before := domain.DeepCopy()
		domain.Spec.RegistrarLock, domain.Spec.TransferCodeGeneration = ptr.To(false), 1
		Expect(owner.Patch(ctx, domain, client.MergeFrom(before))).To(Succeed())
		eventually(func(g Gomega) int32 {
			stateOf(domain)(g)
			g.Expect(domain.Status.Registry).NotTo(BeNil())
			return domain.Status.Registry.TransferCodeGeneration
		}).Should(BeEquivalentTo(1))
		eventually(func() []string { return atRegistry(domain)().Statuses }).ShouldNot(ContainElement("clientTransferProhibited"))
		secret := &corev1.Secret{}
		Expect(owner.Get(ctx, client.ObjectKey{Namespace: domain.Namespace, Name: domain.Status.Registry.TransferCodeSecret}, secret)).To(Succeed())
		code := string(secret.Data[controller.TransferCodeKey])
		Expect(len(code)).To(BeNumerically(">=", 16))
		Expect(atRegistry(domain)().AuthInfo).To(Equal(code), "the code the owner reads is the registry's")

		other := newEPPRegistrar(otherRegistrar, registryPassword)
		DeferCleanup(other.Close)
		want := registrar.Domain{Name: string(domain.Spec.DomainName), Years: 1}
		_, err = other.TransferIn(ctx, want, "not-the-code")
		Expect(registrar.ReasonOf(err)).To(Equal(registrar.ReasonRefused))
		pending, err := other.TransferIn(ctx, want, code)
		Expect(err).NotTo(HaveOccurred())
		Expect(pending.Pending).To(BeTrue())
		testRegistry.ApproveTransfer(string(domain.Spec.DomainName))
		eventually(stateOf(domain)).Should(Equal(clientareav1alpha1.DomainTransferredAway))
		Expect(registeredReason(domain)(Default)).To(Equal(string(clientareav1alpha1.DomainReasonTransferredAway)))
		Expect(atRegistry(domain)().Sponsor).To(Equal(otherRegistrar))
		eventually(func() []string { return testRegistry.PollQueue(ourRegistrar) }).Should(BeEmpty())
	})

	It("R4: a transfer code the registry refuses says so, is tried again with back-off, and is set once the registry allows it", func() {
		s := newMemberSetup()
		domain := euDomain(s, "prohibited")
		create(domain)
		activeAndInvoiced(domain)
		name := string(domain.Spec.DomainName)
		testRegistry.SetDomainStatus(name, "serverUpdateProhibited", true)

		owner := accountOwner(s)
		Expect(owner.Get(ctx, client.ObjectKeyFromObject(domain), domain)).To(Succeed())
		asked := domain.DeepCopy()
		asked.Spec.TransferCodeGeneration = 1
		Expect(owner.Patch(ctx, asked, client.MergeFrom(domain))).To(Succeed())
		synced := condition(domain, func() []metav1.Condition { return domain.Status.Conditions }, clientareav1alpha1.DomainConditionRegistrySynced)
		eventually(synced).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.DomainReasonRegistryRefused))

		// Each try sets the condition True (the name servers are in sync)
		// and then False again (the code is not): internal/patch's
		// TestConditionSetAndSetBackSendsNothing shows that this writes
		// nothing; here, that the tries go on with back-off.
		updates := countOf(testRegistry.Commands(ourRegistrar), "domain:update")
		time.Sleep(3 * time.Second)
		Expect(countOf(testRegistry.Commands(ourRegistrar), "domain:update")-updates).To(BeNumerically("<=", 15), "back-off, not a loop")

		By("the registry allows updates again: the code is set")
		testRegistry.SetDomainStatus(name, "serverUpdateProhibited", false)
		Eventually(func(g Gomega) int32 {
			stateOf(domain)(g)
			g.Expect(domain.Status.Registry).NotTo(BeNil())
			return domain.Status.Registry.TransferCodeGeneration
		}).WithTimeout(60 * time.Second).Should(BeEquivalentTo(1))
		eventually(synced).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.DomainReasonSynced))
	})

	It("R4, I1: a domain without auto-renew is deleted at the registry at expiry, inside its grace period: the registry refunds its auto-renewal and nothing more is invoiced", func() {
		s := newMemberSetup()
		domain := euDomain(s, "lapsing")
		domain.Spec.AutoRenew = ptr.To(false)
		create(domain)
		activeAndInvoiced(domain)

		moveClockFor(testClock.Now())
		testClock.SetTime(domain.Status.ExpiresAt.Add(time.Hour))
		nudge(domain)
		eventually(stateOf(domain)).Should(Equal(clientareav1alpha1.DomainExpired))
		eventually(func() []string { return chargesFor(domain) }).Should(Equal([]string{years("create", domain), "autoRenew 1", "refund 1"}))
		Expect(atRegistry(domain)().Deletes).To(Equal(1))
		Expect(atRegistry(domain)().Statuses).To(ContainElement("pendingDelete"))
		Expect(invoicesOf(domain)).To(HaveLen(1), "the registration only")
	})

	It("R4, I1, D2: a Domain deleted by its account is deleted at the registry after its last invoice, and only then releases its name", func() {
		s := newMemberSetup()
		domain := euDomain(s, "dropped")
		create(domain)
		activeAndInvoiced(domain)
		Expect(k8sClient.Delete(ctx, domain)).To(Succeed())
		eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKey{Name: string(domain.Spec.DomainName)}, &clientareav1alpha1.DomainClaim{})
		}).Should(Satisfy(apierrors.IsNotFound), "the name is released")
		Expect(atRegistry(domain)().Deletes).To(Equal(1))
		Expect(atRegistry(domain)().Statuses).To(ContainElement("pendingDelete"))
		Expect(invoicesOf(domain)).To(HaveLen(1))
	})

	It("R1: a name-server change, a holder's new address and a new holder are seen at the registry, each sent once", func() {
		s := newMemberSetup()
		domain := euDomain(s, "moving")
		create(domain)
		activeAndInvoiced(domain)
		updatesBefore := countOf(testRegistry.Commands(ourRegistrar), "domain:update")

		change(domain, func(d *clientareav1alpha1.Domain) {
			d.Spec.NameServers = []clientareav1alpha1.DomainName{"ns1.new-host.example", "ns2.new-host.example", "ns3.new-host.example"}
		})
		eventually(func() []string { return atRegistry(domain)().NameServers }).Should(ConsistOf("ns1.new-host.example", "ns2.new-host.example", "ns3.new-host.example"))
		waitForQuiet()
		Expect(countOf(testRegistry.Commands(ourRegistrar), "domain:update") - updatesBefore).To(Equal(1))

		holder := &clientareav1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Namespace: domain.Namespace, Name: string(domain.Spec.HolderRef.Name)}}
		change(holder, func(c *clientareav1alpha1.Contact) { c.Spec.City = "Lübeck" })
		registrant := atRegistry(domain)().Registrant
		eventually(func() string { c, _ := testRegistry.Contact(registrant); return c.City }).Should(Equal("Lübeck"))

		newHolder := fixtures.Contact(s.namespace)
		newHolder.Spec.Name = "Neue Halterin"
		create(newHolder)
		change(domain, func(d *clientareav1alpha1.Domain) {
			d.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(newHolder.Name)
		})
		eventually(func() string {
			c, _ := testRegistry.Contact(atRegistry(domain)().Registrant)
			return c.Name
		}).Should(Equal("Neue Halterin"))
		eventually(condition(domain, func() []metav1.Condition { return domain.Status.Conditions }, clientareav1alpha1.DomainConditionRegistrySynced)).
			Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.DomainReasonSynced))
	})

	It("R1: a registry that refuses the operator's password makes a clear condition and an event on the Domain, and is not asked again and again", func() {
		s := newMemberSetup()
		domain := euDomain(s, "refused")
		domain.Spec.DomainName = clientareav1alpha1.DomainName(unique("refused") + "." + refusingTLD)
		create(domain)
		eventually(registeredReason(domain)).Should(Equal(string(clientareav1alpha1.DomainReasonRegistryLoginFailed)))
		Expect(apimetaCondition(domain.Status.Conditions, clientareav1alpha1.DomainConditionRegistered).Message).To(ContainSubstring("test-registry"))
		eventually(func(g Gomega) []string {
			events := &corev1.EventList{}
			g.Expect(k8sClient.List(ctx, events, client.InNamespace(domain.Namespace))).To(Succeed())
			var reasons []string
			for _, e := range events.Items {
				if e.InvolvedObject.Name == domain.Name {
					reasons = append(reasons, e.Reason)
				}
			}
			return reasons
		}).Should(ContainElement(string(clientareav1alpha1.DomainReasonRegistryLoginFailed)))
		logins := countOf(testRegistry.Commands(refusedRegistrar), "login")
		time.Sleep(3 * time.Second)
		Expect(countOf(testRegistry.Commands(refusedRegistrar), "login")-logins).To(BeNumerically("<=", 3), "back-off, not a loop")
		Expect(domain.Status.State).To(Equal(clientareav1alpha1.DomainPending))
	})
})

func toStrings[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// createPending creates the Domain while the registry answers every
// create with "pending" (1001), until the spec ends, and waits until the
// Domain says so (R3).
func createPending(domain *clientareav1alpha1.Domain) {
	GinkgoHelper()
	testRegistry.SetPendingCreates(true)
	DeferCleanup(testRegistry.SetPendingCreates, false)
	create(domain)
	eventually(registeredReason(domain)).Should(Equal(string(clientareav1alpha1.DomainReasonRegistrationPending)))
}

// accountOwner is the account's owner, acting as themselves, once the
// owner's access to the Account (which the Domain policies ask about) is
// in place.
func accountOwner(s memberSetup) client.Client {
	GinkgoHelper()
	owner, err := env.ClientAs(string(s.owner.Spec.Email))
	Expect(err).NotTo(HaveOccurred())
	eventually(func() error {
		return owner.Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})
	}).Should(Succeed())
	return owner
}

func countOf(values []string, value string) int {
	return len(slices.DeleteFunc(slices.Clone(values), func(v string) bool { return v != value }))
}
