package controller_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	gomegatypes "github.com/onsi/gomega/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// The admission policy clientarea-finalizers-guard (config/policies/finalizers-guard.yaml).
var _ = Describe("Finalizer guard admission policy", func() {
	It("G3, I1, D2, C3, M2: only the operator removes its finalizers; the owner and members cannot strip them (refused naming metadata.finalizers), deleting still works with the operator's work done, and an administrator (system:masters) may remove them", func() {
		const (
			domainFinalizer      = "clientarea.dev/domain"
			domainLoginFinalizer = "clientarea.dev/domain-login"
			contactFinalizer     = "clientarea.dev/contact"
			membershipFinalizer  = "clientarea.dev/membership"
		)
		// An account with a member who manages its domains and contacts, and
		// a registered domain held by a Contact.
		s := newMemberSetup()
		m := s.membership("member", s.member.Name, clientareav1alpha1.PermissionDomains, clientareav1alpha1.PermissionContacts)
		create(m)
		domain := activeDomain(s)
		holder := &clientareav1alpha1.Contact{ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: string(domain.Spec.HolderRef.Name)}}
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		Expect(bindingsOf(m)).NotTo(BeEmpty())
		owner, err := env.ClientAs(string(s.owner.Spec.Email))
		Expect(err).NotTo(HaveOccurred())
		member, err := env.ClientAs(string(s.member.Spec.Email))
		Expect(err).NotTo(HaveOccurred())

		// edit changes obj as c, by a merge patch: no optimistic lock, so the
		// operator's writes meanwhile cause no conflict.
		edit := func(c client.Client, obj client.Object, change func(client.Object), opts ...client.PatchOption) error {
			current := obj.DeepCopyObject().(client.Object)
			Expect(c.Get(ctx, client.ObjectKeyFromObject(obj), current)).To(Succeed())
			changed := current.DeepCopyObject().(client.Object)
			change(changed)
			return c.Patch(ctx, changed, client.MergeFrom(current), opts...)
		}
		strip := func(c client.Client, obj client.Object, finalizer string, opts ...client.PatchOption) error {
			return edit(c, obj, func(o client.Object) {
				Expect(controllerutil.RemoveFinalizer(o, finalizer)).To(BeTrue(), "%s has no finalizer %s", obj.GetName(), finalizer)
			}, opts...)
		}
		refusedNaming := func(finalizer string) gomegatypes.GomegaMatcher {
			return And(Satisfy(isForbidden),
				MatchError(ContainSubstring("metadata.finalizers: "+finalizer)),
				MatchError(ContainSubstring("only the operator removes it, once its work is done")))
		}
		// testenv waits for the mutating policies only; a validating one
		// takes a moment to be in force too (a dry run changes nothing).
		eventually(func() error { return strip(owner, domain, domainFinalizer, client.DryRunAll) }).Should(Satisfy(isForbidden))

		By("the owner and the member with Domains and Contacts strip the operator's finalizers: each is refused, naming metadata.finalizers and the finalizer")
		for _, attempt := range []struct {
			who       string
			c         client.Client
			obj       client.Object
			finalizer string
		}{
			{"owner", owner, domain, domainFinalizer},      // I1, D2
			{"owner", owner, domain, domainLoginFinalizer}, // D5
			{"owner", owner, holder, contactFinalizer},     // C3
			{"owner", owner, m, membershipFinalizer},       // M2
			{"member with Domains", member, domain, domainFinalizer},
			{"member with Contacts", member, holder, contactFinalizer},
		} {
			err := strip(attempt.c, attempt.obj, attempt.finalizer)
			GinkgoWriter.Printf("%s strips %s: %v\n", attempt.who, attempt.finalizer, err)
			Expect(err).To(refusedNaming(attempt.finalizer), "%s strips %s of %s", attempt.who, attempt.finalizer, attempt.obj.GetName())
		}

		By("C3: the owner deletes the holder, in use: its deletion waits, and stripping its finalizer is still refused")
		Expect(owner.Delete(ctx, holder)).To(Succeed())
		eventually(condition(holder, func() []metav1.Condition { return holder.Status.Conditions }, clientareav1alpha1.ContactConditionInUse)).
			Should(And(Not(BeNil()), WithTransform(func(c *metav1.Condition) string { return c.Message }, ContainSubstring("deletion waits"))))
		Expect(strip(owner, holder, contactFinalizer)).To(refusedNaming(contactFinalizer))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(holder), holder)).To(Succeed())
		Expect(holder.DeletionTimestamp).NotTo(BeNil())
		Expect(holder.Finalizers).To(ContainElement(contactFinalizer))

		By("adding a finalizer, and removing one that is not the operator's, stays allowed")
		Expect(edit(owner, m, func(o client.Object) { controllerutil.AddFinalizer(o, "example.com/audit") })).To(Succeed())
		Expect(strip(owner, m, "example.com/audit")).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain)).To(Succeed())
		Expect(domain.Finalizers).To(ConsistOf(domainFinalizer, domainLoginFinalizer))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(m), m)).To(Succeed())
		Expect(m.Finalizers).To(ConsistOf(membershipFinalizer))

		By("I1, D2: the owner deletes the Domain: the operator has invoiced its period and freed its name by the time it is gone; then the holder goes too (C3)")
		Expect(owner.Delete(ctx, domain)).To(Succeed())
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain) }).Should(Satisfy(isNotFound))
		Expect(invoicesOf(domain)).To(HaveLen(1), "the registration's invoice")
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: string(domain.Spec.DomainName)}, &clientareav1alpha1.DomainClaim{})).
			To(Satisfy(isNotFound), "the name is free")
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(holder), holder) }).Should(Satisfy(isNotFound))

		By("M2: the owner deletes the Membership: its RoleBindings are gone before it is, and the member's access with them")
		Expect(owner.Delete(ctx, m)).To(Succeed())
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(m), m) }).Should(Satisfy(isNotFound))
		Expect(bindingsOf(m)).To(BeEmpty())
		Expect(canList(string(s.member.Spec.Email), s.namespace, "contacts")()).To(BeFalse())

		By("break-glass: an administrator (system:masters) removes the operator's finalizer of a contact whose deletion waits, and it goes at once")
		billing := billToOwnContact(s, "Buchhaltung")
		inUse := condition(billing, func() []metav1.Condition { return billing.Status.Conditions }, clientareav1alpha1.ContactConditionInUse)
		eventually(inUse).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.ContactReasonUsed))
		Expect(k8sClient.Delete(ctx, billing)).To(Succeed())
		eventually(inUse).Should(And(Not(BeNil()), WithTransform(func(c *metav1.Condition) string { return c.Message }, ContainSubstring("deletion waits"))))
		Expect(strip(k8sClient, billing, contactFinalizer)).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(billing), billing)).To(Satisfy(isNotFound))
	})
})
