package controller_test

import (
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/fixtures"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

// The kinds that live in an account namespace, and the verbs checked on each.
var (
	matrixKinds = []string{"memberships", "contacts", "domains", "invoices"}
	matrixVerbs = []string{"get", "list", "create", "update", "delete"}
)

const (
	readOnly = "get,list"
	manage   = "get,list,create,update,delete"
)

// identity is one row of the access matrix: who, and what SPEC says they may
// do per kind in the account namespace ("" is nothing).
type identity struct {
	name    string
	email   string
	groups  []string
	allowed map[string]string
}

var _ = Describe("Access matrix: who may do what in an account, enforced by the API server", Ordered, func() {
	var (
		accountName string
		namespace   string
		rows        []identity
	)

	BeforeAll(func() {
		suffix := unique("m")
		owner := newUser("owner-"+suffix, "owner-"+suffix+"@agency.example")
		create(owner)
		account := newAccount("matrix-"+suffix, owner.Name)
		create(account)
		other := newAccount("other-"+suffix, "outsider-"+suffix)
		create(other)
		accountName, namespace = account.Name, namespacePrefix+account.Name

		rows = []identity{
			{"owner (A3)", string(owner.Spec.Email), nil, map[string]string{"memberships": manage, "contacts": manage, "domains": manage, "invoices": readOnly}},
			{"member: Invoices (M1)", "", nil, map[string]string{"invoices": readOnly}},
			{"member: Domains (M1)", "", nil, map[string]string{"domains": manage, "contacts": readOnly}},
			{"member: Contacts (M1)", "", nil, map[string]string{"contacts": manage}},
			{"member: Members (M1)", "", nil, map[string]string{"memberships": readOnly}},
			{"member: All (M1, M3)", "", nil, map[string]string{"contacts": manage, "domains": manage, "invoices": readOnly, "memberships": readOnly}},
			{"owner of another account (A5)", "outsider-" + suffix + "@other.example", nil, map[string]string{}},
			{"user with no account (A5)", "nobody-" + suffix + "@example.com", nil, map[string]string{}},
			// G3: the operator reads what it reconciles; it manages
			// memberships (their finalizer, and the previous owner's after a
			// transfer, T1), updates contacts and domains only for their
			// finalizer and holder label (C3, D6), and creates or deletes
			// none of them; invoices it issues (I2) and never changes or
			// deletes (I3).
			{"operator (G3)", testenv.OperatorUser, testenv.OperatorGroups, map[string]string{
				"memberships": manage, "contacts": "get,list,update", "domains": "get,list,update", "invoices": "get,list,create"}},
		}
		create(newUser("outsider-"+suffix, rows[6].email))
		create(newUser("nobody-"+suffix, rows[7].email))
		permissions := []clientareav1alpha1.Permission{clientareav1alpha1.PermissionInvoices, clientareav1alpha1.PermissionDomains, clientareav1alpha1.PermissionContacts, clientareav1alpha1.PermissionMembers, clientareav1alpha1.PermissionAll}
		for i, permission := range permissions {
			userName := strings.ToLower(string(permission)) + "-" + suffix
			rows[i+1].email = userName + "@agency.example"
			create(newUser(userName, rows[i+1].email))
		}

		eventually(condition(account, func() []metav1.Condition { return account.Status.Conditions }, clientareav1alpha1.ConditionReady)).
			Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.ReasonReady))
		for _, permission := range permissions {
			membership := &clientareav1alpha1.Membership{
				ObjectMeta: metav1.ObjectMeta{Name: strings.ToLower(string(permission)), Namespace: namespace},
				Spec:       clientareav1alpha1.MembershipSpec{User: clientareav1alpha1.ObjectName(strings.ToLower(string(permission)) + "-" + suffix), Permissions: []clientareav1alpha1.Permission{permission}},
			}
			create(membership)
			eventually(condition(membership, func() []metav1.Condition { return membership.Status.Conditions }, clientareav1alpha1.ConditionReady)).
				Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		}
		eventually(condition(other, func() []metav1.Condition { return other.Status.Conditions }, clientareav1alpha1.AccountConditionNamespaceReady)).
			Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.AccountReasonNamespaceCreated))
		// One object of each kind, in both accounts, for get, update and
		// delete to act on.
		create(fixtures.Membership(namespacePrefix + other.Name))
		for _, ns := range []string{namespace, namespacePrefix + other.Name} {
			create(fixtures.Contact(ns))
			create(fixtures.Domain(ns))
			create(fixtures.Invoice(ns))
		}
	})

	It("A3, A5, M1, M2, M3, I6: every identity can do exactly what SPEC gives it, and nothing else", func() {
		var table strings.Builder
		fmt.Fprintf(&table, "| identity | %s |\n|---|%s\n", strings.Join(matrixKinds, " | "), strings.Repeat("---|", len(matrixKinds)))
		var mismatches []string
		for _, row := range rows {
			c, err := env.ClientAs(row.email, row.groups...)
			Expect(err).NotTo(HaveOccurred())
			cells := []string{}
			for _, kind := range matrixKinds {
				var granted []string
				for _, verb := range matrixVerbs {
					allowed := tryVerb(c, namespace, kind, verb)
					want := slices.Contains(strings.Split(row.allowed[kind], ","), verb)
					if allowed != want {
						mismatches = append(mismatches, fmt.Sprintf("%s: %s %s: allowed=%v, SPEC says %v", row.name, verb, kind, allowed, want))
					}
					if allowed {
						granted = append(granted, verb)
					}
				}
				cells = append(cells, cellText(granted))
			}
			fmt.Fprintf(&table, "| %s | %s |\n", row.name, strings.Join(cells, " | "))
		}
		AddReportEntry("access matrix in account "+accountName, table.String())
		GinkgoWriter.Println(table.String())
		Expect(mismatches).To(BeEmpty())
	})

	It("A5: the owner of one account can do nothing in another's", func() {
		other := "other-" + strings.TrimPrefix(accountName, "matrix-")
		c, err := env.ClientAs(rows[0].email)
		Expect(err).NotTo(HaveOccurred())
		for _, kind := range matrixKinds {
			for _, verb := range matrixVerbs {
				Expect(tryVerb(c, namespacePrefix+other, kind, verb)).To(BeFalse(), "%s %s in %s", verb, kind, other)
			}
		}
	})
})

