package controller_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// invitation is a Membership that names its invitee by e-mail address (M6).
func (s memberSetup) invitation(name, email string, permissions ...clientareav1alpha1.Permission) *clientareav1alpha1.Membership {
	return &clientareav1alpha1.Membership{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.namespace},
		Spec:       clientareav1alpha1.MembershipSpec{Email: clientareav1alpha1.EmailAddress(email), Permissions: permissions},
	}
}

// inviteAsOwner creates a Membership as the account's owner, through the
// API server's authorisation of the owner (M3), as the client area does.
func (s memberSetup) inviteAsOwner(m *clientareav1alpha1.Membership) {
	GinkgoHelper()
	owner, err := env.ClientAs(string(s.owner.Spec.Email))
	Expect(err).NotTo(HaveOccurred())
	Expect(owner.Create(ctx, m)).To(Succeed())
	DeferCleanupDelete(m)
}

// members reads the account's user-management view (A6).
func (s memberSetup) members(g Gomega) []clientareav1alpha1.AccountMember {
	g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(s.account), s.account)).To(Succeed())
	return s.account.Status.Members
}

var _ = Describe("Invitations by e-mail address", func() {
	It("M6, U2, A6: an owner's invitation of an address no User has is pending, and active for the User that claims it, which finds the account in its list", func() {
		s := newMemberSetup()
		local := unique("bernd")
		invited := local + "@Mueller.example" // as typed into the invitation form
		address := strings.ToLower(invited)
		m := s.invitation("bernd", invited, clientareav1alpha1.PermissionInvoices)
		s.inviteAsOwner(m)

		By("pending while no User claims the address: nothing is granted")
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonInvitationPending))
		Expect(m.Status.State).To(Equal(clientareav1alpha1.MembershipPending))
		Expect(m.Status.User).To(BeEmpty())
		Expect(ready(m)(Default).Message).To(ContainSubstring(address))
		Expect(bindingsOf(m)).To(BeEmpty())
		Expect(canList(address, s.namespace, "invoices")()).To(BeFalse())
		eventually(s.members).Should(ContainElement(clientareav1alpha1.AccountMember{
			User: "", Email: address, Role: clientareav1alpha1.RoleMember,
			Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices}, State: clientareav1alpha1.MembershipPending,
		}), "A6: the pending invitation is listed by its address")

		By("the User appears (its first sign-in) and claims the address: the invitation is active for it")
		bernd := newUser(local, local+"@mueller.EXAMPLE") // another spelling of the same address (U1)
		create(bernd)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		Expect(m.Status.State).To(Equal(clientareav1alpha1.MembershipActive))
		Expect(m.Status.User).To(Equal(bernd.Name))
		Expect(m.Status.Email).To(Equal(address))
		eventually(canList(address, s.namespace, "invoices")).Should(BeTrue())
		Expect(canList(address, s.namespace, "contacts")()).To(BeFalse(), "only invoices")

		By("U2: the User's accounts list the account, with its display name and customer number")
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(s.account), s.account)).To(Succeed())
		Expect(s.account.Status.CustomerNumber).NotTo(BeZero())
		eventually(func(g Gomega) []clientareav1alpha1.UserAccount {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(bernd), bernd)).To(Succeed())
			return bernd.Status.Accounts
		}).Should(ConsistOf(clientareav1alpha1.UserAccount{
			Account: s.account.Name, Namespace: s.namespace, Role: clientareav1alpha1.RoleMember,
			Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices},
			DisplayName: s.account.Spec.DisplayName, CustomerNumber: s.account.Status.CustomerNumber, OwnerEmail: s.account.Status.OwnerEmail,
		}))
		eventually(s.members).Should(ContainElement(clientareav1alpha1.AccountMember{
			User: bernd.Name, Email: address, Role: clientareav1alpha1.RoleMember,
			Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices}, State: clientareav1alpha1.MembershipActive,
		}), "A6: the member is listed by its User once it claimed the address")
		Expect(s.account.Status.Members).To(HaveLen(2), "the owner and Bernd, no second line for the invitation")

		By("U2, A6: a new display name of the account reaches the member's list")
		change(s.account, func(a *clientareav1alpha1.Account) { a.Spec.DisplayName = "Werbeagentur XYZ GmbH & Co. KG" })
		eventually(func(g Gomega) string {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(bernd), bernd)).To(Succeed())
			g.Expect(bernd.Status.Accounts).To(HaveLen(1))
			return bernd.Status.Accounts[0].DisplayName
		}).Should(Equal("Werbeagentur XYZ GmbH & Co. KG"))

		By("the User is deleted: the address is free again, and the invitation pending")
		Expect(k8sClient.Delete(ctx, bernd)).To(Succeed())
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonInvitationPending))
		Expect(canList(address, s.namespace, "invoices")()).To(BeFalse())
	})

	It("M4, M6: an invitation by e-mail for the owner's address grants nothing and says why", func() {
		s := newMemberSetup()
		m := s.invitation("owner-by-email", strings.ToUpper(string(s.owner.Spec.Email)), clientareav1alpha1.PermissionContacts)
		s.inviteAsOwner(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonIsOwner))
		Expect(m.Status.State).To(Equal(clientareav1alpha1.MembershipInactive))
		Expect(m.Status.User).To(Equal(s.owner.Name))
		Expect(bindingsOf(m)).To(BeEmpty())
		waitForQuiet()
		Expect(s.members(Default)).To(HaveLen(1), "A6: only the owner")
	})

	It("M4, M6: a Membership by user name and an invitation by e-mail for the same person: the first counts, the second is a duplicate until the first goes", func() {
		s := newMemberSetup()
		byUser := s.membership("a-by-user", s.member.Name, clientareav1alpha1.PermissionInvoices)
		s.inviteAsOwner(byUser)
		eventually(ready(byUser)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		byEmail := s.invitation("b-by-email", strings.ToUpper(string(s.member.Spec.Email)), clientareav1alpha1.PermissionAll)
		s.inviteAsOwner(byEmail)
		eventually(ready(byEmail)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonDuplicate))
		Expect(ready(byEmail)(Default).Message).To(ContainSubstring("a-by-user"))
		Expect(byEmail.Status.User).To(Equal(s.member.Name))
		Expect(bindingsOf(byEmail)).To(BeEmpty())
		Expect(canList(string(s.member.Spec.Email), s.namespace, "domains")()).To(BeFalse(), "the duplicate's All is not granted")
		eventually(canList(string(s.member.Spec.Email), s.namespace, "invoices")).Should(BeTrue())
		eventually(s.members).Should(HaveLen(2), "A6: one line per person")

		By("the Membership by user name is deleted: the invitation by e-mail counts now")
		Expect(k8sClient.Delete(ctx, byUser)).To(Succeed())
		eventually(ready(byEmail)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		eventually(canList(string(s.member.Spec.Email), s.namespace, "domains")).Should(BeTrue())
		eventually(func(g Gomega) []clientareav1alpha1.UserAccount {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(s.member), s.member)).To(Succeed())
			return s.member.Status.Accounts
		}).Should(ConsistOf(HaveField("Permissions", []clientareav1alpha1.Permission{clientareav1alpha1.PermissionAll})))
	})

	It("M4, M6: of two invitations of one unclaimed address, one is pending and the other a duplicate", func() {
		s := newMemberSetup()
		address := unique("carla") + "@example.com"
		first := s.invitation("first", address, clientareav1alpha1.PermissionInvoices)
		s.inviteAsOwner(first)
		eventually(ready(first)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonInvitationPending))
		second := s.invitation("second", strings.ToUpper(address), clientareav1alpha1.PermissionDomains)
		s.inviteAsOwner(second)
		eventually(ready(second)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonDuplicate))
		eventually(s.members).Should(ConsistOf(HaveField("Role", clientareav1alpha1.RoleOwner),
			clientareav1alpha1.AccountMember{Email: address, Role: clientareav1alpha1.RoleMember,
				Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices}, State: clientareav1alpha1.MembershipPending}))
	})

	It("M3, M6: a member cannot invite anyone, by user name or by e-mail address", func() {
		s := newMemberSetup()
		m := s.membership("member", s.member.Name, clientareav1alpha1.PermissionAll)
		s.inviteAsOwner(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		member, err := env.ClientAs(string(s.member.Spec.Email))
		Expect(err).NotTo(HaveOccurred())
		Expect(member.Create(ctx, s.invitation("friend", unique("friend")+"@example.com", clientareav1alpha1.PermissionAll), client.DryRunAll)).
			To(Satisfy(isForbidden))
	})
})
