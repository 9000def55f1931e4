package controller_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

var deferCleanup = func(f func() error) { DeferCleanup(f) }

var _ = Describe("Account controller", func() {
	It("A2: creates the account's namespace, labelled and owner-referenced, and reports it (A6)", func() {
		owner := newUser(unique("anna"), "Anna.Schmidt@Werbeagentur-XYZ.example")
		create(owner)
		account := newAccount(unique("werbeagentur"), owner.Name)
		create(account)

		ready := condition(account, func() []metav1.Condition { return account.Status.Conditions }, clientareav1alpha1.ConditionReady)
		eventually(ready).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.ReasonReady))
		Expect(account.Status.Namespace).To(Equal(namespacePrefix + account.Name))
		Expect(account.Status.OwnerEmail).To(Equal("anna.schmidt@werbeagentur-xyz.example"), "A6: the owner's e-mail, compared case-insensitively (U1)")
		Expect(account.Status.ObservedGeneration).To(Equal(account.Generation))

		namespace := &corev1.Namespace{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: account.Status.Namespace}, namespace)).To(Succeed())
		Expect(namespace.Labels).To(HaveKeyWithValue(clientareav1alpha1.AccountLabel, account.Name))
		Expect(namespace.Labels).To(HaveKeyWithValue(clientareav1alpha1.ManagedByLabel, clientareav1alpha1.ManagedByValue))
		Expect(metav1.IsControlledBy(namespace, account)).To(BeTrue(), "the namespace is controlled by the account")
	})

	It("A2: never adopts a namespace it did not create, grants no one anything there, and says so on the Account", func() {
		owner := newUser(unique("anna"), "anna@werbeagentur-xyz.example")
		create(owner)
		name := unique("taken")
		foreign := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespacePrefix + name, Labels: map[string]string{"team": "someone-else"}}}
		create(foreign)
		account := newAccount(name, owner.Name)
		create(account)

		namespaceReady := condition(account, func() []metav1.Condition { return account.Status.Conditions }, clientareav1alpha1.AccountConditionNamespaceReady)
		eventually(namespaceReady).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.AccountReasonNamespaceConflict))
		Expect(account.Status.Namespace).To(BeEmpty(), "the account has no namespace")
		ready := condition(account, func() []metav1.Condition { return account.Status.Conditions }, clientareav1alpha1.ConditionReady)
		Expect(ready(Default)).To(haveStatus(metav1.ConditionFalse, clientareav1alpha1.AccountReasonNamespaceConflict))

		bindings := &rbacv1.RoleBindingList{}
		Expect(k8sClient.List(ctx, bindings, client.InNamespace(foreign.Name))).To(Succeed())
		Expect(bindings.Items).To(BeEmpty(), "nobody is granted anything in a namespace that is not the account's")
		Expect(canList(string(owner.Spec.Email), foreign.Name, "contacts")()).To(BeFalse(), "the owner has no access there")

		consistently(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(foreign), foreign)).To(Succeed())
			g.Expect(foreign.OwnerReferences).To(BeEmpty(), "the foreign namespace is not adopted")
			g.Expect(foreign.Labels).To(Equal(map[string]string{"team": "someone-else", corev1.LabelMetadataName: foreign.Name}))
		}).Should(Succeed())
	})

	It("A1: waits for an owner who does not exist yet, and becomes Ready when the User appears", func() {
		ownerName := unique("max")
		account := newAccount(unique("mustermann"), ownerName)
		create(account)

		ownerResolved := condition(account, func() []metav1.Condition { return account.Status.Conditions }, clientareav1alpha1.AccountConditionOwnerResolved)
		eventually(ownerResolved).Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.AccountReasonOwnerNotFound))
		Expect(account.Status.OwnerEmail).To(BeEmpty())

		create(newUser(ownerName, "max@mustermann.example"))
		eventually(ownerResolved).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.AccountReasonOwnerFound))
		Expect(account.Status.OwnerEmail).To(Equal("max@mustermann.example"))
	})

	It("G4: once converged, writes nothing, even when what it watches is touched", func() {
		owner := newUser(unique("anna"), "anna@werbeagentur-xyz.example")
		create(owner)
		account := newAccount(unique("quiet"), owner.Name)
		create(account)
		ready := condition(account, func() []metav1.Condition { return account.Status.Conditions }, clientareav1alpha1.ConditionReady)
		eventually(ready).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.ReasonReady))

		// Touching the owner re-runs the reconcile; nothing changed, so nothing is written.
		waitForQuiet()
		before := operatorWrites.Load()
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(owner), owner)).To(Succeed())
		touched := owner.DeepCopy()
		touched.Labels = map[string]string{"touched": "yes"} // a reconcile, but no change the operator cares about
		Expect(k8sClient.Patch(ctx, touched, client.MergeFrom(owner))).To(Succeed())
		consistently(func() int64 { return operatorWrites.Load() }).Should(Equal(before))
	})
})
