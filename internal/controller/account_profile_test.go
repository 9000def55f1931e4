package controller_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/fixtures"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

// The account's owner edits the account's profile (A7, W4): the operator's
// ClusterRole and binding clientarea-account-<account>, and the admission
// policy clientarea-account-owner-edits (config/policies/account-owner-edits.yaml).
var _ = Describe("An account's owner edits its profile", func() {
	// clientAs is a client that acts as the given address (impersonation).
	clientAs := func(email string) client.Client {
		GinkgoHelper()
		c, err := env.ClientAs(email)
		Expect(err).NotTo(HaveOccurred())
		return c
	}
	// edit reads the account as c and updates it with change, as c.
	// The operator may write the Account meanwhile (a transfer): a conflict
	// reads it again, as a client does.
	edit := func(c client.Client, account *clientareav1alpha1.Account, change func(*clientareav1alpha1.Account)) error {
		GinkgoHelper()
		return retry.RetryOnConflict(retry.DefaultRetry, func() error {
			current := &clientareav1alpha1.Account{}
			if err := c.Get(ctx, client.ObjectKeyFromObject(account), current); err != nil {
				return err
			}
			change(current)
			return c.Update(ctx, current)
		})
	}
	// refusedFor matches the owner-edits policy's refusal of field.
	refusedFor := func(field string) OmegaMatcher {
		return And(Satisfy(isForbidden), MatchError(ContainSubstring("clientarea-account-owner-edits")),
			MatchError(ContainSubstring(field+" of account")), MatchError(ContainSubstring("the provider changes it")))
	}
	// billingResolved is the account's BillingContactResolved condition once
	// it describes the account's current spec.
	billingResolved := func(account *clientareav1alpha1.Account) func(Gomega) *metav1.Condition {
		return func(g Gomega) *metav1.Condition {
			resolved := condition(account, func() []metav1.Condition { return account.Status.Conditions }, clientareav1alpha1.AccountConditionBillingContactResolved)(g)
			g.Expect(resolved).NotTo(BeNil())
			g.Expect(resolved.ObservedGeneration).To(Equal(account.Generation))
			return resolved
		}
	}
	contactIn := func(namespace, name string) *clientareav1alpha1.Contact {
		contact := fixtures.Contact(namespace)
		contact.GenerateName, contact.Name = "", name
		return contact
	}

	It("A7, W4: the owner reads its Account and changes its profile: display name, contact, and the billing contact to a Contact of this account or of another account of the same owner; spec.type, labels, annotations, finalizers and owner references are refused naming the field", func() {
		s := newMemberSetup()
		agency := newAccount(unique("agency"), s.owner.Name)
		create(agency)
		eventuallyReady(agency)
		own, ofAgency := contactIn(s.namespace, "billing"), contactIn(namespacePrefix+agency.Name, "agency-billing")
		createAtOnce(own, ofAgency)
		owner := clientAs(string(s.owner.Spec.Email))
		eventually(func() error {
			return owner.Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})
		}).Should(Succeed())

		By("its own contact data and a billing contact of this account")
		Expect(edit(owner, s.account, func(a *clientareav1alpha1.Account) {
			a.Spec.DisplayName = "Werbeagentur XYZ GmbH & Co. KG"
			a.Spec.Contact.City, a.Spec.Contact.PostalCode = "Hamburg", "20095"
			a.Spec.BillingContactRef = &clientareav1alpha1.BillingContactReference{Name: clientareav1alpha1.ObjectName(own.Name)}
		})).To(Succeed())
		eventually(billingResolved(s.account)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.AccountReasonBillingContactFound))

		By("A7: a billing contact of another account of the same owner (the agency billing to itself), by a patch")
		current := &clientareav1alpha1.Account{}
		Expect(owner.Get(ctx, client.ObjectKeyFromObject(s.account), current)).To(Succeed())
		changed := current.DeepCopy()
		changed.Spec.BillingContactRef = &clientareav1alpha1.BillingContactReference{
			Account: clientareav1alpha1.ObjectName(agency.Name), Name: clientareav1alpha1.ObjectName(ofAgency.Name)}
		Expect(owner.Patch(ctx, changed, client.MergeFrom(current))).To(Succeed())
		eventually(billingResolved(s.account)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.AccountReasonBillingContactFound))
		Expect(s.account.Spec.BillingContactRef).To(Equal(changed.Spec.BillingContactRef))
		Expect(s.account.Spec.Contact.City).To(Equal("Hamburg"))
		Expect(s.account.Spec.DisplayName).To(Equal("Werbeagentur XYZ GmbH & Co. KG"))

		By("what the provider decides is refused, naming the field")
		for field, change := range map[string]func(*clientareav1alpha1.Account){
			"spec.type": func(a *clientareav1alpha1.Account) { a.Spec.Type = clientareav1alpha1.AccountTypePerson },
			"metadata.labels": func(a *clientareav1alpha1.Account) {
				a.Labels = map[string]string{"tier": "gold"}
			},
			"metadata.annotations": func(a *clientareav1alpha1.Account) {
				a.Annotations = map[string]string{"example.com/discount": "100"}
			},
			"metadata.finalizers": func(a *clientareav1alpha1.Account) {
				a.Finalizers = append(a.Finalizers, "example.com/keep")
			},
			"metadata.ownerReferences": func(a *clientareav1alpha1.Account) {
				a.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "gone", UID: "00000000-0000-0000-0000-000000000000"}}
			},
		} {
			Expect(edit(owner, s.account, change)).To(refusedFor(field), field)
		}
		By("A4: and the owner, which only an OwnershipTransfer changes")
		Expect(edit(owner, s.account, func(a *clientareav1alpha1.Account) { a.Spec.Owner = clientareav1alpha1.ObjectName(s.member.Name) })).
			To(And(Satisfy(isForbidden), MatchError(ContainSubstring("spec.owner")), MatchError(ContainSubstring("OwnershipTransfer"))))

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(s.account), s.account)).To(Succeed())
		Expect(s.account.Spec.Type).To(Equal(clientareav1alpha1.AccountTypeCompany), "nothing of it changed")
		Expect(s.account.Spec.Owner).To(BeEquivalentTo(s.owner.Name))
		Expect(s.account.Labels).NotTo(HaveKey("tier"))
		Expect(s.account.Finalizers).NotTo(ContainElement("example.com/keep"))
		Expect(s.account.OwnerReferences).To(BeEmpty())

		By("the provider (an administrator) still changes the type")
		Expect(edit(k8sClient, s.account, func(a *clientareav1alpha1.Account) { a.Spec.Type = clientareav1alpha1.AccountTypeProject })).To(Succeed())
	})

	It("A5, A7: a member, even with All, can neither read nor update the Account; an owner cannot read or update another owner's Account, nor list Accounts", func() {
		s, other := newMemberSetup(), newMemberSetup()
		m := s.membership("all", s.member.Name, clientareav1alpha1.PermissionAll)
		create(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		owner, member := clientAs(string(s.owner.Spec.Email)), clientAs(string(s.member.Spec.Email))
		eventually(func() error {
			return owner.Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})
		}).Should(Succeed())

		Expect(member.Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})).To(Satisfy(isForbidden), "a member reads it")
		Expect(member.Update(ctx, s.account.DeepCopy())).To(Satisfy(isForbidden), "a member updates it")
		Expect(member.Patch(ctx, s.account.DeepCopy(), client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"displayName":"x"}}`)))).
			To(Satisfy(isForbidden), "a member patches it")

		Expect(owner.Get(ctx, client.ObjectKeyFromObject(other.account), &clientareav1alpha1.Account{})).To(Satisfy(isForbidden), "another owner's Account")
		Expect(owner.Update(ctx, other.account.DeepCopy())).To(Satisfy(isForbidden))
		Expect(owner.List(ctx, &clientareav1alpha1.AccountList{})).To(Satisfy(isForbidden), "the list of Accounts")
	})

	It("A4, T3, A7: after an ownership transfer the new owner reads and edits the profile, and the old owner can no longer", func() {
		s := newMemberSetup()
		oldOwner, newOwner := clientAs(string(s.owner.Spec.Email)), clientAs(string(s.member.Spec.Email))
		eventually(func() error {
			return oldOwner.Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})
		}).Should(Succeed())

		transfer := newTransfer(s, s.member.Name, s.owner.Name, clientareav1alpha1.PreviousOwnerKeepAsMember)
		create(transfer)
		finishedAs(transfer, clientareav1alpha1.TransferCompleted)

		eventually(func() error {
			return newOwner.Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})
		}).Should(Succeed())
		eventually(func() error {
			return oldOwner.Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})
		}).
			Should(Satisfy(isForbidden), "the old owner, kept as a member with All, reads it no longer")
		Expect(edit(newOwner, s.account, func(a *clientareav1alpha1.Account) { a.Spec.Contact.Name = "Bernd Weber" })).To(Succeed())
		Expect(edit(newOwner, s.account, func(a *clientareav1alpha1.Account) { a.Spec.Type = clientareav1alpha1.AccountTypePerson })).
			To(refusedFor("spec.type"), "the new owner is held to the profile too")
		Expect(oldOwner.Update(ctx, s.account.DeepCopy())).To(Satisfy(isForbidden))

		binding := &rbacv1.ClusterRoleBinding{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: controller.AccountAccessName(s.account.Name)}, binding)).To(Succeed())
		Expect(binding.Subjects).To(ConsistOf(HaveField("Name", string(s.member.Spec.Email))))
	})

	It("W3, A7: the front end's ServiceAccount, impersonating the owner, reads and edits the owner's profile (constrained impersonation covers clientarea.dev), and is held to the profile as the owner is", func() {
		s := newMemberSetup()
		web := frontEnd()
		owner := string(s.owner.Spec.Email)
		eventually(func() error {
			return web(owner).Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})
		}).Should(Succeed())
		Expect(edit(web(owner), s.account, func(a *clientareav1alpha1.Account) { a.Spec.Contact.Phone = "+49.4012345678" })).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(s.account), s.account)).To(Succeed())
		Expect(s.account.Spec.Contact.Phone).To(BeEquivalentTo("+49.4012345678"))
		Expect(edit(web(owner), s.account, func(a *clientareav1alpha1.Account) { a.Spec.Type = clientareav1alpha1.AccountTypePerson })).
			To(refusedFor("spec.type"))
		Expect(web(string(s.member.Spec.Email)).Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})).
			To(Satisfy(isForbidden), "a User who is not the owner")
	})

	It("A7, G3, U1, A8: the grant is a ClusterRole and ClusterRoleBinding clientarea-account-<account> controlled by the Account, for the owner's address on that one Account; restored when changed by hand; gone while the owner holds no address and when the account is deleted", func() {
		s := newMemberSetup()
		name := controller.AccountAccessName(s.account.Name)
		Expect(name).To(Equal("clientarea-account-" + s.account.Name))
		role, binding := &rbacv1.ClusterRole{}, &rbacv1.ClusterRoleBinding{}
		want := []rbacv1.PolicyRule{{APIGroups: []string{"clientarea.dev"}, Resources: []string{"accounts"}, ResourceNames: []string{s.account.Name},
			Verbs: []string{"get", "patch", "update"}}}
		rulesOf := func(g Gomega) []rbacv1.PolicyRule {
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: name}, role)).To(Succeed())
			return role.Rules
		}
		eventually(rulesOf).Should(Equal(want))
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKey{Name: name}, binding) }).Should(Succeed())
		Expect(binding.RoleRef).To(Equal(rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}))
		Expect(binding.Subjects).To(ConsistOf(rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: string(s.owner.Spec.Email)}))
		for _, obj := range []metav1.Object{role, binding} {
			Expect(metav1.GetControllerOf(obj)).To(And(Not(BeNil()), HaveField("UID", s.account.UID), HaveField("Kind", "Account")))
		}

		By("changed by hand, it is restored")
		change(role, func(r *rbacv1.ClusterRole) { r.Rules[0].Verbs = append(r.Rules[0].Verbs, "delete") })
		eventually(rulesOf).Should(Equal(want))

		By("U1: the owner's address passes to nobody (it tries another User's): the grant goes, and comes back with the address")
		original := s.owner.Spec.Email
		change(s.owner, func(u *clientareav1alpha1.User) { u.Spec.Email = s.member.Spec.Email })
		for _, obj := range []client.Object{&rbacv1.ClusterRoleBinding{}, &rbacv1.ClusterRole{}} {
			eventually(func() error { return k8sClient.Get(ctx, client.ObjectKey{Name: name}, obj) }).Should(Satisfy(isNotFound))
		}
		change(s.owner, func(u *clientareav1alpha1.User) { u.Spec.Email = original })
		eventually(rulesOf).Should(Equal(want))

		By("A8: the account is deleted: the grant goes at once")
		Expect(k8sClient.Delete(ctx, s.account)).To(Succeed())
		for _, obj := range []client.Object{&rbacv1.ClusterRoleBinding{}, &rbacv1.ClusterRole{}} {
			eventually(func() error { return k8sClient.Get(ctx, client.ObjectKey{Name: name}, obj) }).Should(Satisfy(isNotFound))
		}
	})

	It("G3: the operator writes an Account's ClusterRole only for get, update and patch of the one Account it is named after, and its binding only for that role and one user", func() {
		operator, err := env.ClientAs(testenv.OperatorUser, testenv.OperatorGroups...)
		Expect(err).NotTo(HaveOccurred())
		account := unique("g3")
		name := controller.AccountAccessName(account)
		roleWith := func(rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
			return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
		}
		accounts := func(verbs []string, names ...string) rbacv1.PolicyRule {
			return rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"accounts"}, ResourceNames: names, Verbs: verbs}
		}
		// Refused by the policy: RBAC alone would let the operator write
		// each of these, since it holds what they grant.
		refused := func(err error) bool {
			return isForbidden(err) && strings.Contains(err.Error(), "clientarea-operator-cluster-rbac")
		}
		profile := []string{"get", "patch", "update"}

		Expect(operator.Create(ctx, roleWith(accounts(profile, account)), client.DryRunAll)).To(Succeed(), "its shape")
		for what, role := range map[string]*rbacv1.ClusterRole{
			"list":                        roleWith(accounts([]string{"get", "list"}, account)),
			"another account":             roleWith(accounts(profile, "someone-else")),
			"every account":               roleWith(accounts(profile)),
			"two accounts":                roleWith(accounts(profile, account, "someone-else")),
			"the account's status":        roleWith(rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"accounts/status"}, ResourceNames: []string{account}, Verbs: profile}),
			"a second rule":               roleWith(accounts(profile, account), rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"users"}, Verbs: []string{"get"}}),
			"the memberships in its name": roleWith(rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"memberships"}, Verbs: profile}),
		} {
			Expect(operator.Create(ctx, role, client.DryRunAll)).To(Satisfy(refused), what)
		}
		Expect(operator.Create(ctx, clusterBinding(name, controller.PermissionClusterRole(clientareav1alpha1.PermissionAll), "someone@example.com"),
			client.DryRunAll)).To(Satisfy(refused), "an account's binding name for another role (one the operator may bind)")
	})

	It("A7: the owner-edits policy compares every field of an Account's spec but the profile (displayName, contact, billingContactRef), so that a field added later is refused to the owner until it is judged", func() {
		read := func(file string) string {
			text, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "policies", file))
			Expect(err).NotTo(HaveOccurred())
			return string(text)
		}
		edits, owner := read("account-owner-edits.yaml"), read("account-owner.yaml")
		spec := reflect.TypeFor[clientareav1alpha1.AccountSpec]()
		for i := range spec.NumField() {
			name, _, _ := strings.Cut(spec.Field(i).Tag.Get("json"), ",")
			switch name {
			case "displayName", "contact", "billingContactRef":
				Expect(edits).NotTo(ContainSubstring("object.spec."+name), "the profile is the owner's to change")
			case "owner":
				Expect(owner).To(ContainSubstring("object.spec.owner"), "A4 judges spec.owner")
			default:
				Expect(strings.Contains(edits, "object.spec."+name) || strings.Contains(edits, "object.spec.?"+name)).
					To(BeTrue(), "spec.%s is not compared in config/policies/account-owner-edits.yaml: an account's owner may change it", name)
			}
		}
	})
})

// frontEnd returns the web front end acting for a user: its own
// ServiceAccount's token (clientarea-system/clientarea-web, bound to the
// impersonator role as config/web binds it), impersonating the user as
// internal/web does. The operator keeps the role's rules (W3).
func frontEnd() func(user string) client.Client {
	GinkgoHelper()
	Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: webNamespace}}))).To(Succeed())
	account := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: webServiceAccount, Namespace: webNamespace}}
	Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, account))).To(Succeed())
	create(&rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: unique("test-clientarea-web")},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: controller.WebImpersonatorClusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: webServiceAccount, Namespace: webNamespace}},
	})
	request := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}
	Expect(k8sClient.SubResource("token").Create(ctx, account, request)).To(Succeed())
	web := rest.AnonymousClientConfig(env.Config)
	web.BearerToken = request.Status.Token
	return func(user string) client.Client {
		GinkgoHelper()
		cfg := rest.CopyConfig(web)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
		c, err := client.New(cfg, client.Options{Scheme: scheme.Scheme, Mapper: k8sClient.RESTMapper()})
		Expect(err).NotTo(HaveOccurred())
		return c
	}
}
