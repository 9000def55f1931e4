package controller_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/fixtures"
)

var _ = Describe("Contact controller", func() {
	It("C3: a contact in use says by whom, and its deletion waits until nothing uses it", func() {
		s := newMemberSetup()
		holder := fixtures.Contact(s.namespace)
		holder.GenerateName, holder.Name = "", "max-mustermann"
		create(holder)
		domain := fixtures.Domain(s.namespace)
		domain.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(holder.Name)
		create(domain)
		// A second account of the same owner bills to this contact (A7).
		customer := newAccount(unique("customer"), s.owner.Name)
		customer.Spec.BillingContactRef = &clientareav1alpha1.BillingContactReference{Account: clientareav1alpha1.ObjectName(s.account.Name), Name: clientareav1alpha1.ObjectName(holder.Name)}
		create(customer)

		eventually(func(g Gomega) []clientareav1alpha1.ContactUse {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(holder), holder)).To(Succeed())
			return holder.Status.UsedBy
		}).Should(ConsistOf(
			clientareav1alpha1.ContactUse{Kind: "Account", Name: customer.Name},
			clientareav1alpha1.ContactUse{Kind: "Domain", Name: domain.Name, Namespace: s.namespace},
		))
		inUse := condition(holder, func() []metav1.Condition { return holder.Status.Conditions }, clientareav1alpha1.ContactConditionInUse)
		Expect(inUse(Default)).To(haveStatus(metav1.ConditionTrue, clientareav1alpha1.ContactReasonUsed))

		Expect(k8sClient.Delete(ctx, holder)).To(Succeed())
		eventually(inUse).Should(WithTransform(func(c *metav1.Condition) string { return c.Message }, ContainSubstring("deletion waits")))
		consistently(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(holder), holder) }).Should(Succeed(), "not deleted while in use")

		Expect(k8sClient.Delete(ctx, domain)).To(Succeed())
		change(customer, func(a *clientareav1alpha1.Account) { a.Spec.BillingContactRef = nil })
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(holder), holder) }).Should(Satisfy(isNotFound))
	})

	It("C2: editing an account's own contact changes no Contact", func() {
		s := newMemberSetup()
		contact := fixtures.Contact(s.namespace)
		create(contact)
		before := contact.Spec.DeepCopy()
		change(s.account, func(a *clientareav1alpha1.Account) {
			a.Spec.Contact = *before.DeepCopy()
			a.Spec.Contact.City = "Hamburg"
		})
		consistently(func() clientareav1alpha1.ContactDetails {
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(contact), contact)).To(Succeed())
			return contact.Spec
		}).Should(Equal(*before))
	})
})