var _ = Describe("The operator's own privilege", func() {
	It("G3: the operator writes Secrets only in the namespaces of its accounts, through a binding it makes there, and reads none anywhere", func() {
		s := newMemberSetup()
		operator, err := env.ClientAs(testenv.OperatorUser, testenv.OperatorGroups...)
		Expect(err).NotTo(HaveOccurred())
		secretIn := func(namespace string) *corev1.Secret {
			return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{GenerateName: "probe-", Namespace: namespace}, StringData: map[string]string{"k": "v"}}
		}

		By("in the account namespace it binds its namespace role for itself, and may create and delete Secrets there")
		binding := &rbacv1.RoleBinding{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: controller.OperatorNamespaceClusterRole}, binding)).To(Succeed())
		Expect(binding.RoleRef.Name).To(Equal(controller.OperatorNamespaceClusterRole))
		Expect(binding.Subjects).To(ConsistOf(HaveField("Name", testenv.OperatorUser)))
		Expect(operator.Create(ctx, secretIn(s.namespace), client.DryRunAll)).To(Succeed())
		probe := secretIn(s.namespace)
		Expect(k8sClient.Create(ctx, probe)).To(Succeed())
		Expect(operator.Get(ctx, client.ObjectKeyFromObject(probe), &corev1.Secret{})).To(Satisfy(isForbidden), "it never reads a Secret")
		Expect(operator.Delete(ctx, probe)).To(Succeed())

		By("anywhere else it can neither write nor read a Secret")
		for _, namespace := range []string{"default", "kube-system", "clientarea-system"} {
			Expect(operator.Create(ctx, secretIn(namespace), client.DryRunAll)).To(Satisfy(isForbidden), "create a Secret in %s", namespace)
			Expect(operator.List(ctx, &corev1.SecretList{}, client.InNamespace(namespace))).To(Satisfy(isForbidden), "list Secrets in %s", namespace)
		}
		Expect(operator.List(ctx, &corev1.SecretList{})).To(Satisfy(isForbidden), "list Secrets cluster-wide")

		By("it may bind its namespace role, and no other role it does not hold, for anyone")
		escalation := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "probe-", Namespace: s.namespace},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: testenv.OperatorUser}},
		}
		Expect(operator.Create(ctx, escalation, client.DryRunAll)).To(Satisfy(isForbidden))

		By("A8: deleting the account revokes every grant but the operator's own, which removing a domain's login Secret still needs")
		domain := activeDomain(s)
		Expect(domain.Status.AuthCodeSecret).NotTo(BeEmpty())
		Expect(k8sClient.Delete(ctx, s.account)).To(Succeed())
		eventually(condition(s.account, func() []metav1.Condition { return s.account.Status.Conditions }, clientareav1alpha1.AccountConditionDeleting)).
			Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.AccountReasonActiveDomains))
		bindings := &rbacv1.RoleBindingList{}
		Expect(k8sClient.List(ctx, bindings, client.InNamespace(s.namespace))).To(Succeed())
		Expect(bindings.Items).To(ConsistOf(HaveField("Name", controller.OperatorNamespaceClusterRole)), "only the operator's own binding is left")
		Expect(k8sClient.Delete(ctx, domain)).To(Succeed())
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain) }).Should(Satisfy(isNotFound))
		eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: domain.Status.AuthCodeSecret}, &corev1.Secret{})
		}).Should(Satisfy(isNotFound), "the operator deleted the login's Secret")
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(s.account), s.account) }).Should(Satisfy(isNotFound))
	})

	It("G3: though it holds `escalate` and `bind` on Roles in account namespaces and `bind` and `escalate` on every ClusterRole, the operator writes RBAC only in the shapes it keeps, and namespaced RBAC only in account namespaces", func() {
		s := newMemberSetup()
		operator, err := env.ClientAs(testenv.OperatorUser, testenv.OperatorGroups...)
		Expect(err).NotTo(HaveOccurred())
		refusedBy := func(policy string) func(error) bool {
			return func(err error) bool { return isForbidden(err) && strings.Contains(err.Error(), policy) }
		}
		refused := refusedBy("clientarea-operator-namespace-rbac")
		login := "domain-login-" + unique("probe")
		domainRule := rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"domains"}, ResourceNames: []string{"probe"},
			Verbs: []string{"get", "update", "patch"}}
		holderRule := rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"contacts"}, ResourceNames: []string{"holder"},
			Verbs: []string{"get"}}
		role := func(namespace, name string, rules ...rbacv1.PolicyRule) *rbacv1.Role {
			return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Rules: rules}
		}
		binding := func(namespace, name, kind, roleName string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
			return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: roleName}, Subjects: subjects}
		}
		user := func(name string) rbacv1.Subject {
			return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: name}
		}
		loginAccount := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: login, Namespace: s.namespace}

		By("a domain login's Role with a rule beyond its shape, which `escalate` lets RBAC pass, is refused")
		// testenv waits for the mutating policies only; a validating one
		// takes a moment to be in force too (a dry run changes nothing).
		secrets := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}}
		eventually(func() error {
			return operator.Create(ctx, role(s.namespace, login, domainRule, secrets), client.DryRunAll)
		}).Should(Satisfy(refused))
		for name, r := range map[string]*rbacv1.Role{
			"Secrets":             role(s.namespace, login, domainRule, holderRule, secrets),
			"everything":          role(s.namespace, login, rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}),
			"every Domain":        role(s.namespace, login, rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"domains"}, Verbs: []string{"get"}}),
			"deleting its Domain": role(s.namespace, login, rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"domains"}, ResourceNames: []string{"probe"}, Verbs: []string{"delete"}}),
			"updating its holder": role(s.namespace, login, rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"contacts"}, ResourceNames: []string{"holder"}, Verbs: []string{"update"}}),
			"another name":        role(s.namespace, "probe-"+unique("role"), domainRule, holderRule),
		} {
			Expect(operator.Create(ctx, r, client.DryRunAll)).To(And(Satisfy(refused),
				MatchError(ContainSubstring("writes only domain logins' Roles"))), name)
		}
		Expect(operator.Create(ctx, role(s.namespace, login, domainRule, holderRule), client.DryRunAll)).To(Succeed(), "a domain login's Role as the operator writes it")

		By("it binds only a domain login's Role for its ServiceAccount, an account ClusterRole for one user, and its own namespace role for itself")
		for name, b := range map[string]*rbacv1.RoleBinding{
			"cluster-admin for itself":                  binding(s.namespace, "probe-"+unique("rb"), "ClusterRole", "cluster-admin", user(testenv.OperatorUser)),
			"its namespace role for someone else":       binding(s.namespace, controller.OperatorNamespaceClusterRole, "ClusterRole", controller.OperatorNamespaceClusterRole, user("someone@example.com")),
			"the owner role for a system: name":         binding(s.namespace, "probe-"+unique("rb"), "ClusterRole", "clientarea-owner", user("system:admin")),
			"the owner role for a group":                binding(s.namespace, "probe-"+unique("rb"), "ClusterRole", "clientarea-owner", rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:authenticated"}),
			"the owner role for two users":              binding(s.namespace, "probe-"+unique("rb"), "ClusterRole", "clientarea-owner", user("a@example.com"), user("b@example.com")),
			"a domain login's Role for a user":          binding(s.namespace, login, "Role", login, user("someone@example.com")),
			"a domain login's Role for another account": binding(s.namespace, login, "Role", login, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "default", Namespace: s.namespace}),
			"another domain login's Role":               binding(s.namespace, login, "Role", login+"-other", loginAccount),
			"some other Role":                           binding(s.namespace, "probe-"+unique("rb"), "Role", "probe", loginAccount),
		} {
			Expect(operator.Create(ctx, b, client.DryRunAll)).To(And(Satisfy(refused), MatchError(ContainSubstring("the clientarea operator binds only"))), name)
		}
		for name, b := range map[string]*rbacv1.RoleBinding{
			"a domain login's":       binding(s.namespace, login, "Role", login, loginAccount),
			"a member's":             binding(s.namespace, "probe-"+unique("rb"), "ClusterRole", controller.PermissionClusterRole(clientareav1alpha1.PermissionInvoices), user("someone@example.com")),
			"its own namespace role": binding(s.namespace, "probe-"+unique("rb"), "ClusterRole", controller.OperatorNamespaceClusterRole, user(testenv.OperatorUser)),
		} {
			Expect(operator.Create(ctx, b, client.DryRunAll)).To(Succeed(), name)
		}

		By("outside account namespaces it writes no Role (RBAC) and no RoleBinding (the policy), not even of an account ClusterRole")
		for _, namespace := range []string{"default", "kube-system", "kube-public"} {
			Expect(operator.Create(ctx, role(namespace, login, domainRule, holderRule), client.DryRunAll)).To(Satisfy(isForbidden), "a Role in %s", namespace)
			Expect(operator.Create(ctx, binding(namespace, "probe-"+unique("rb"), "ClusterRole", "clientarea-owner", user("someone@example.com")), client.DryRunAll)).
				To(And(Satisfy(refused), MatchError(ContainSubstring("only in account namespaces"))), "a RoleBinding in %s", namespace)
		}

		By("cluster-wide, `bind` and `escalate` on every ClusterRole let it write only its own ClusterRoles and bindings")
		clusterRefused := refusedBy("clientarea-operator-cluster-rbac")
		Expect(operator.Create(ctx, clusterBinding("probe-"+unique("crb"), "cluster-admin", testenv.OperatorUser), client.DryRunAll)).To(Satisfy(clusterRefused))
		Expect(operator.Create(ctx, clusterBinding(controller.UserAccessName(unique("g3")), "cluster-admin", "someone@example.com"), client.DryRunAll)).
			To(Satisfy(clusterRefused), "not even under a User's name")
		everything := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: controller.UserAccessName(unique("g3"))},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}
		Expect(operator.Create(ctx, everything, client.DryRunAll)).To(Satisfy(clusterRefused), "a User's ClusterRole granting everything")
		everything.Name = "probe-" + unique("cr")
		Expect(operator.Create(ctx, everything, client.DryRunAll)).To(Satisfy(clusterRefused), "a ClusterRole of another name")
	})
})

