package controller_test

import (
	"math"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/fixtures"
)

var _ = Describe("Account members and deletion", func() {
	It("A6: the status lists the owner and every member with permissions and state, for the user-management view", func() {
		s := newMemberSetup()
		create(s.membership("member", s.member.Name, clientareav1alpha1.PermissionInvoices, clientareav1alpha1.PermissionDomains))
		invited := unique("invited")
		create(s.membership("invited", invited, clientareav1alpha1.PermissionAll))
		create(s.membership("owner-again", s.owner.Name, clientareav1alpha1.PermissionContacts))

		eventually(func(g Gomega) []clientareav1alpha1.AccountMember {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(s.account), s.account)).To(Succeed())
			return s.account.Status.Members
		}).Should(Equal([]clientareav1alpha1.AccountMember{
			{User: s.owner.Name, Email: string(s.owner.Spec.Email), Role: clientareav1alpha1.RoleOwner, State: clientareav1alpha1.MembershipActive},
			{User: invited, Role: clientareav1alpha1.RoleMember, Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionAll}, State: clientareav1alpha1.MembershipPending},
			{User: s.member.Name, Email: string(s.member.Spec.Email), Role: clientareav1alpha1.RoleMember,
				Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices, clientareav1alpha1.PermissionDomains}, State: clientareav1alpha1.MembershipActive},
		}))
	})

	It("A8: deleting an account revokes all access to it at once", func() {
		s := newMemberSetup()
		create(s.membership("member", s.member.Name, clientareav1alpha1.PermissionAll))
		eventually(canList(string(s.member.Spec.Email), s.namespace, "contacts")).Should(BeTrue())
		eventually(canList(string(s.owner.Spec.Email), s.namespace, "contacts")).Should(BeTrue())

		Expect(k8sClient.Delete(ctx, s.account)).To(Succeed())
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(s.account), s.account) }).Should(Satisfy(isNotFound))
		bindings := &rbacv1.RoleBindingList{}
		Expect(k8sClient.List(ctx, bindings, client.InNamespace(s.namespace))).To(Succeed())
		Expect(bindings.Items).To(ConsistOf(HaveField("Name", controller.OperatorNamespaceClusterRole)),
			"no grant is left but the operator's own, which goes with the namespace")
		Expect(canList(string(s.owner.Spec.Email), s.namespace, "contacts")()).To(BeFalse())
		Expect(canList(string(s.member.Spec.Email), s.namespace, "contacts")()).To(BeFalse())
	})

	It("A8: an account that holds active domains is not deleted until they are gone, and says why", func() {
		s := newMemberSetup()
		domain := activeDomain(s)

		Expect(k8sClient.Delete(ctx, s.account)).To(Succeed())
		deleting := condition(s.account, func() []metav1.Condition { return s.account.Status.Conditions }, clientareav1alpha1.AccountConditionDeleting)
		eventually(deleting).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.AccountReasonActiveDomains))
		Expect(deleting(Default).Message).To(ContainSubstring(domain.Name))
		Expect(canList(string(s.owner.Spec.Email), s.namespace, "domains")()).To(BeFalse(), "access is revoked at once all the same")

		Expect(k8sClient.Delete(ctx, domain)).To(Succeed())
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(s.account), s.account) }).Should(Satisfy(isNotFound))
	})

	It("A8: issued invoices are never deleted: the namespace that holds them is kept, archived, when the account goes", func() {
		s := newMemberSetup()
		domain := activeDomain(s)
		invoiced(domain)
		invoice := &invoicesOf(domain)[0]
		Expect(k8sClient.Delete(ctx, domain)).To(Succeed())

		Expect(k8sClient.Delete(ctx, s.account)).To(Succeed())
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(s.account), s.account) }).Should(Satisfy(isNotFound))
		namespace := &corev1.Namespace{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: s.namespace}, namespace)).To(Succeed())
		Expect(namespace.OwnerReferences).To(BeEmpty(), "the garbage collector will not delete it")
		Expect(namespace.Labels).To(HaveKeyWithValue(clientareav1alpha1.ArchivedLabel, "true"))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(invoice), invoice)).To(Succeed())
	})
})

