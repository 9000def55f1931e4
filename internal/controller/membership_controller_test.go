package controller_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
)

// memberSetup is an Account with an owner, Ready, and a second User.
type memberSetup struct {
	owner, member *clientareav1alpha1.User
	account       *clientareav1alpha1.Account
	namespace     string
}

func newMemberSetup() memberSetup {
	GinkgoHelper()
	suffix := unique("ms")
	s := memberSetup{
		owner:  newUser("owner-"+suffix, "owner-"+suffix+"@agency.example"),
		member: newUser("member-"+suffix, "member-"+suffix+"@agency.example"),
	}
	create(s.owner)
	create(s.member)
	s.account = newAccount("acct-"+suffix, s.owner.Name)
	create(s.account)
	eventuallyReady(s.account)
	eventually(condition(s.member, func() []metav1.Condition { return s.member.Status.Conditions }, clientareav1alpha1.UserConditionEmailClaimed)).
		Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.UserReasonClaimed))
	s.namespace = namespacePrefix + s.account.Name
	return s
}

func (s memberSetup) membership(name, user string, permissions ...clientareav1alpha1.Permission) *clientareav1alpha1.Membership {
	return &clientareav1alpha1.Membership{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.namespace},
		Spec:       clientareav1alpha1.MembershipSpec{User: clientareav1alpha1.ObjectName(user), Permissions: permissions},
	}
}

func ready(m *clientareav1alpha1.Membership) func(Gomega) *metav1.Condition {
	return condition(m, func() []metav1.Condition { return m.Status.Conditions }, clientareav1alpha1.ConditionReady)
}

