package v1alpha1_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

const transferAnnotation = "clientarea.dev/ownership-transfer"

var _ = Describe("Admission policy for account owners", func() {
	var account *clientareav1alpha1.Account

	BeforeEach(func() {
		account = validAccount()
		Expect(k8sClient.Create(ctx, account)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, account))).To(Succeed()) })
	})

	// changeOwner patches spec.owner (and any annotations) as the given client.
	changeOwner := func(c client.Client, annotations map[string]string) error {
		current := &clientareav1alpha1.Account{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(account), current)).To(Succeed())
		changed := current.DeepCopy()
		changed.Spec.Owner = "max"
		changed.Annotations = annotations
		return c.Patch(ctx, changed, client.MergeFrom(current))
	}

	It("A4: refuses a change of spec.owner, even by a cluster administrator, with a message naming OwnershipTransfer", func() {
		// A new policy takes a moment to be in force.
		Eventually(func() error { return changeOwner(k8sClient, nil) }).Should(And(
			Satisfy(apierrors.IsForbidden),
			MatchError(ContainSubstring("spec.owner")),
			MatchError(ContainSubstring("OwnershipTransfer")),
		))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(account), account)).To(Succeed())
		Expect(account.Spec.Owner).To(Equal(clientareav1alpha1.ObjectName("anna")), "nothing changed")
	})

	It("A4: allows every other change of the account", func() {
		current := account.DeepCopy()
		account.Spec.DisplayName = "Werbeagentur XYZ GmbH & Co. KG"
		account.Spec.Type = clientareav1alpha1.AccountTypePerson
		Expect(k8sClient.Patch(ctx, account, client.MergeFrom(current))).To(Succeed())
	})

	Context("as the operator's service account", func() {
		var operator client.Client

		BeforeEach(func() {
			// Give the service account update on accounts, so that the request
			// reaches admission and the policy alone decides.
			role := &rbacv1.ClusterRole{
				ObjectMeta: metav1.ObjectMeta{Name: "test-account-updater"},
				Rules:      []rbacv1.PolicyRule{{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"accounts"}, Verbs: []string{"get", "patch", "update"}}},
			}
			binding := &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: "test-account-updater"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: testenv.OperatorUser}},
			}
			for _, obj := range []client.Object{role, binding} {
				Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, obj))).To(Succeed())
			}
			var err error
			operator, err = env.ClientAs(testenv.OperatorUser, testenv.OperatorGroups...)
			Expect(err).NotTo(HaveOccurred())
		})

		It("A4: refuses the operator too, unless it executes an OwnershipTransfer", func() {
			Eventually(func() error { return changeOwner(operator, nil) }).Should(And(
				Satisfy(apierrors.IsForbidden), MatchError(ContainSubstring("OwnershipTransfer"))))
		})

		It("A4: allows the operator to change the owner while executing an OwnershipTransfer", func() {
			Expect(changeOwner(operator, map[string]string{transferAnnotation: "mustermann-to-max"})).To(Succeed())
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(account), account)).To(Succeed())
			Expect(account.Spec.Owner).To(Equal(clientareav1alpha1.ObjectName("max")))
		})
	})
})

var _ = Describe("Admission policy for the operator's finalizers", func() {
	It("A8, C3, D2, D5, M2, U3, G4: the API server sets the operator's finalizer when a User, Account, Membership, Contact or Domain is created, so the operator need not write it", func() {
		objects := map[string]client.Object{
			"user": validUser(), "account": validAccount(), "membership": validMembership(), "contact": validContact(), "domain": validDomain(),
		}
		// A Domain's login is another controller's, with its own finalizer (D5).
		finalizers := func(kind string) []string {
			if kind == "domain" {
				return []string{"clientarea.dev/domain", "clientarea.dev/domain-login"}
			}
			return []string{"clientarea.dev/" + kind}
		}
		for kind, obj := range objects {
			// A new policy takes a moment to be in force.
			Eventually(func() []string {
				fresh := obj.DeepCopyObject().(client.Object)
				Expect(k8sClient.Create(ctx, fresh, client.DryRunAll)).To(Succeed())
				return fresh.GetFinalizers()
			}).Should(ConsistOf(finalizers(kind)), kind)
			Expect(k8sClient.Create(ctx, obj)).To(Succeed())
			DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed()) })
			Expect(obj.GetFinalizers()).To(ConsistOf(finalizers(kind)))
		}
		By("an Invoice, which is never deleted, gets none")
		invoice := validInvoice()
		Expect(k8sClient.Create(ctx, invoice, client.DryRunAll)).To(Succeed())
		Expect(invoice.GetFinalizers()).To(BeEmpty())
	})
})

var _ = Describe("Admission policy for the holder label", func() {
	It("D6: the API server labels a Domain with its holder Contact when it is created, sets a label edited by hand back, and follows a new holder", func() {
		const holderLabel = "clientarea.dev/holder"
		domain := validDomain()
		holder := string(domain.Spec.HolderRef.Name)
		// A new policy takes a moment to be in force.
		Eventually(func() map[string]string {
			fresh := domain.DeepCopy()
			Expect(k8sClient.Create(ctx, fresh, client.DryRunAll)).To(Succeed())
			return fresh.Labels
		}).Should(HaveKeyWithValue(holderLabel, holder))
		Expect(k8sClient.Create(ctx, domain)).To(Succeed())
		DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, domain))).To(Succeed()) })
		Expect(domain.Labels).To(HaveKeyWithValue(holderLabel, holder), "set in the create itself")

		By("a label edited by hand is set back in the same write; other labels are left alone")
		edited := domain.DeepCopy()
		edited.Labels[holderLabel] = "someone-else"
		edited.Labels["team"] = "sales"
		Expect(k8sClient.Patch(ctx, edited, client.MergeFrom(domain))).To(Succeed())
		Expect(edited.Labels).To(And(HaveKeyWithValue(holderLabel, holder), HaveKeyWithValue("team", "sales")))

		By("a label removed is set again")
		Expect(k8sClient.Patch(ctx, edited, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"clientarea.dev/holder":null}}}`)))).To(Succeed())
		Expect(edited.Labels).To(HaveKeyWithValue(holderLabel, holder))

		By("a new holder relabels the domain")
		moved := edited.DeepCopy()
		moved.Spec.HolderRef.Name = "new-holder"
		Expect(k8sClient.Patch(ctx, moved, client.MergeFrom(edited))).To(Succeed())
		Expect(moved.Labels).To(HaveKeyWithValue(holderLabel, "new-holder"))
	})
})