func cellText(verbs []string) string {
	switch strings.Join(verbs, ",") {
	case "":
		return "-"
	case manage:
		return "all"
	}
	return strings.Join(verbs, ", ")
}

// tryVerb makes one real request as the client's user and reports whether
// the API server authorised it. Writes are dry runs: authorisation is decided
// exactly as for a real write, and the fixtures stay as they are.
func tryVerb(c client.Client, namespace, kind, verb string) bool {
	GinkgoHelper()
	fresh, list := newObjectOf(namespace, kind)
	var err error
	switch verb {
	case "get":
		existing := existingObject(namespace, kind, list)
		err = c.Get(ctx, client.ObjectKeyFromObject(existing), existing)
	case "list":
		err = c.List(ctx, list, client.InNamespace(namespace))
	case "create":
		err = c.Create(ctx, fresh, client.DryRunAll)
	case "update":
		// Read again when the operator wrote the object (its status)
		// between the read and the update: a conflict says nothing of
		// whether the update is allowed.
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			return c.Update(ctx, existingObject(namespace, kind, list), client.DryRunAll)
		})
	case "delete":
		err = c.Delete(ctx, existingObject(namespace, kind, list), client.DryRunAll)
	}
	if apierrors.IsForbidden(err) {
		return false
	}
	Expect(err).NotTo(HaveOccurred(), "%s %s in %s: want allowed or forbidden", verb, kind, namespace)
	return true
}

// newObjectOf returns a valid new object of a kind, and an empty list of it.
func newObjectOf(namespace, kind string) (client.Object, client.ObjectList) {
	switch kind {
	case "memberships":
		return fixtures.Membership(namespace), &clientareav1alpha1.MembershipList{}
	case "contacts":
		return fixtures.Contact(namespace), &clientareav1alpha1.ContactList{}
	case "domains":
		return fixtures.Domain(namespace), &clientareav1alpha1.DomainList{}
	case "invoices":
		return fixtures.Invoice(namespace), &clientareav1alpha1.InvoiceList{}
	}
	Fail("no fixture for " + kind)
	return nil, nil
}

// existingObject reads, as an administrator, an object of the kind in the
// namespace for get, update and delete to act on.
func existingObject(namespace, kind string, list client.ObjectList) client.Object {
	GinkgoHelper()
	Expect(k8sClient.List(ctx, list, client.InNamespace(namespace))).To(Succeed())
	items, err := apimeta.ExtractList(list)
	Expect(err).NotTo(HaveOccurred())
	Expect(items).NotTo(BeEmpty(), "no %s in %s to act on", kind, namespace)
	return items[0].(client.Object)
}
