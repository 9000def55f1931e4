package controller_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// Invitations lapse (M5, M6): an invitation is valid for a while (the client
// area's is 7 days, spec.invitationExpiresAt); a membership still pending
// then grants nothing, ever, unless the owner renews it. The operator's clock
// is testClock, which the tests move.
var _ = Describe("Invitations that lapse", func() {
	// lapsing sets the membership's invitation to lapse in d on the
	// operator's clock.
	lapsing := func(m *clientareav1alpha1.Membership, d time.Duration) *clientareav1alpha1.Membership {
		m.Spec.InvitationExpiresAt = &metav1.Time{Time: testClock.Now().Add(d).Truncate(time.Second)}
		return m
	}
	// passTime moves the operator's clock by d, for the rest of the test.
	passTime := func(d time.Duration) {
		moveClockFor(testClock.Now())
		testClock.SetTime(testClock.Now().Add(d))
	}
	accountsOf := func(user *clientareav1alpha1.User) func(Gomega) []clientareav1alpha1.UserAccount {
		return func(g Gomega) []clientareav1alpha1.UserAccount {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(user), user)).To(Succeed())
			return user.Status.Accounts
		}
	}

	It("M5, M6: an invitation by e-mail still pending at spec.invitationExpiresAt is Expired (InvitationExpired), and the User who claims the address later gets nothing", func() {
		s := newMemberSetup()
		local := unique("carla")
		address := local + "@example.com"
		m := lapsing(s.invitation("carla", address, clientareav1alpha1.PermissionInvoices), time.Hour)
		s.inviteAsOwner(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonInvitationPending))

		By("a week later, nobody has claimed the address: the invitation lapses")
		passTime(2 * time.Hour)
		nudge(m) // the operator would come back at the lapse time of the real clock
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonInvitationExpired))
		Expect(m.Status.State).To(Equal(clientareav1alpha1.MembershipExpired))
		Expect(ready(m)(Default).Message).To(ContainSubstring(address))
		Expect(m.Status.AcceptedAt).To(BeNil())
		eventually(s.members).Should(ContainElement(And(HaveField("Email", address), HaveField("State", clientareav1alpha1.MembershipExpired))),
			"A6, W4: User Management shows the lapsed invitation")

		By("then Carla signs in for the first time and claims the address: the lapsed invitation stays lapsed")
		carla := newUser(local, address)
		create(carla)
		eventually(condition(carla, func() []metav1.Condition { return carla.Status.Conditions }, clientareav1alpha1.UserConditionEmailClaimed)).
			Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.UserReasonClaimed))
		consistently(func(g Gomega) clientareav1alpha1.MembershipConditionReason {
			return clientareav1alpha1.MembershipConditionReason(ready(m)(g).Reason)
		}).Should(Equal(clientareav1alpha1.MembershipReasonInvitationExpired))
		Expect(bindingsOf(m)).To(BeEmpty())
		Expect(canList(address, s.namespace, "invoices")()).To(BeFalse())
		Expect(accountsOf(carla)(Default)).To(BeEmpty(), "U2: the account is not among hers")
	})

	It("M5: an invitation by User name lapses the same way; the owner renews it with a later spec.invitationExpiresAt, and it is active when the User appears", func() {
		s := newMemberSetup()
		dora := newUser(unique("dora"), unique("dora")+"@example.com")
		m := lapsing(s.membership("dora", dora.Name, clientareav1alpha1.PermissionContacts), time.Hour)
		s.inviteAsOwner(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonUserNotFound))

		passTime(2 * time.Hour)
		nudge(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonInvitationExpired))

		By("the owner renews the invitation (M3: the owner manages memberships)")
		owner, err := env.ClientAs(string(s.owner.Spec.Email))
		Expect(err).NotTo(HaveOccurred())
		eventually(func() error { // read again on a conflict: the operator writes the status
			if err := owner.Get(ctx, client.ObjectKeyFromObject(m), m); err != nil {
				return err
			}
			lapsing(m, 7*24*time.Hour)
			return owner.Update(ctx, m)
		}).Should(Succeed())
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonUserNotFound))
		Expect(m.Status.State).To(Equal(clientareav1alpha1.MembershipPending))

		create(dora)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		Expect(m.Status.AcceptedAt).NotTo(BeNil(), "accepted")
		eventually(canList(string(dora.Spec.Email), s.namespace, "contacts")).Should(BeTrue())
	})

	It("M5: once active, spec.invitationExpiresAt no longer matters: access ends only at spec.expiresAt", func() {
		s := newMemberSetup()
		m := lapsing(s.membership("member", s.member.Name, clientareav1alpha1.PermissionInvoices), time.Hour)
		m.Spec.ExpiresAt = &metav1.Time{Time: testClock.Now().Add(3 * time.Hour)}
		s.inviteAsOwner(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		Expect(m.Status.AcceptedAt).NotTo(BeNil())
		Expect(m.Status.AcceptedAt.Time).To(BeTemporally("<", m.Spec.InvitationExpiresAt.Time))

		By("the invitation's time passes: the member keeps access")
		passTime(2 * time.Hour)
		nudge(m)
		consistently(func(g Gomega) clientareav1alpha1.MembershipConditionReason {
			return clientareav1alpha1.MembershipConditionReason(ready(m)(g).Reason)
		}).Should(Equal(clientareav1alpha1.MembershipReasonGranted))
		eventually(canList(string(s.member.Spec.Email), s.namespace, "invoices")).Should(BeTrue())

		By("U3: even when the User goes away and comes back, the accepted membership is not lapsed")
		Expect(k8sClient.Delete(ctx, s.member)).To(Succeed())
		eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKeyFromObject(s.member), &clientareav1alpha1.User{})
		}).Should(Satisfy(isNotFound))
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonUserNotFound))
		again := newUser(s.member.Name, string(s.member.Spec.Email))
		create(again)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))

		By("spec.expiresAt passes: access ends")
		passTime(2 * time.Hour)
		nudge(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonExpired))
		Expect(canList(string(s.member.Spec.Email), s.namespace, "invoices")()).To(BeFalse())
	})

	It("M5: the operator comes back by itself when a pending invitation lapses", func() {
		s := newMemberSetup()
		m := lapsing(s.invitation("soon", unique("erik")+"@example.com", clientareav1alpha1.PermissionInvoices), 3*time.Second)
		s.inviteAsOwner(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonInvitationPending))
		waitForQuiet() // nothing else will make it look again

		// The operator comes back when its clock says the time has come: it
		// looks at the clock each time it comes back.
		passTime(time.Hour)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.MembershipReasonInvitationExpired))
	})
})
