package controller_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

func newTransfer(s memberSetup, newOwner, requestedBy string, previous clientareav1alpha1.PreviousOwnerPolicy) *clientareav1alpha1.OwnershipTransfer {
	return &clientareav1alpha1.OwnershipTransfer{
		ObjectMeta: metav1.ObjectMeta{Name: unique("transfer")},
		Spec: clientareav1alpha1.OwnershipTransferSpec{
			Account: clientareav1alpha1.ObjectName(s.account.Name), NewOwner: clientareav1alpha1.ObjectName(newOwner), RequestedBy: clientareav1alpha1.ObjectName(requestedBy),
			Ticket: "SUP-4711", PreviousOwner: previous,
		},
	}
}

// finishedAs waits for a transfer to finish and returns its Succeeded condition.
func finishedAs(transfer *clientareav1alpha1.OwnershipTransfer, phase clientareav1alpha1.TransferPhase) *metav1.Condition {
	GinkgoHelper()
	eventually(func(g Gomega) clientareav1alpha1.TransferPhase {
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(transfer), transfer)).To(Succeed())
		return transfer.Status.Phase
	}).Should(Equal(phase))
	return condition(transfer, func() []metav1.Condition { return transfer.Status.Conditions }, clientareav1alpha1.OwnershipTransferConditionSucceeded)(Default)
}

func ownerOf(account *clientareav1alpha1.Account) clientareav1alpha1.ObjectName {
	GinkgoHelper()
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(account), account)).To(Succeed())
	return account.Spec.Owner
}

// expectTransferred asserts the end state of a completed transfer from
// s.owner to s.member, as each of them sees it through the API server (T3).
func expectTransferred(s memberSetup, transfer *clientareav1alpha1.OwnershipTransfer, keptAsMember bool) {
	GinkgoHelper()
	Expect(transfer.Status.CompletedAt).NotTo(BeNil())
	Expect(transfer.Status.PreviousOwner).To(Equal(s.owner.Name))
	Expect(ownerOf(s.account)).To(Equal(clientareav1alpha1.ObjectName(s.member.Name)))
	Expect(s.account.Status.LastTransfer).To(HaveField("Name", transfer.Name))
	newOwner, oldOwner := string(s.member.Spec.Email), string(s.owner.Spec.Email)
	eventually(func() bool { return canDo(newOwner, s.namespace, "memberships", "create") }).Should(BeTrue(), "the new owner manages members")
	eventually(func() bool { return canDo(oldOwner, s.namespace, "memberships", "create") }).Should(BeFalse(), "the old owner keeps no owner rights")
	eventually(canList(oldOwner, s.namespace, "domains")).Should(Equal(keptAsMember), "the old owner is a member with All only when kept")
	memberships := &clientareav1alpha1.MembershipList{}
	Expect(k8sClient.List(ctx, memberships, client.InNamespace(s.namespace))).To(Succeed())
	var ofOldOwner []string
	for _, m := range memberships.Items {
		if string(m.Spec.User) == s.owner.Name && m.DeletionTimestamp.IsZero() {
			ofOldOwner = append(ofOldOwner, fmt.Sprintf("%s%v", m.Name, m.Spec.Permissions))
		}
	}
	if keptAsMember {
		Expect(ofOldOwner).To(ConsistOf("previous-owner-" + s.owner.Name + "[All]"))
	} else {
		Expect(ofOldOwner).To(BeEmpty())
	}
}

func canDo(email, namespace, kind, verb string) bool {
	c, err := env.ClientAs(email)
	Expect(err).NotTo(HaveOccurred())
	return tryVerb(c, namespace, kind, verb)
}

