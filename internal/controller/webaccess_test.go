package controller_test

import (
	"path/filepath"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/fixtures"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

// The web front end's identity, as config/web deploys it.
const (
	webNamespace      = "clientarea-system"
	webServiceAccount = "clientarea-web"
)

var _ = Describe("The web front end's access: its ServiceAccount and a signed-in customer, as themselves", Ordered, func() {
	var (
		// web is the front end's own connection: the ServiceAccount's
		// token from the TokenRequest API, no administrator behind it.
		web *rest.Config
		s   memberSetup
	)

	// webAs is the front end acting for user (and groups), by impersonation
	// over its own connection, as internal/web does. The REST mapping comes
	// from the administrator's client: discovery is not what is tested.
	webAs := func(user string, groups ...string) client.Client {
		GinkgoHelper()
		cfg := rest.CopyConfig(web)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
		c, err := client.New(cfg, client.Options{Scheme: scheme.Scheme, Mapper: k8sClient.RESTMapper()})
		Expect(err).NotTo(HaveOccurred())
		return c
	}
	// webItself is the front end with no one to act for.
	webItself := func() client.Client {
		GinkgoHelper()
		c, err := client.New(web, client.Options{Scheme: scheme.Scheme, Mapper: k8sClient.RESTMapper()})
		Expect(err).NotTo(HaveOccurred())
		return c
	}
	// refusedImpersonating is the API server's refusal of a request that
	// the front end may not send as anyone: constrained impersonation, not
	// the customer's RBAC.
	refusedImpersonating := func(err error) bool {
		return isForbidden(err) && strings.Contains(err.Error(), "impersonate-on")
	}
	// impersonates tells whether the API server lets the front end act as
	// user (and groups): a self access review, which any signed-in user may
	// ask, is refused only when the impersonation is. Any other error is
	// returned, for Eventually to try again.
	impersonates := func(user string, groups ...string) (bool, error) {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Group: "clientarea.dev", Resource: "contacts", Verb: "list", Namespace: s.namespace},
		}}
		err := webAs(user, groups...).Create(ctx, review)
		if apierrors.IsForbidden(err) {
			return false, nil
		}
		return err == nil, err
	}

	BeforeAll(func() {
		By("the admission policy that holds the operator's cluster-wide RBAC writes, and the shipped impersonator role, as a deployment installs them")
		Expect(testenv.ApplyFile(ctx, k8sClient, filepath.Join(testenv.RepoRoot(), "config", "rbac", "operator_cluster_rbac_policy.yaml"))).To(Succeed())
		Expect(testenv.ApplyFile(ctx, k8sClient, filepath.Join(testenv.RepoRoot(), "config", "web", "impersonator_role.yaml"))).To(Succeed())
		operator, err := env.ClientAs(testenv.OperatorUser, testenv.OperatorGroups...)
		Expect(err).NotTo(HaveOccurred())
		eventually(func() error {
			return operator.Create(ctx, clusterBinding("probe-"+unique("policy"), "clientarea-owner", "someone@example.com"), client.DryRunAll)
		}).Should(MatchError(ContainSubstring("writes only")), "the policy is in force")

		By("the front end's ServiceAccount, bound to the impersonator role as config/web binds it")
		Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: webNamespace}}))).To(Succeed())
		Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &corev1.ServiceAccount{
			ObjectMeta: metav1.ObjectMeta{Name: webServiceAccount, Namespace: webNamespace}}))).To(Succeed())
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: unique("test-clientarea-web")},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: controller.WebImpersonatorClusterRole},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: webServiceAccount, Namespace: webNamespace}},
		}
		create(binding)
		clientset, err := kubernetes.NewForConfig(env.Config)
		Expect(err).NotTo(HaveOccurred())
		token, err := clientset.CoreV1().ServiceAccounts(webNamespace).CreateToken(ctx, webServiceAccount, &authenticationv1.TokenRequest{
			Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
		}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		web = rest.AnonymousClientConfig(env.Config)
		web.BearerToken = token.Status.Token
		review, err := kubernetes.NewForConfigOrDie(web).AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(review.Status.UserInfo.Username).To(Equal("system:serviceaccount:" + webNamespace + ":" + webServiceAccount))

		By("an account with an owner and a member")
		s = newMemberSetup()
		m := s.membership("member", s.member.Name, clientareav1alpha1.PermissionInvoices)
		create(m)
		eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
	})

	It("W3: the front end's ServiceAccount acts as a claimed address, and then may do what that customer may", func() {
		owner := string(s.owner.Spec.Email)
		eventually(func() (bool, error) { return impersonates(owner) }).Should(BeTrue())
		Expect(webAs(owner).List(ctx, &clientareav1alpha1.ContactList{}, client.InNamespace(s.namespace))).To(Succeed())
		// The member's address reaches the impersonator role in a write of its own.
		eventually(func() error {
			return webAs(string(s.member.Spec.Email)).List(ctx, &clientareav1alpha1.InvoiceList{}, client.InNamespace(s.namespace))
		}).Should(Succeed())
		Expect(webAs(string(s.member.Spec.Email)).List(ctx, &clientareav1alpha1.ContactList{}, client.InNamespace(s.namespace))).
			To(Satisfy(isForbidden), "A5, M1: the member's own rights, no more")

		By("W5: it asks the API server, as the customer, what the customer may do")
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Group: "clientarea.dev", Resource: "memberships", Verb: "create", Namespace: s.namespace},
		}}
		Expect(webAs(string(s.member.Spec.Email)).Create(ctx, review)).To(Succeed())
		Expect(review.Status.Allowed).To(BeFalse(), "M3: a member does not manage members")
		rules := &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: s.namespace}}
		Expect(webAs(owner).Create(ctx, rules)).To(Satisfy(refusedImpersonating), "the pages ask access reviews, never rules reviews")
	})

	It("W3: while impersonating a customer, the front end sends only what its pages send, even where the customer's own RBAC allows more", func() {
		owner := string(s.owner.Spec.Email)
		eventually(func() (bool, error) { return impersonates(owner) }).Should(BeTrue())

		By("the customer may create an OwnershipTransfer and patch a Membership's status, as itself")
		transfers := &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: unique("test-w3-transfers")},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"clientarea.dev"}, Resources: []string{"ownershiptransfers"}, Verbs: []string{"create"}}},
		}
		create(transfers)
		create(clusterBinding(transfers.Name, transfers.Name, owner))
		status := &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "test-w3-status", Namespace: s.namespace},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"clientarea.dev"}, Resources: []string{"memberships/status"}, Verbs: []string{"patch", "update"}}},
		}
		create(status)
		create(&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: status.Name, Namespace: s.namespace},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: status.Name},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: owner}},
		})
		allowed := func(attributes authorizationv1.ResourceAttributes) func(Gomega) bool {
			return func(g Gomega) bool {
				review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: owner, ResourceAttributes: &attributes}}
				g.Expect(k8sClient.Create(ctx, review)).To(Succeed())
				return review.Status.Allowed
			}
		}
		eventually(allowed(authorizationv1.ResourceAttributes{Group: "clientarea.dev", Resource: "ownershiptransfers", Verb: "create"})).Should(BeTrue())
		eventually(allowed(authorizationv1.ResourceAttributes{Group: "clientarea.dev", Resource: "memberships", Subresource: "status",
			Verb: "patch", Namespace: s.namespace, Name: "member"})).Should(BeTrue())
		Expect(allowed(authorizationv1.ResourceAttributes{Group: "clientarea.dev", Resource: "contacts", Verb: "patch", Namespace: s.namespace})(Default)).
			To(BeTrue(), "the owner patches contacts, which the pages update instead")

		By("through the front end, constrained impersonation refuses them")
		transfer := &clientareav1alpha1.OwnershipTransfer{ObjectMeta: metav1.ObjectMeta{Name: unique("w3-transfer")}}
		Expect(webAs(owner).Create(ctx, transfer, client.DryRunAll)).To(Satisfy(refusedImpersonating), "create an OwnershipTransfer")
		membership := &clientareav1alpha1.Membership{ObjectMeta: metav1.ObjectMeta{Name: "member", Namespace: s.namespace}}
		Expect(webAs(owner).Status().Patch(ctx, membership, client.RawPatch(types.MergePatchType, []byte(`{"status":{}}`)), client.DryRunAll)).
			To(Satisfy(refusedImpersonating), "patch a Membership's status")
		Expect(webAs(owner).List(ctx, &clientareav1alpha1.PriceListList{})).To(Satisfy(refusedImpersonating), "list PriceLists")

		By("and lets through what the pages do")
		asOwner := webAs(owner)
		contact := fixtures.Contact(s.namespace)
		Expect(asOwner.Create(ctx, contact)).To(Succeed(), "create a Contact")
		DeferCleanupDelete(contact)
		Expect(asOwner.Patch(ctx, contact, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"city":"Bonn"}}`)), client.DryRunAll)).
			To(Satisfy(refusedImpersonating), "patch a Contact, which the pages update")
		// The operator may write a status meanwhile: a conflict reads again.
		eventually(func(g Gomega) {
			g.Expect(asOwner.Get(ctx, client.ObjectKeyFromObject(contact), contact)).To(Succeed(), "get a Contact")
			contact.Spec.City = "Bonn"
			g.Expect(asOwner.Update(ctx, contact)).To(Succeed(), "update a Contact")
		}).Should(Succeed())
		Expect(asOwner.List(ctx, &clientareav1alpha1.ContactList{}, client.InNamespace(s.namespace))).To(Succeed(), "list Contacts")
		Expect(asOwner.Delete(ctx, contact)).To(Succeed(), "delete a Contact")
		Expect(asOwner.List(ctx, &clientareav1alpha1.MembershipList{}, client.InNamespace(s.namespace))).To(Succeed(), "list Memberships")
		eventually(func(g Gomega) {
			g.Expect(asOwner.Get(ctx, client.ObjectKeyFromObject(membership), membership)).To(Succeed(), "get a Membership")
			g.Expect(asOwner.Update(ctx, membership, client.DryRunAll)).To(Succeed(), "update a Membership")
		}).Should(Succeed())
		Expect(asOwner.Delete(ctx, membership, client.DryRunAll)).To(Succeed(), "delete a Membership")
		Expect(asOwner.Delete(ctx, &clientareav1alpha1.Domain{ObjectMeta: metav1.ObjectMeta{Name: "any", Namespace: s.namespace}}, client.DryRunAll)).
			To(Satisfy(refusedImpersonating), "delete a Domain, which the owner may and the pages never do")
		Expect(asOwner.List(ctx, &clientareav1alpha1.DomainList{}, client.InNamespace(s.namespace))).To(Succeed(), "list Domains")
		Expect(asOwner.List(ctx, &clientareav1alpha1.InvoiceList{}, client.InNamespace(s.namespace))).To(Succeed(), "list Invoices")
		eventually(func() error {
			return asOwner.Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})
		}).Should(Succeed(), "get the Account")
		Expect(asOwner.Patch(ctx, &clientareav1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Name: s.account.Name}},
			client.RawPatch(types.MergePatchType, []byte(`{"spec":{"displayName":"W3"}}`)), client.DryRunAll)).To(Succeed(), "patch the Account's profile")
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Group: "clientarea.dev", Resource: "ownershiptransfers", Verb: "create"},
		}}
		Expect(asOwner.Create(ctx, review)).To(Succeed(), "ask a self access review")
		Expect(review.Status.Allowed).To(BeTrue(), "which answers as the customer, whatever the front end may send")
	})

	It("W3: the front end's ServiceAccount can impersonate nothing but a claimed address: not an unclaimed address, another spelling, a system: name, a ServiceAccount or a group", func() {
		owner := string(s.owner.Spec.Email)
		eventually(func() (bool, error) { return impersonates(owner) }).Should(BeTrue())
		for _, user := range []string{
			"nobody-" + unique("x") + "@example.com",
			strings.ToUpper(owner), // the front end lower-cases the verified address; RBAC compares names exactly
			"system:admin",
			"system:anonymous",
			"system:kube-controller-manager",
			"system:node:node-1",
			testenv.OperatorUser,
			"system:serviceaccount:" + webNamespace + ":" + webServiceAccount,
		} {
			Expect(impersonates(user)).To(BeFalse(), "impersonating %s", user)
		}
		for _, group := range []string{"system:masters", "system:authenticated", "clientarea-support", "system:serviceaccounts"} {
			Expect(impersonates(owner, group)).To(BeFalse(), "impersonating %s in group %s", owner, group)
		}
		Expect(impersonates(owner)).To(BeTrue())
	})

	It("W3: as itself, the front end's ServiceAccount reads nothing of any account", func() {
		c := webItself()
		Expect(c.List(ctx, &clientareav1alpha1.ContactList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "list contacts in an account")
		Expect(c.List(ctx, &clientareav1alpha1.InvoiceList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "list invoices in an account")
		Expect(c.List(ctx, &clientareav1alpha1.MembershipList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "list memberships in an account")
		Expect(c.Get(ctx, client.ObjectKeyFromObject(s.owner), &clientareav1alpha1.User{})).To(Satisfy(isForbidden), "get a User")
		Expect(c.List(ctx, &clientareav1alpha1.UserList{})).To(Satisfy(isForbidden), "list Users")
		Expect(c.List(ctx, &clientareav1alpha1.AccountList{})).To(Satisfy(isForbidden), "list Accounts")
		Expect(c.List(ctx, &clientareav1alpha1.EmailClaimList{})).To(Satisfy(isForbidden), "list EmailClaims")
		Expect(c.List(ctx, &corev1.SecretList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "list Secrets in an account")
	})

	It("W3: while impersonating, the front end reaches only clientarea.dev resources and self access reviews, even where the customer may reach more (constrained impersonation)", func() {
		owner := string(s.owner.Spec.Email)
		role := &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "configmaps", Namespace: s.namespace},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}}},
		}
		create(role)
		create(&rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "configmaps", Namespace: s.namespace},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: owner}},
		})
		direct, err := env.ClientAs(owner)
		Expect(err).NotTo(HaveOccurred())
		eventually(func() error { return direct.List(ctx, &corev1.ConfigMapList{}, client.InNamespace(s.namespace)) }).Should(Succeed(),
			"the customer itself may list ConfigMaps here")
		Expect(webAs(owner).List(ctx, &corev1.ConfigMapList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden),
			"through the front end it may not")
		Expect(webAs(owner).List(ctx, &clientareav1alpha1.ContactList{}, client.InNamespace(s.namespace))).To(Succeed())
	})

	It("U1, W3: a signed-in customer reads its own User and EmailClaim, and no other User's", func() {
		owner, member := string(s.owner.Spec.Email), string(s.member.Spec.Email)
		asOwner := webAs(owner)
		// status.accounts is written at most a batch period after the
		// account appears (--status-batch-period).
		eventually(func(g Gomega) []clientareav1alpha1.UserAccount {
			user := &clientareav1alpha1.User{}
			g.Expect(asOwner.Get(ctx, client.ObjectKeyFromObject(s.owner), user)).To(Succeed())
			return user.Status.Accounts
		}).Should(ContainElement(HaveField("Account", s.account.Name)), "U2: its accounts, for the choice after login")
		claim := &clientareav1alpha1.EmailClaim{}
		Expect(asOwner.Get(ctx, client.ObjectKey{Name: clientareav1alpha1.EmailClaimName(owner)}, claim)).To(Succeed())
		Expect(claim.Spec.User).To(BeEquivalentTo(s.owner.Name))

		Expect(asOwner.Get(ctx, client.ObjectKeyFromObject(s.member), &clientareav1alpha1.User{})).To(Satisfy(isForbidden), "another User")
		Expect(asOwner.Get(ctx, client.ObjectKey{Name: clientareav1alpha1.EmailClaimName(member)}, &clientareav1alpha1.EmailClaim{})).
			To(Satisfy(isForbidden), "another User's claim")
		Expect(asOwner.List(ctx, &clientareav1alpha1.UserList{})).To(Satisfy(isForbidden), "the list of Users")
		Expect(asOwner.List(ctx, &clientareav1alpha1.EmailClaimList{})).To(Satisfy(isForbidden), "the list of claims")
		Expect(asOwner.List(ctx, &clientareav1alpha1.AccountList{})).To(Satisfy(isForbidden), "the list of Accounts")
		eventually(func() error {
			return asOwner.Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})
		}).Should(Succeed(), "A7: the owner reads its own Account, whose profile it edits (account_profile_test.go)")
		Expect(webAs(member).Get(ctx, client.ObjectKeyFromObject(s.account), &clientareav1alpha1.Account{})).To(Satisfy(isForbidden), "a member, the Account")

		By("the grant is a ClusterRole and ClusterRoleBinding controlled by the User, for its address and these two objects only")
		name := controller.UserAccessName(s.owner.Name)
		role, binding := &rbacv1.ClusterRole{}, &rbacv1.ClusterRoleBinding{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: name}, role)).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: name}, binding)).To(Succeed())
		Expect(role.Rules).To(ConsistOf(
			rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"users"}, ResourceNames: []string{s.owner.Name}, Verbs: []string{"get"}},
			rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"emailclaims"}, ResourceNames: []string{clientareav1alpha1.EmailClaimName(owner)}, Verbs: []string{"get"}},
		))
		Expect(binding.RoleRef.Name).To(Equal(name))
		Expect(binding.Subjects).To(ConsistOf(HaveField("Name", owner)))
		for _, obj := range []metav1.Object{role, binding} {
			Expect(metav1.GetControllerOf(obj)).To(And(Not(BeNil()), HaveField("UID", s.owner.UID)))
		}
	})

	It("U1, U4, W3: access follows the address a User holds: a new address may act and read the User, the old one nothing; a User that holds no address has no access objects", func() {
		suffix := unique("w3")
		first, second := "carla-"+suffix+"@example.com", "carla-"+suffix+"@example.org"
		carla := newUser("carla-"+suffix, first)
		create(carla)
		eventually(func() error {
			return webAs(first).Get(ctx, client.ObjectKeyFromObject(carla), &clientareav1alpha1.User{})
		}).Should(Succeed())

		By("U4: a new address")
		change(carla, func(u *clientareav1alpha1.User) { u.Spec.Email = clientareav1alpha1.EmailAddress(second) })
		eventually(func() error {
			return webAs(second).Get(ctx, client.ObjectKeyFromObject(carla), &clientareav1alpha1.User{})
		}).Should(Succeed())
		eventually(func() (bool, error) { return impersonates(first) }).Should(BeFalse(), "the old address is no longer claimed")

		By("U1: a second User with the same address holds none, and gets no access objects")
		dora := newUser("dora-"+suffix, second)
		create(dora)
		eventually(condition(dora, func() []metav1.Condition { return dora.Status.Conditions }, clientareav1alpha1.UserConditionEmailClaimed)).
			Should(haveStatus(metav1.ConditionFalse, clientareav1alpha1.UserReasonEmailConflict))
		consistently(func() error {
			return k8sClient.Get(ctx, client.ObjectKey{Name: controller.UserAccessName(dora.Name)}, &rbacv1.ClusterRole{})
		}).Should(Satisfy(isNotFound))
		Expect(webAs(second).Get(ctx, client.ObjectKeyFromObject(dora), &clientareav1alpha1.User{})).To(Satisfy(isForbidden))

		By("U3: the first User is deleted: its access objects go, and the address passes to the second")
		Expect(k8sClient.Delete(ctx, carla)).To(Succeed())
		for _, obj := range []client.Object{&rbacv1.ClusterRole{}, &rbacv1.ClusterRoleBinding{}} {
			eventually(func() error {
				return k8sClient.Get(ctx, client.ObjectKey{Name: controller.UserAccessName(carla.Name)}, obj)
			}).Should(Satisfy(isNotFound))
		}
		eventually(func() error {
			return webAs(second).Get(ctx, client.ObjectKeyFromObject(dora), &clientareav1alpha1.User{})
		}).Should(Succeed())
		Expect(webAs(second).Get(ctx, client.ObjectKeyFromObject(carla), &clientareav1alpha1.User{})).To(Satisfy(isForbidden))
	})

	It("W3, G4: the impersonator role's rules are the claimed addresses, sorted; none without a claim; restored when changed by hand, and not written while nothing changes", func() {
		Expect(controller.WebImpersonatorRules(nil)).To(BeEmpty(), "no claim: no rule, since a rule without names would allow every user")
		role := &rbacv1.ClusterRole{}
		claimed := func(g Gomega) []string {
			claims := &clientareav1alpha1.EmailClaimList{}
			g.Expect(k8sClient.List(ctx, claims)).To(Succeed())
			var addresses []string
			for _, claim := range claims.Items {
				addresses = append(addresses, string(claim.Spec.Email))
			}
			slices.Sort(addresses)
			return addresses
		}
		impersonatorRules := func(g Gomega) []rbacv1.PolicyRule {
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: controller.WebImpersonatorClusterRole}, role)).To(Succeed())
			return role.Rules
		}
		waitForQuiet()
		addresses := claimed(Default)
		Expect(addresses).To(ContainElements(string(s.owner.Spec.Email), string(s.member.Spec.Email)))
		Expect(impersonatorRules(Default)).To(Equal(controller.WebImpersonatorRules(addresses)))
		Expect(role.Rules[0].ResourceNames).To(Equal(addresses))
		on := func(verbs ...string) []string {
			for i, verb := range verbs {
				verbs[i] = "impersonate-on:user-info:" + verb
			}
			return verbs
		}
		Expect(role.Rules).To(Equal([]rbacv1.PolicyRule{
			{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"users"}, Verbs: []string{"impersonate:user-info"}, ResourceNames: addresses},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"emailclaims"}, Verbs: on("get")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"users"}, Verbs: on("get")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"accounts"}, Verbs: on("get", "update", "patch")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"memberships"}, Verbs: on("get", "list", "create", "update", "delete")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"contacts"}, Verbs: on("get", "list", "create", "update", "delete")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"domains"}, Verbs: on("get", "list", "create", "update")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"invoices"}, Verbs: on("get", "list")},
			{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"selfsubjectaccessreviews"}, Verbs: on("create")},
		}), "exactly what internal/web sends as a customer: no other resource, no subresource, no watch")
		for _, rule := range role.Rules {
			Expect(rule.Verbs).NotTo(ContainElement("impersonate"), "no legacy impersonation, which constrained impersonation would fall back to")
		}

		By("G4: idle, it is not written")
		version := role.ResourceVersion
		consistently(func(g Gomega) string {
			impersonatorRules(g)
			return role.ResourceVersion
		}).Should(Equal(version))

		By("changed by hand, it is restored")
		change(role, func(r *rbacv1.ClusterRole) {
			r.Rules = append(r.Rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate"}})
		})
		eventually(impersonatorRules).Should(Equal(controller.WebImpersonatorRules(claimed(Default))))
	})

	It("G3: the operator writes no ClusterRole or ClusterRoleBinding but its own, in their shapes", func() {
		operator, err := env.ClientAs(testenv.OperatorUser, testenv.OperatorGroups...)
		Expect(err).NotTo(HaveOccurred())
		someone := "someone-" + unique("g3") + "@example.com"
		refused := func(err error) bool {
			return isForbidden(err) && strings.Contains(err.Error(), "clientarea-operator-cluster-rbac")
		}

		By("it may not bind an account's role cluster-wide, which RBAC alone would let it (it holds `bind` on it)")
		Expect(operator.Create(ctx, clusterBinding("everywhere-"+unique("g3"), "clientarea-owner", someone), client.DryRunAll)).To(Satisfy(refused))
		Expect(operator.Create(ctx, clusterBinding(controller.UserAccessName(unique("g3")), "clientarea-owner", someone), client.DryRunAll)).
			To(Satisfy(refused), "not even under a User's name")

		By("it may not change another ClusterRole, nor delete the impersonator role")
		// One whose rules the operator holds, so that RBAC's own escalation
		// check would let it through.
		members := &rbacv1.ClusterRole{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: controller.PermissionClusterRole(clientareav1alpha1.PermissionMembers)}, members)).To(Succeed())
		members.Rules = append(members.Rules, rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"users"}, Verbs: []string{"list"}})
		Expect(operator.Update(ctx, members, client.DryRunAll)).To(Satisfy(refused))
		impersonator := &rbacv1.ClusterRole{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: controller.WebImpersonatorClusterRole}, impersonator)).To(Succeed())
		Expect(operator.Delete(ctx, impersonator, client.DryRunAll)).To(Satisfy(refused))

		By("it may not give the front end more than constrained impersonation of named users, though it may `escalate` that role")
		on := func(verb string) []string { return []string{"impersonate-on:user-info:" + verb} }
		for _, extra := range []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate"}},
			{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"groups"}, Verbs: []string{"impersonate:user-info"}},
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"impersonate-on:user-info:get"}},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"accounts"}, Verbs: []string{"list"}},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"*"}, Verbs: on("get")},
			{APIGroups: []string{"*"}, Resources: []string{"contacts"}, Verbs: on("get")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"ownershiptransfers"}, Verbs: on("create")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"pricelists"}, Verbs: on("get")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"numberclaims"}, Verbs: on("create")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"memberships/status"}, Verbs: on("patch")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"contacts"}, Verbs: on("watch")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"contacts"}, Verbs: on("*")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"invoices"}, Verbs: on("delete")},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"domains"}, Verbs: on("delete")},
			{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"selfsubjectrulesreviews"}, Verbs: on("create")},
			{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: on("create")},
		} {
			changed := impersonator.DeepCopy()
			changed.Rules = append(changed.Rules, extra)
			Expect(operator.Update(ctx, changed, client.DryRunAll)).To(Satisfy(refused), "%v", extra)
		}

		By("it may let the front end impersonate only e-mail addresses, never a system: name")
		for _, name := range []string{"system:admin", "system:kube-controller-manager", "system:serviceaccount:kube-system:default",
			"system:admin@example.com", "clientarea-support", "someone@", "@example.com", "someone@localhost", "*"} {
			changed := impersonator.DeepCopy()
			changed.Rules[0].ResourceNames = append(changed.Rules[0].ResourceNames, name)
			Expect(operator.Update(ctx, changed, client.DryRunAll)).
				To(And(Satisfy(refused), MatchError(ContainSubstring("only impersonate e-mail addresses"))), "%s", name)
		}
		Expect(controller.WebImpersonatorRules([]string{"system:admin", "system:admin@example.com", "clientarea-support"})).
			To(BeEmpty(), "the operator leaves out a name that is no address")
		Expect(operator.Update(ctx, impersonator, client.DryRunAll)).To(Succeed(), "the role as the operator keeps it")

		By("a User's ClusterRole grants only get on one User and one EmailClaim")
		Expect(operator.Create(ctx, &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: controller.UserAccessName(unique("g3"))},
			Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"clientarea.dev"}, Resources: []string{"accounts"}, Verbs: []string{"get"}}},
		}, client.DryRunAll)).To(Satisfy(refused))
	})
})

// clusterBinding is a ClusterRoleBinding of a ClusterRole for one user.
func clusterBinding(name, clusterRole, user string) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
}