var _ = Describe("Customer numbers", func() {
	It("A6: 20 accounts created at once get unique, consecutive customer numbers, assigned once", func() {
		owner := newUser(unique("numbers"), unique("numbers")+"@example.com")
		create(owner)
		accounts := make([]*clientareav1alpha1.Account, 20)
		var wg sync.WaitGroup
		for i := range accounts {
			accounts[i] = newAccount(unique("numbered"), owner.Name)
			wg.Go(func() {
				defer GinkgoRecover()
				create(accounts[i])
			})
		}
		wg.Wait()

		numbers := map[int64]string{}
		for _, account := range accounts {
			eventually(func(g Gomega) int64 {
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(account), account)).To(Succeed())
				return account.Status.CustomerNumber
			}).ShouldNot(BeZero())
			Expect(numbers).NotTo(HaveKey(account.Status.CustomerNumber), "customer number %d given twice", account.Status.CustomerNumber)
			numbers[account.Status.CustomerNumber] = account.Name
		}
		var lowest, highest int64 = math.MaxInt64, 0
		for number := range numbers {
			lowest, highest = min(lowest, number), max(highest, number)
		}
		Expect(highest-lowest).To(Equal(int64(len(accounts)-1)), "consecutive: %v", numbers)

		claims := &clientareav1alpha1.NumberClaimList{}
		Expect(k8sClient.List(ctx, claims, client.MatchingLabels{clientareav1alpha1.SeriesLabel: "customer"})).To(Succeed())
		for _, claim := range claims.Items {
			if name, ours := numbers[claim.Spec.Number]; ours {
				Expect(claim.Spec.HolderName).To(Equal(name), "one claim per number, held by the account that shows it")
			}
		}

		// Assigned once: a later reconcile keeps the number.
		first := accounts[0]
		number := first.Status.CustomerNumber
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(first), first)).To(Succeed())
		touched := first.DeepCopy()
		touched.Spec.DisplayName = "renamed"
		Expect(k8sClient.Patch(ctx, touched, client.MergeFrom(first))).To(Succeed())
		consistently(func() int64 {
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(first), first)).To(Succeed())
			return first.Status.CustomerNumber
		}).Should(Equal(number))
	})

	It("A6: an account whose recorded number is lost (a crash before the status write) finds its reserved number again", func() {
		owner := newUser(unique("lost"), unique("lost")+"@example.com")
		create(owner)
		account := newAccount(unique("lost"), owner.Name)
		create(account)
		eventually(func(g Gomega) int64 {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(account), account)).To(Succeed())
			return account.Status.CustomerNumber
		}).ShouldNot(BeZero())
		number := account.Status.CustomerNumber

		// Wipe the status as if the write had never happened.
		changeStatus(account, func(a *clientareav1alpha1.Account) { a.Status.CustomerNumber = 0 })
		// A restart reconciles every account; a label change does the same for one.
		change(account, func(a *clientareav1alpha1.Account) { a.Labels = map[string]string{"nudge": "restart"} })
		eventually(func(g Gomega) int64 {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(account), account)).To(Succeed())
			return account.Status.CustomerNumber
		}).Should(Equal(number))
	})
})

// activeDomain registers a domain with a unique name in the setup's account,
// held by a new Contact, and waits until it is Active and has its login.
func activeDomain(s memberSetup) *clientareav1alpha1.Domain {
	GinkgoHelper()
	holder := fixtures.Contact(s.namespace)
	create(holder)
	domain := fixtures.Domain(s.namespace)
	domain.Spec.DomainName = clientareav1alpha1.DomainName(unique("shop") + ".de")
	domain.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(holder.Name)
	create(domain)
	eventually(func(g Gomega) clientareav1alpha1.DomainState {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain)).To(Succeed())
		return domain.Status.State
	}).Should(Equal(clientareav1alpha1.DomainActive))
	// The login is another controller's, made once the name is held (D5).
	eventually(condition(domain, func() []metav1.Condition { return domain.Status.Conditions }, clientareav1alpha1.DomainConditionLoginReady)).
		Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.DomainReasonLoginCreated))
	return domain
}