var _ = Describe("OwnershipTransfer controller", func() {
	It("T1, T3, T4: hands the account to the new owner and keeps the previous one as a member with All", func() {
		s := newMemberSetup()
		transfer := newTransfer(s, s.member.Name, s.owner.Name, clientareav1alpha1.PreviousOwnerKeepAsMember)
		create(transfer)
		Expect(finishedAs(transfer, clientareav1alpha1.TransferCompleted)).To(haveStatus(metav1.ConditionTrue, clientareav1alpha1.OwnershipTransferReasonTransferred))
		Expect(apimeta.FindStatusCondition(transfer.Status.Conditions, clientareav1alpha1.ConditionReady)).
			To(haveStatus(metav1.ConditionTrue, clientareav1alpha1.OwnershipTransferReasonTransferred))
		expectTransferred(s, transfer, true)

		// T4: the Account gets an event.
		eventually(func(g Gomega) []string {
			list := &eventsv1.EventList{}
			g.Expect(k8sClient.List(ctx, list)).To(Succeed())
			var reasons []string
			for _, e := range list.Items {
				if e.Regarding.Name == s.account.Name && e.Regarding.Kind == "Account" {
					reasons = append(reasons, e.Reason)
				}
			}
			return reasons
		}).Should(ContainElement(string(clientareav1alpha1.OwnershipTransferReasonTransferred)))
	})

	It("T1: removes the previous owner when asked, including a membership they had", func() {
		s := newMemberSetup()
		create(s.membership("old-owner-extra", s.owner.Name, clientareav1alpha1.PermissionInvoices)) // inert while they own the account (M4)
		transfer := newTransfer(s, s.member.Name, s.owner.Name, clientareav1alpha1.PreviousOwnerRemove)
		create(transfer)
		finishedAs(transfer, clientareav1alpha1.TransferCompleted)
		expectTransferred(s, transfer, false)
		Expect(canList(string(s.owner.Spec.Email), s.namespace, "invoices")()).To(BeFalse())
	})

	DescribeTable("T3: a transfer whose precondition fails ends Failed with the reason and changes nothing",
		func(build func(s memberSetup) *clientareav1alpha1.OwnershipTransfer, reason clientareav1alpha1.OwnershipTransferConditionReason) {
			s := newMemberSetup()
			transfer := build(s)
			create(transfer)
			Expect(finishedAs(transfer, clientareav1alpha1.TransferFailed)).To(haveStatus(metav1.ConditionFalse, reason))
			// Ready follows Succeeded: `kubectl wait --for=condition=Ready` never takes a failure for success.
			Expect(apimeta.FindStatusCondition(transfer.Status.Conditions, clientareav1alpha1.ConditionReady)).To(haveStatus(metav1.ConditionFalse, reason))
			Expect(transfer.Status.CompletedAt).NotTo(BeNil())
			Expect(ownerOf(s.account)).To(Equal(clientareav1alpha1.ObjectName(s.owner.Name)))
			Expect(s.account.Annotations).NotTo(HaveKey(clientareav1alpha1.TransferAnnotation))
			eventually(canList(string(s.owner.Spec.Email), s.namespace, "memberships")).Should(BeTrue())
		},
		Entry("the account does not exist", func(s memberSetup) *clientareav1alpha1.OwnershipTransfer {
			t := newTransfer(s, s.member.Name, s.owner.Name, clientareav1alpha1.PreviousOwnerKeepAsMember)
			t.Spec.Account = "no-such-account"
			return t
		}, clientareav1alpha1.OwnershipTransferReasonAccountHasNoNamespace),
		Entry("requestedBy is not the owner", func(s memberSetup) *clientareav1alpha1.OwnershipTransfer {
			return newTransfer(s, s.owner.Name, s.member.Name, clientareav1alpha1.PreviousOwnerKeepAsMember)
		}, clientareav1alpha1.OwnershipTransferReasonRequesterNotOwner),
		Entry("the new owner does not exist", func(s memberSetup) *clientareav1alpha1.OwnershipTransfer {
			return newTransfer(s, unique("ghost"), s.owner.Name, clientareav1alpha1.PreviousOwnerKeepAsMember)
		}, clientareav1alpha1.OwnershipTransferReasonNewOwnerNotFound),
		Entry("the new owner's e-mail belongs to another User (U1)", func(s memberSetup) *clientareav1alpha1.OwnershipTransfer {
			impostor := newUser(unique("impostor"), string(s.member.Spec.Email))
			create(impostor)
			eventually(condition(impostor, func() []metav1.Condition { return impostor.Status.Conditions }, clientareav1alpha1.UserConditionEmailClaimed)).
				Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.UserReasonEmailConflict))
			return newTransfer(s, impostor.Name, s.owner.Name, clientareav1alpha1.PreviousOwnerKeepAsMember)
		}, clientareav1alpha1.OwnershipTransferReasonNewOwnerHasNoEmail),
	)

	It("T3: runs once: a finished transfer applied again changes nothing", func() {
		s := newMemberSetup()
		transfer := newTransfer(s, s.member.Name, s.owner.Name, clientareav1alpha1.PreviousOwnerKeepAsMember)
		create(transfer)
		finishedAs(transfer, clientareav1alpha1.TransferCompleted)
		completedAt := transfer.Status.CompletedAt

		// Support hands it back with a second transfer; then GitOps applies
		// the first one again (a label change reconciles it).
		back := newTransfer(s, s.owner.Name, s.member.Name, clientareav1alpha1.PreviousOwnerRemove)
		create(back)
		finishedAs(back, clientareav1alpha1.TransferCompleted)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(transfer), transfer)).To(Succeed())
		reapplied := transfer.DeepCopy()
		reapplied.Labels = map[string]string{"argocd.argoproj.io/instance": "support"}
		Expect(k8sClient.Patch(ctx, reapplied, client.MergeFrom(transfer))).To(Succeed())
		consistently(func() clientareav1alpha1.ObjectName { return ownerOf(s.account) }).Should(Equal(clientareav1alpha1.ObjectName(s.owner.Name)))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(transfer), transfer)).To(Succeed())
		Expect(transfer.Status.CompletedAt).To(Equal(completedAt))
	})

	It("T3: of two transfers of one account at once, one completes and the other fails: its requester is no longer the owner", func() {
		s := newMemberSetup()
		third := newUser(unique("third"), unique("third")+"@example.com")
		create(third)
		eventually(condition(third, func() []metav1.Condition { return third.Status.Conditions }, clientareav1alpha1.ConditionReady)).
			Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.ReasonReady))
		toMember := newTransfer(s, s.member.Name, s.owner.Name, clientareav1alpha1.PreviousOwnerKeepAsMember)
		toThird := newTransfer(s, third.Name, s.owner.Name, clientareav1alpha1.PreviousOwnerKeepAsMember)
		create(toMember)
		create(toThird)

		phases := func(g Gomega) []clientareav1alpha1.TransferPhase {
			var got []clientareav1alpha1.TransferPhase
			for _, t := range []*clientareav1alpha1.OwnershipTransfer{toMember, toThird} {
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(t), t)).To(Succeed())
				got = append(got, t.Status.Phase)
			}
			return got
		}
		eventually(phases).Should(ConsistOf(clientareav1alpha1.TransferCompleted, clientareav1alpha1.TransferFailed))
		winner, loser := toMember, toThird
		if toThird.Status.Phase == clientareav1alpha1.TransferCompleted {
			winner, loser = toThird, toMember
		}
		Expect(ownerOf(s.account)).To(Equal(winner.Spec.NewOwner))
		failed := condition(loser, func() []metav1.Condition { return loser.Status.Conditions }, clientareav1alpha1.OwnershipTransferConditionSucceeded)(Default)
		Expect(failed.Reason).To(BeElementOf(string(clientareav1alpha1.OwnershipTransferReasonRequesterNotOwner), string(clientareav1alpha1.OwnershipTransferReasonOwnerChangedMeanwhile)))
	})

	It("U3: the owner's deletion waits, and proceeds once a transfer moved the account away", func() {
		s := newMemberSetup()
		Expect(k8sClient.Delete(ctx, s.owner)).To(Succeed())
		blocked := condition(s.owner, func() []metav1.Condition { return s.owner.Status.Conditions }, clientareav1alpha1.UserConditionDeletionBlocked)
		eventually(blocked).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.UserReasonOwnsAccounts))

		transfer := newTransfer(s, s.member.Name, s.owner.Name, clientareav1alpha1.PreviousOwnerRemove)
		create(transfer)
		finishedAs(transfer, clientareav1alpha1.TransferCompleted)
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(s.owner), s.owner) }).Should(Satisfy(isNotFound))
	})

	DescribeTable("T3: killed between any two writes, a transfer ends exactly as without the crash",
		func(verb string, obj client.Object, skip int) {
			s := newMemberSetup()
			create(s.membership("old-owner-extra", s.owner.Name, clientareav1alpha1.PermissionInvoices))
			transfer := newTransfer(s, s.member.Name, s.owner.Name, clientareav1alpha1.PreviousOwnerKeepAsMember)
			if obj.GetName() == "transfer" {
				obj.SetName(transfer.Name)
			}
			failOnce(verb, obj, skip)
			create(transfer)
			finishedAs(transfer, clientareav1alpha1.TransferCompleted)
			expectTransferred(s, transfer, true)
		},
		Entry("before recording the start", "patch status", &clientareav1alpha1.OwnershipTransfer{ObjectMeta: metav1.ObjectMeta{Name: "transfer"}}, 0),
		Entry("before moving the owner", "update", &clientareav1alpha1.Account{}, 0),
		Entry("before removing the previous owner's other membership", "delete", &clientareav1alpha1.Membership{}, 0),
		Entry("before making the previous owner a member", "create", &clientareav1alpha1.Membership{}, 0),
		Entry("before recording the transfer on the account", "patch status", &clientareav1alpha1.Account{}, 0),
		Entry("before recording completion", "patch status", &clientareav1alpha1.OwnershipTransfer{ObjectMeta: metav1.ObjectMeta{Name: "transfer"}}, 1),
	)

	It("T2: support may create transfers; owners, members and outsiders may not", func() {
		s := newMemberSetup()
		create(s.membership("member", s.member.Name, clientareav1alpha1.PermissionAll))
		support := &supportBinding{name: unique("support"), user: "support-" + unique("s") + "@provider.example"}
		support.create()
		for _, who := range []struct {
			email string
			may   bool
		}{
			{support.user, true},
			{string(s.owner.Spec.Email), false},
			{string(s.member.Spec.Email), false},
			{"outsider-" + unique("o") + "@example.com", false},
		} {
			c, err := env.ClientAs(who.email)
			Expect(err).NotTo(HaveOccurred())
			createTransfer := func() error {
				return c.Create(ctx, newTransfer(s, s.member.Name, s.owner.Name, clientareav1alpha1.PreviousOwnerKeepAsMember), client.DryRunAll)
			}
			if who.may {
				// The API server's RBAC learns of the new binding by its watch.
				eventually(createTransfer).Should(Succeed(), who.email)
			} else {
				Expect(createTransfer()).To(Satisfy(isForbidden), who.email)
			}
		}
	})
})

// supportBinding binds the shipped clientarea-support ClusterRole
// to a user for one test.
type supportBinding struct{ name, user string }

func (b *supportBinding) create() {
	GinkgoHelper()
	create(&rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: b.name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "clientarea-support"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: b.user}},
	})
}

func isForbidden(err error) bool { return apierrors.IsForbidden(err) }
