package controller_test

import (
	"fmt"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
)

var _ = Describe("User controller", func() {
	It("U1: of 20 Users created at once with one e-mail address (in any case), exactly one holds it; the others report a conflict", func() {
		suffix := unique("race")
		email := "shared-" + suffix + "@example.com"
		users := make([]*clientareav1alpha1.User, 20)
		var wg sync.WaitGroup
		for i := range users {
			// Every other one in upper case: the address compares case-insensitively.
			address := email
			if i%2 == 1 {
				address = strings.ToUpper(email)
			}
			users[i] = newUser(fmt.Sprintf("%s-%02d", suffix, i), address)
			wg.Go(func() {
				defer GinkgoRecover()
				create(users[i])
			})
		}
		wg.Wait()

		eventually(func(g Gomega) {
			holders, conflicts := 0, 0
			for _, user := range users {
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(user), user)).To(Succeed())
				claimed := apimeta.FindStatusCondition(user.Status.Conditions, string(clientareav1alpha1.UserConditionEmailClaimed))
				g.Expect(claimed).NotTo(BeNil())
				switch {
				case claimed.Status == metav1.ConditionTrue:
					holders++
					g.Expect(user.Status.Email).To(Equal(email))
				case claimed.Reason == string(clientareav1alpha1.UserReasonEmailConflict):
					conflicts++
					g.Expect(user.Status.Email).To(BeEmpty(), "a loser is granted nothing")
					g.Expect(apimeta.IsStatusConditionTrue(user.Status.Conditions, clientareav1alpha1.ConditionReady)).To(BeFalse())
				}
			}
			g.Expect(holders).To(Equal(1))
			g.Expect(conflicts).To(Equal(19))
		}).Should(Succeed())
	})

	It("U1, G1: a User that finds its address taken is told by one Warning event, and the conflict is counted once", func() {
		// The counter is the process's: the Users of earlier specs, deleted
		// as they end, must be done before it is read.
		waitForQuiet()
		suffix := unique("noted")
		email := "noted-" + suffix + "@example.com"
		holder, loser := newUser("holder-"+suffix, email), newUser("loser-"+suffix, email)
		create(holder)
		eventually(condition(holder, func() []metav1.Condition { return holder.Status.Conditions }, clientareav1alpha1.UserConditionEmailClaimed)).
			Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.UserReasonClaimed))
		conflictsBefore := testutil.ToFloat64(controller.Conflicts.WithLabelValues("email"))
		create(loser)
		eventually(condition(loser, func() []metav1.Condition { return loser.Status.Conditions }, clientareav1alpha1.UserConditionEmailClaimed)).
			Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.UserReasonEmailConflict))

		conflictEvents := func() []eventsv1.Event {
			all := &eventsv1.EventList{}
			Expect(k8sClient.List(ctx, all)).To(Succeed())
			var found []eventsv1.Event
			for _, event := range all.Items {
				if event.Regarding.Kind == "User" && event.Regarding.Name == loser.Name && event.Reason == string(clientareav1alpha1.UserReasonEmailConflict) {
					found = append(found, event)
				}
			}
			return found
		}
		eventually(conflictEvents).Should(ConsistOf(SatisfyAll(
			HaveField("Type", corev1.EventTypeWarning),
			HaveField("Note", ContainSubstring(holder.Name)),
		)))
		Expect(testutil.ToFloat64(controller.Conflicts.WithLabelValues("email")) - conflictsBefore).To(Equal(1.0))

		By("reconciled again, the same conflict is neither announced nor counted again")
		nudge(loser)
		waitForQuiet()
		Expect(conflictEvents()).To(HaveLen(1))
		Expect(testutil.ToFloat64(controller.Conflicts.WithLabelValues("email")) - conflictsBefore).To(Equal(1.0))
	})

	It("U1: a User whose name is longer than a label value (63) still claims its address", func() {
		user := newUser(unique(strings.Repeat("long", 20)), unique("long")+"@example.com")
		create(user)
		claimed := condition(user, func() []metav1.Condition { return user.Status.Conditions }, clientareav1alpha1.UserConditionEmailClaimed)
		eventually(claimed).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.UserReasonClaimed))
	})

	It("U1: when the holder of an address is deleted, a waiting User takes it over", func() {
		email := unique("handover") + "@example.com"
		first := newUser(unique("first"), email)
		create(first)
		claimed := condition(first, func() []metav1.Condition { return first.Status.Conditions }, clientareav1alpha1.UserConditionEmailClaimed)
		eventually(claimed).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.UserReasonClaimed))
		second := newUser(unique("second"), email)
		create(second)
		secondClaimed := condition(second, func() []metav1.Condition { return second.Status.Conditions }, clientareav1alpha1.UserConditionEmailClaimed)
		eventually(secondClaimed).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.UserReasonEmailConflict))

		Expect(k8sClient.Delete(ctx, first)).To(Succeed())
		eventually(secondClaimed).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.UserReasonClaimed))
	})

	It("U2: lists the accounts the user owns and those where a membership is active, with role and permissions", func() {
		suffix := unique("u2")
		anna := newUser("anna-"+suffix, "anna-"+suffix+"@agency.example")
		bernd := newUser("bernd-"+suffix, "bernd-"+suffix+"@agency.example")
		create(anna)
		create(bernd)
		agency := newAccount("agency-"+suffix, anna.Name)
		customer := newAccount("customer-"+suffix, anna.Name)
		create(agency)
		create(customer)
		eventuallyReady(agency)
		create(&clientareav1alpha1.Membership{
			ObjectMeta: metav1.ObjectMeta{Name: "bernd", Namespace: namespacePrefix + agency.Name},
			Spec:       clientareav1alpha1.MembershipSpec{User: clientareav1alpha1.ObjectName(bernd.Name), Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices}},
		})

		// A6: each entry shows the account's display name and customer number.
		eventuallyReady(customer)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(agency), agency)).To(Succeed())
		eventually(func(g Gomega) []clientareav1alpha1.UserAccount {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(anna), anna)).To(Succeed())
			return anna.Status.Accounts
		}).Should(ConsistOf(
			clientareav1alpha1.UserAccount{Account: agency.Name, Namespace: namespacePrefix + agency.Name, Role: clientareav1alpha1.RoleOwner,
				DisplayName: agency.Spec.DisplayName, CustomerNumber: agency.Status.CustomerNumber, OwnerEmail: string(anna.Spec.Email)},
			clientareav1alpha1.UserAccount{Account: customer.Name, Namespace: namespacePrefix + customer.Name, Role: clientareav1alpha1.RoleOwner,
				DisplayName: customer.Spec.DisplayName, CustomerNumber: customer.Status.CustomerNumber, OwnerEmail: string(anna.Spec.Email)},
		))
		eventually(func(g Gomega) []clientareav1alpha1.UserAccount {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(bernd), bernd)).To(Succeed())
			return bernd.Status.Accounts
		}).Should(ConsistOf(clientareav1alpha1.UserAccount{
			Account: agency.Name, Namespace: namespacePrefix + agency.Name, Role: clientareav1alpha1.RoleMember, Permissions: []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices},
			DisplayName: agency.Spec.DisplayName, CustomerNumber: agency.Status.CustomerNumber,
			OwnerEmail: string(anna.Spec.Email), // A6, W4: a member's User Management names the owner
		}))
	})

	It("U3: the owner of an account cannot be deleted: deletion waits with a condition naming the account", func() {
		owner := newUser(unique("owner"), unique("owner")+"@example.com")
		create(owner)
		account := newAccount(unique("kept"), owner.Name)
		create(account)
		eventuallyReady(account)

		Expect(k8sClient.Delete(ctx, owner)).To(Succeed())
		blocked := condition(owner, func() []metav1.Condition { return owner.Status.Conditions }, clientareav1alpha1.UserConditionDeletionBlocked)
		eventually(blocked).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.UserReasonOwnsAccounts))
		Expect(blocked(Default).Message).To(ContainSubstring(account.Name))
		consistently(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(owner), owner) }).Should(Succeed(), "the owner stays")
	})

	It("U4: changing a user's e-mail moves all access to the new address; the old one keeps none", func() {
		suffix := unique("u4")
		owner := newUser("owner-"+suffix, "old-"+suffix+"@example.com")
		create(owner)
		account := newAccount("moving-"+suffix, owner.Name)
		create(account)
		eventuallyReady(account)
		namespace := namespacePrefix + account.Name
		eventually(canList("old-"+suffix+"@example.com", namespace, "contacts")).Should(BeTrue())

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(owner), owner)).To(Succeed())
		moved := owner.DeepCopy()
		moved.Spec.Email = clientareav1alpha1.EmailAddress("new-" + suffix + "@example.com")
		Expect(k8sClient.Patch(ctx, moved, client.MergeFrom(owner))).To(Succeed())

		eventually(canList("new-"+suffix+"@example.com", namespace, "contacts")).Should(BeTrue())
		eventually(canList("old-"+suffix+"@example.com", namespace, "contacts")).Should(BeFalse())
	})
})

// eventuallyReady waits for an Account to be Ready.
func eventuallyReady(account *clientareav1alpha1.Account) {
	GinkgoHelper()
	eventually(condition(account, func() []metav1.Condition { return account.Status.Conditions }, clientareav1alpha1.ConditionReady)).
		Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.ReasonReady))
}

// canList returns a check of whether a user may list a kind in a namespace,
// asked of the API server as that user.
func canList(email, namespace, kind string) func() bool {
	return func() bool {
		c, err := env.ClientAs(email)
		Expect(err).NotTo(HaveOccurred())
		return tryVerb(c, namespace, kind, "list")
	}
}