var _ = Describe("Membership controller", func() {
	It("M2: removing a permission takes its access away within one reconcile", func() {
		s := newMemberSetup()
		m := s.membership("member", s.member.Name, clientareav1alpha1.PermissionInvoices, clientareav1alpha1.PermissionContacts)
		create(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		eventually(canList(string(s.member.Spec.Email), s.namespace, "contacts")).Should(BeTrue())
		eventually(canList(string(s.member.Spec.Email), s.namespace, "invoices")).Should(BeTrue())

		change(m, func(m *clientareav1alpha1.Membership) {
			m.Spec.Permissions = []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices}
		})
		eventually(canList(string(s.member.Spec.Email), s.namespace, "contacts")).Should(BeFalse())
		Expect(canList(string(s.member.Spec.Email), s.namespace, "invoices")()).To(BeTrue(), "the remaining permission stays")
	})

	It("M2: deleting a Membership takes all its access away", func() {
		s := newMemberSetup()
		m := s.membership("member", s.member.Name, clientareav1alpha1.PermissionAll)
		create(m)
		eventually(canList(string(s.member.Spec.Email), s.namespace, "domains")).Should(BeTrue())

		Expect(k8sClient.Delete(ctx, m)).To(Succeed())
		eventually(canList(string(s.member.Spec.Email), s.namespace, "domains")).Should(BeFalse())
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(m), m) }).Should(Satisfy(isNotFound))
	})

	It("U3: deleting a member's User stops its memberships granting access", func() {
		s := newMemberSetup()
		m := s.membership("member", s.member.Name, clientareav1alpha1.PermissionContacts)
		create(m)
		eventually(canList(string(s.member.Spec.Email), s.namespace, "contacts")).Should(BeTrue())

		Expect(k8sClient.Delete(ctx, s.member)).To(Succeed())
		eventually(canList(string(s.member.Spec.Email), s.namespace, "contacts")).Should(BeFalse())
		eventually(func() clientareav1alpha1.MembershipState {
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(m), m)).To(Succeed())
			return m.Status.State
		}).Should(Equal(clientareav1alpha1.MembershipPending))
	})

	It("M2: a RoleBinding deleted by hand comes back; one edited by hand is corrected", func() {
		s := newMemberSetup()
		m := s.membership("member", s.member.Name, clientareav1alpha1.PermissionInvoices)
		create(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		binding := &rbacv1.RoleBinding{}
		key := client.ObjectKey{Namespace: s.namespace, Name: "clientarea-membership-member-invoices"}
		Expect(k8sClient.Get(ctx, key, binding)).To(Succeed())
		Expect(binding.RoleRef.Name).To(Equal(controller.PermissionClusterRole(clientareav1alpha1.PermissionInvoices)))

		Expect(k8sClient.Delete(ctx, binding)).To(Succeed())
		eventually(func() error { return k8sClient.Get(ctx, key, binding) }).Should(Succeed())

		change(binding, func(b *rbacv1.RoleBinding) { b.Subjects[0].Name = "intruder@example.com" })
		eventually(func() string {
			Expect(k8sClient.Get(ctx, key, binding)).To(Succeed())
			return binding.Subjects[0].Name
		}).Should(Equal(string(s.member.Spec.Email)))
	})

	It("M4: a Membership for the owner grants nothing and says why", func() {
		s := newMemberSetup()
		m := s.membership("owner", s.owner.Name, clientareav1alpha1.PermissionInvoices)
		create(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonIsOwner))
		Expect(m.Status.State).To(Equal(clientareav1alpha1.MembershipInactive))
		Expect(bindingsOf(m)).To(BeEmpty())
	})

	It("M4: a second Membership for the same user grants nothing and says why; the first keeps working", func() {
		s := newMemberSetup()
		first := s.membership("first", s.member.Name, clientareav1alpha1.PermissionInvoices)
		create(first)
		eventually(ready(first)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		second := s.membership("second", s.member.Name, clientareav1alpha1.PermissionAll)
		create(second)
		eventually(ready(second)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonDuplicate))
		Expect(ready(second)(Default).Message).To(ContainSubstring("first"))
		Expect(bindingsOf(second)).To(BeEmpty())
		Expect(canList(string(s.member.Spec.Email), s.namespace, "domains")()).To(BeFalse(), "the duplicate's All is not granted")
		eventually(canList(string(s.member.Spec.Email), s.namespace, "invoices")).Should(BeTrue())
	})

	It("M4: of two Memberships for one user applied in the same second, exactly one grants, whichever arrives first", func() {
		s := newMemberSetup()
		later := s.membership("b-later-name", s.member.Name, clientareav1alpha1.PermissionAll)
		earlier := s.membership("a-earlier-name", s.member.Name, clientareav1alpha1.PermissionInvoices)
		create(later)
		create(earlier)
		active := func(g Gomega) []string {
			var names []string
			for _, m := range []*clientareav1alpha1.Membership{later, earlier} {
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(m), m)).To(Succeed())
				if m.Status.State == clientareav1alpha1.MembershipActive {
					names = append(names, m.Name)
				}
				g.Expect(m.Status.State).NotTo(BeEmpty())
			}
			return names
		}
		eventually(active).Should(HaveLen(1))
		waitForQuiet()
		consistently(active).Should(HaveLen(1))
	})

	It("M5: a Membership for a user who does not exist yet is a pending invitation, active when the User appears", func() {
		s := newMemberSetup()
		invited := newUser(unique("invited"), unique("invited")+"@example.com")
		m := s.membership("invited", invited.Name, clientareav1alpha1.PermissionInvoices)
		create(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonUserNotFound))
		Expect(m.Status.State).To(Equal(clientareav1alpha1.MembershipPending))
		Expect(bindingsOf(m)).To(BeEmpty())

		create(invited)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		eventually(canList(string(invited.Spec.Email), s.namespace, "invoices")).Should(BeTrue())
	})

	It("M5: after its expiry a Membership grants nothing", func() {
		s := newMemberSetup()
		m := s.membership("temporary", s.member.Name, clientareav1alpha1.PermissionInvoices)
		m.Spec.ExpiresAt = &metav1.Time{Time: testClock.Now().Add(time.Hour)}
		create(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		eventually(canList(string(s.member.Spec.Email), s.namespace, "invoices")).Should(BeTrue())

		moveClockFor(testClock.Now())
		testClock.SetTime(testClock.Now().Add(2 * time.Hour))
		// The operator would come back at the expiry time of the real clock;
		// a label change makes it look now, at the moved clock.
		nudge(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonExpired))
		Expect(m.Status.State).To(Equal(clientareav1alpha1.MembershipExpired))
		Expect(canList(string(s.member.Spec.Email), s.namespace, "invoices")()).To(BeFalse())
	})
})

// bindingsOf lists the RoleBindings that grant a Membership.
func bindingsOf(m *clientareav1alpha1.Membership) []rbacv1.RoleBinding {
	GinkgoHelper()
	bindings := &rbacv1.RoleBindingList{}
	Expect(k8sClient.List(ctx, bindings, client.InNamespace(m.Namespace), client.MatchingLabels{clientareav1alpha1.MembershipUIDLabel: string(m.UID)})).To(Succeed())
	return bindings.Items
}

func isNotFound(err error) bool { return client.IgnoreNotFound(err) == nil && err != nil }
