package controller_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

var _ = Describe("Aggregate status views", func() {
	It("A6, U2, C3, G4: a burst of changes is written into an Account's members, a User's accounts and a Contact's uses in a batch (at most two writes), not once per object", func() {
		By("an account with four member users, one of them also in two more accounts of the same owner")
		s := newMemberSetup()
		others := []*clientareav1alpha1.Account{newAccount(unique("second"), s.owner.Name), newAccount(unique("third"), s.owner.Name)}
		for _, account := range others {
			create(account)
			eventuallyReady(account)
		}
		members := []*clientareav1alpha1.User{s.member}
		for i := range 3 {
			name := unique(fmt.Sprintf("burst-%d", i))
			user := newUser(name, name+"@example.com")
			create(user)
			members = append(members, user)
		}
		for _, user := range members {
			eventually(func(g Gomega) string {
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(user), user)).To(Succeed())
				return user.Status.Email
			}).ShouldNot(BeEmpty())
		}
		waitForQuiet()
		accountWrites, memberWrites := statusWritesOf(s.account), statusWritesOf(s.member)

		By("then, at once: four memberships, the member's two more, a contact and the two domains it holds")
		var burst []client.Object
		for i, user := range members {
			burst = append(burst, s.membership(fmt.Sprintf("m-%d", i), user.Name, clientareav1alpha1.PermissionInvoices))
		}
		for _, account := range others {
			burst = append(burst, &clientareav1alpha1.Membership{
				ObjectMeta: metav1.ObjectMeta{Name: "m-0", Namespace: namespacePrefix + account.Name},
				Spec:       clientareav1alpha1.MembershipSpec{User: clientareav1alpha1.ObjectName(s.member.Name), Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionDomains}},
			})
		}
		holder := newHolder(s.namespace, "Max Mustermann")
		contactWrites := statusWritesOf(holder)
		Expect(contactWrites).To(BeZero())
		domains := []*clientareav1alpha1.Domain{newDomain(s.namespace, unique("burst-a")+".de", holder.Name, 1), newDomain(s.namespace, unique("burst-b")+".de", holder.Name, 1)}
		burst = append(burst, domains[0], domains[1])
		createAtOnce(burst...)

		By("the views show the whole burst")
		eventually(func(g Gomega) []clientareav1alpha1.MembershipState {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(s.account), s.account)).To(Succeed())
			var states []clientareav1alpha1.MembershipState
			for _, member := range s.account.Status.Members {
				states = append(states, member.State)
			}
			return states
		}).Should(And(HaveLen(1+len(members)), HaveEach(clientareav1alpha1.MembershipActive)), "the owner and four members, all active")
		eventually(func(g Gomega) []clientareav1alpha1.UserAccount {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(s.member), s.member)).To(Succeed())
			return s.member.Status.Accounts
		}).Should(HaveLen(3))
		eventually(func(g Gomega) []clientareav1alpha1.ContactUse {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(holder), holder)).To(Succeed())
			return holder.Status.UsedBy
		}).Should(HaveLen(2))
		waitForQuiet()

		// A batch is one status batch period long: a part of the burst that
		// reaches the cache after it (a slow machine, a membership still
		// pending) makes a second write, never one per object.
		By("each written once or twice for the burst, never once per change")
		Expect(statusWritesOf(s.account)-accountWrites).To(BeNumerically("<=", 2), "one write per membership would be 8 or more")
		Expect(statusWritesOf(s.member)-memberWrites).To(BeNumerically("<=", 2), "one write per membership would be 3")
		Expect(statusWritesOf(holder)).To(BeNumerically("<=", 2), "the contact's Ready and its two domains: one write each would be 3")
	})
})
