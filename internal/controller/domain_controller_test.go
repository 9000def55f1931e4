package controller_test

import (
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/fixtures"
)

func stateOf(domain *clientareav1alpha1.Domain) func(Gomega) clientareav1alpha1.DomainState {
	return func(g Gomega) clientareav1alpha1.DomainState {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain)).To(Succeed())
		return domain.Status.State
	}
}

// nudge changes a label, which makes the operator look at the object now:
// after a test moved the clock, the operator's timers still run in real time.
func nudge(obj client.Object) {
	GinkgoHelper()
	change(obj, func(o client.Object) {
		o.SetLabels(map[string]string{"nudge": fmt.Sprint(time.Now().UnixNano()), clientareav1alpha1.HolderLabel: o.GetLabels()[clientareav1alpha1.HolderLabel]})
	})
}

var _ = Describe("Domain controller", func() {
	It("D2: of 20 Domains for one name created at once across two accounts, exactly one is Active; the others report a conflict and are never registered", func() {
		a, b := newMemberSetup(), newMemberSetup()
		name := unique("contested") + ".de"
		domains := make([]*clientareav1alpha1.Domain, 20)
		var wg sync.WaitGroup
		for i := range domains {
			s := a
			if i%2 == 1 {
				s = b
			}
			holder := fixtures.Contact(s.namespace)
			create(holder)
			domains[i] = fixtures.Domain(s.namespace)
			domains[i].Spec.DomainName = clientareav1alpha1.DomainName(name)
			domains[i].Spec.HolderRef.Name = clientareav1alpha1.ObjectName(holder.Name)
			wg.Go(func() {
				defer GinkgoRecover()
				create(domains[i])
			})
		}
		wg.Wait()
		eventually(func(g Gomega) map[clientareav1alpha1.DomainState]int {
			states := map[clientareav1alpha1.DomainState]int{}
			for _, d := range domains {
				states[stateOf(d)(g)]++
			}
			return states
		}).Should(Equal(map[clientareav1alpha1.DomainState]int{clientareav1alpha1.DomainActive: 1, clientareav1alpha1.DomainConflict: 19}))
		waitForQuiet()
		Expect(testRegistrar.callsFor(name)).To(Equal(1), "only the winner is registered")
	})

	It("D4: a failed registration is retried until it succeeds; then the domain is Active with registration and expiry times", func() {
		s := newMemberSetup()
		holder := fixtures.Contact(s.namespace)
		create(holder)
		domain := fixtures.Domain(s.namespace)
		domain.Spec.DomainName = clientareav1alpha1.DomainName(unique("flaky") + ".de")
		domain.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(holder.Name)
		testRegistrar.failNext(string(domain.Spec.DomainName), 2)
		create(domain)
		eventually(stateOf(domain)).Should(Equal(clientareav1alpha1.DomainActive))
		Expect(testRegistrar.callsFor(string(domain.Spec.DomainName))).To(Equal(3))
		Expect(domain.Status.RegisteredAt).NotTo(BeNil())
		Expect(domain.Status.ExpiresAt.Time).To(Equal(domain.Status.RegisteredAt.AddDate(int(domain.Spec.PeriodYears), 0, 0)))
	})

	It("D4: a registry that hangs holds up only its domain; when it answers late, the domain becomes Active", func() {
		s := newMemberSetup()
		holder := fixtures.Contact(s.namespace)
		create(holder)
		slow := fixtures.Domain(s.namespace)
		slow.Spec.DomainName = clientareav1alpha1.DomainName(unique("slow") + ".de")
		slow.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(holder.Name)
		release := testRegistrar.hang(string(slow.Spec.DomainName))
		create(slow)

		fast := activeDomain(s) // registered meanwhile
		Expect(fast.Status.State).To(Equal(clientareav1alpha1.DomainActive))
		eventually(func(g Gomega) string {
			stateOf(slow)(g)
			return apimetaCondition(slow.Status.Conditions, clientareav1alpha1.DomainConditionRegistered).Reason
		}).Should(Equal(string(clientareav1alpha1.DomainReasonRegistrationFailed)), "the call timed out")
		consistently(stateOf(slow)).Should(Equal(clientareav1alpha1.DomainPending))

		release()
		eventually(stateOf(slow)).Should(Equal(clientareav1alpha1.DomainActive))
	})

	It("D3, C2: the reseller story: the agency registers a domain held by its customer; editing the account's own contact changes neither holder nor domain", func() {
		s := newMemberSetup()
		customer := fixtures.Contact(s.namespace)
		customer.GenerateName, customer.Name = "", "herr-mustermann"
		customer.Spec.Name, customer.Spec.Organisation = "Max Mustermann", ""
		create(customer)
		domain := fixtures.Domain(s.namespace)
		domain.Spec.DomainName = clientareav1alpha1.DomainName(unique("mustermann") + ".de")
		domain.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(customer.Name)
		create(domain)
		eventually(stateOf(domain)).Should(Equal(clientareav1alpha1.DomainActive))
		Expect(domain.Status.HolderName).To(Equal("Max Mustermann"), "the holder is the customer, not the agency")
		Expect(s.account.Spec.Contact.Name).NotTo(Equal(domain.Status.HolderName))

		change(s.account, func(a *clientareav1alpha1.Account) {
			a.Spec.Contact.Name = "Werbeagentur XYZ GmbH, Buchhaltung"
			a.Spec.Contact.City = "Hamburg"
		})
		holderBefore := customer.Spec.DeepCopy()
		domainBefore := domain.Spec.DeepCopy()
		consistently(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(customer), customer)).To(Succeed())
			g.Expect(customer.Spec).To(Equal(*holderBefore))
			stateOf(domain)(g)
			g.Expect(domain.Spec).To(Equal(*domainBefore))
			g.Expect(domain.Status.HolderName).To(Equal("Max Mustermann"))
		}).Should(Succeed())
	})

	It("D4: an auto-renewing domain is renewed before it expires; one without auto-renew expires", func() {
		s := newMemberSetup()
		renewing, expiring := activeDomain(s), activeDomain(s)
		current := expiring.DeepCopy()
		expiring.Spec.AutoRenew = ptr.To(false)
		Expect(k8sClient.Patch(ctx, expiring, client.MergeFrom(current))).To(Succeed())
		// The operator has seen autoRenew: false before the clock moves, or a
		// reconcile with the object as it was could renew it.
		eventually(func(g Gomega) int64 {
			stateOf(expiring)(g)
			return expiring.Status.ObservedGeneration
		}).Should(Equal(expiring.Generation))
		firstExpiry := renewing.Status.ExpiresAt.Time

		moveClockFor(testClock.Now()) // put back for the tests after this one
		testClock.SetTime(firstExpiry.Add(-controller.RenewBefore + time.Hour))
		nudge(renewing)
		eventually(func(g Gomega) time.Time {
			stateOf(renewing)(g)
			return renewing.Status.ExpiresAt.Time
		}).Should(Equal(firstExpiry.AddDate(int(renewing.Spec.PeriodYears), 0, 0)))
		Expect(renewing.Status.State).To(Equal(clientareav1alpha1.DomainActive))

		testClock.SetTime(expiring.Status.ExpiresAt.Add(time.Hour))
		nudge(expiring)
		eventually(stateOf(expiring)).Should(Equal(clientareav1alpha1.DomainExpired))
		Expect(apimetaCondition(expiring.Status.Conditions, clientareav1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionFalse))
	})

	It("D5, D6: a domain login administers that one domain and reads its holder, nothing else; the holder label lists a holder's domains", func() {
		s := newMemberSetup()
		domain := activeDomain(s)
		other := activeDomain(s)
		eventually(func(g Gomega) string {
			stateOf(domain)(g)
			return domain.Status.LoginServiceAccount
		}).ShouldNot(BeEmpty())

		secret := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: domain.Status.AuthCodeSecret}, secret)).To(Succeed())
		Expect(len(secret.Data[controller.AuthCodeKey])).To(BeNumerically(">=", 16))

		login, err := env.ClientAs("system:serviceaccount:"+s.namespace+":"+domain.Status.LoginServiceAccount,
			"system:serviceaccounts", "system:serviceaccounts:"+s.namespace)
		Expect(err).NotTo(HaveOccurred())
		own := &clientareav1alpha1.Domain{}
		Expect(login.Get(ctx, client.ObjectKeyFromObject(domain), own)).To(Succeed())
		changed := own.DeepCopy()
		changed.Spec.NameServers = append(changed.Spec.NameServers, "ns3.example.net")
		Expect(login.Update(ctx, changed)).To(Succeed(), "the login administers its domain")
		Expect(login.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: string(domain.Spec.HolderRef.Name)}, &clientareav1alpha1.Contact{})).To(Succeed())

		Expect(login.Get(ctx, client.ObjectKeyFromObject(other), &clientareav1alpha1.Domain{})).To(Satisfy(isForbidden), "another domain")
		Expect(login.List(ctx, &clientareav1alpha1.DomainList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "listing domains")
		Expect(login.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: string(other.Spec.HolderRef.Name)}, &clientareav1alpha1.Contact{})).To(Satisfy(isForbidden), "another contact")
		Expect(login.List(ctx, &clientareav1alpha1.InvoiceList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "invoices")
		Expect(login.List(ctx, &clientareav1alpha1.MembershipList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "memberships")

		held := &clientareav1alpha1.DomainList{}
		Expect(k8sClient.List(ctx, held, client.MatchingLabels{clientareav1alpha1.HolderLabel: string(domain.Spec.HolderRef.Name)})).To(Succeed())
		Expect(held.Items).To(HaveLen(1))
		Expect(held.Items[0].Name).To(Equal(domain.Name))

		// Deleting the domain removes its login.
		Expect(k8sClient.Delete(ctx, domain)).To(Succeed())
		eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: domain.Status.LoginServiceAccount}, &corev1.ServiceAccount{})
		}).Should(Satisfy(isNotFound))
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: domain.Status.AuthCodeSecret}, &corev1.Secret{})).To(Satisfy(isNotFound))
	})
})

// apimetaCondition returns a condition, or an empty one when it is not set.
func apimetaCondition[T ~string](conditions []metav1.Condition, conditionType T) metav1.Condition {
	for _, c := range conditions {
		if c.Type == string(conditionType) {
			return c
		}
	}
	return metav1.Condition{}
}
