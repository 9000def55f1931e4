package controllers_test

import (
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/controllers"
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
		permissions := []v1.Permission{v1.PermissionInvoices, v1.PermissionDomains, v1.PermissionContacts, v1.PermissionMembers, v1.PermissionAll}
		for i, permission := range permissions {
			userName := strings.ToLower(string(permission)) + "-" + suffix
			rows[i+1].email = userName + "@agency.example"
			create(newUser(userName, rows[i+1].email))
		}

		eventually(condition(account, func() []metav1.Condition { return account.Status.Conditions }, v1.ConditionReady)).
			Should(haveStatus(metav1.ConditionTrue, controllers.ReasonReady))
		for _, permission := range permissions {
			membership := &v1.Membership{
				ObjectMeta: metav1.ObjectMeta{Name: strings.ToLower(string(permission)), Namespace: namespace},
				Spec:       v1.MembershipSpec{User: v1.ObjectName(strings.ToLower(string(permission)) + "-" + suffix), Permissions: []v1.Permission{permission}},
			}
			create(membership)
			eventually(condition(membership, func() []metav1.Condition { return membership.Status.Conditions }, v1.ConditionReady)).
				Should(haveStatus(metav1.ConditionTrue, controllers.ReasonGranted))
		}
		eventually(condition(other, func() []metav1.Condition { return other.Status.Conditions }, controllers.ConditionNamespaceReady)).
			Should(haveStatus(metav1.ConditionTrue, controllers.ReasonNamespaceCreated))
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
		err = c.Update(ctx, existingObject(namespace, kind, list), client.DryRunAll)
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
		return fixtures.Membership(namespace), &v1.MembershipList{}
	case "contacts":
		return fixtures.Contact(namespace), &v1.ContactList{}
	case "domains":
		return fixtures.Domain(namespace), &v1.DomainList{}
	case "invoices":
		return fixtures.Invoice(namespace), &v1.InvoiceList{}
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
