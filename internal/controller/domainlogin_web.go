package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// A visitor who signs in to the client area with a domain name and its
// password acts as that domain's login ServiceAccount (D5, W7): the front
// end impersonates system:serviceaccount:<namespace>:domain-login-<domain>,
// so the login's own Role (one Domain, read of its holder) is what limits
// it. Constrained impersonation (see webaccess_controller.go) authorises
// that twice: `impersonate:serviceaccount` on authentication.k8s.io
// serviceaccounts, in the ServiceAccount's namespace and by its name; and
// `impersonate-on:serviceaccount:<verb>` on what the request touches. Per
// account namespace, the Role WebDomainLoginsRole grants the front end's
// ServiceAccount exactly that for the namespace's domain logins, by name,
// and only on domains (get, update, patch) and contacts (get); its
// RoleBinding binds it. Both exist only while the namespace has a login (a
// rule without resourceNames would allow every ServiceAccount of the
// namespace), and go when the account is deleted (A8).
//
// The same Role lets the front end show the domain password to the account's
// owner and its members with Domains in the customer login (W7): acting as
// the customer (`impersonate:user-info`, webaccess_controller.go), it needs
// `impersonate-on:user-info:get` on what it reads, and the cluster-wide
// impersonator role grants that only on clientarea.dev resources. So the Role
// grants it on core `secrets`, by name, for exactly the namespace's login
// Secrets (status.authCodeSecret): no other Secret, no list, no watch. The
// constrained-impersonation filter of the API server
// (k8s.io/apiserver/pkg/endpoints/filters/impersonation, mode.go:
// impersonateOnAttributes) authorises the request's own attributes (group
// "", resource secrets, its namespace and name) with the verb
// "impersonate-on:user-info:" + the request's verb; so a namespaced Role
// applies. The customer's own RBAC is checked after that, as ever: an
// Invoices member is still refused.

const (
	// WebDomainLoginsRole is the Role and RoleBinding, in each account
	// namespace with a domain login, that let the client area's front end
	// act as the namespace's domain logins.
	WebDomainLoginsRole = "clientarea-web-domain-logins"
	// DefaultWebServiceAccount is the client area front end's ServiceAccount
	// (--web-service-account), as config/web deploys it.
	DefaultWebServiceAccount = "clientarea-system/clientarea-web"
	// grantWebDomainLogins is the GrantLabel of the RoleBinding.
	grantWebDomainLogins = "web-domain-logins"

	impersonateServiceAccount   = "impersonate:serviceaccount"
	impersonateOnServiceAccount = "impersonate-on:serviceaccount:"
)

// WebDomainLogins are what WebDomainLoginsRole names in one namespace: its
// domain logins' ServiceAccounts and their auth-code Secrets, each sorted and
// distinct.
type WebDomainLogins struct {
	ServiceAccounts []string
	Secrets         []string
}

// WebDomainLoginRules are the rules of WebDomainLoginsRole for the domain
// logins of one namespace: impersonating exactly their ServiceAccounts, and
// while impersonating them, only reading and changing domains and reading
// contacts; and, while impersonating a customer, reading exactly their
// auth-code Secrets. None at all without a login, and no Secret rule without
// a Secret name (a rule without resourceNames would allow every one).
func WebDomainLoginRules(logins WebDomainLogins) []rbacv1.PolicyRule {
	if len(logins.ServiceAccounts) == 0 {
		return nil
	}
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"serviceaccounts"}, Verbs: []string{impersonateServiceAccount},
			ResourceNames: slices.Clone(logins.ServiceAccounts)},
		{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"domains"},
			Verbs: []string{impersonateOnServiceAccount + "get", impersonateOnServiceAccount + "update", impersonateOnServiceAccount + "patch"}},
		{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"contacts"}, Verbs: []string{impersonateOnServiceAccount + "get"}},
	}
	if len(logins.Secrets) > 0 {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{impersonateOnPrefix + "get"},
			ResourceNames: slices.Clone(logins.Secrets)})
	}
	return rules
}

// parseServiceAccount reads "<namespace>/<name>".
func parseServiceAccount(value string) (types.NamespacedName, error) {
	namespace, name, ok := strings.Cut(value, "/")
	if !ok || namespace == "" || name == "" || strings.Contains(name, "/") {
		return types.NamespacedName{}, fmt.Errorf("web service account %q: want <namespace>/<name>", value)
	}
	return types.NamespacedName{Namespace: namespace, Name: name}, nil
}

// webDomainLoginsReconciler keeps WebDomainLoginsRole and its RoleBinding in
// one account namespace (the request's namespace; its name is
// WebDomainLoginsRole). It writes only when they differ (G4).
//
// The Role is written through OperatorNamespaceClusterRole, which holds
// `escalate` and `bind` on Roles in account namespaces: the operator holds
// no impersonation right itself, and RBAC lets nobody write a Role with
// rules beyond their own, nor bind one, otherwise. The admission policy
// clientarea-web-domain-logins-role holds this Role and its RoleBinding to
// their shapes.
type webDomainLoginsReconciler struct {
	client.Client
	// APIReader reads a Role or RoleBinding of this name that exists
	// without the operator's label (the cache holds only labelled ones),
	// and the Account before its binding is created.
	APIReader client.Reader
	// WebServiceAccount is the front end's ServiceAccount.
	WebServiceAccount types.NamespacedName
	// BatchPeriod is how long a Domain's change waits before the Role is
	// brought up to date, so that the logins of a namespace's new domains
	// join one write of the Role instead of one each
	// (--status-batch-period).
	BatchPeriod time.Duration
}

// Reconcile brings one namespace's Role and RoleBinding up to date.
func (r *webDomainLoginsReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	logins, err := r.logins(ctx, req.Namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(logins.ServiceAccounts) == 0 {
		return ctrl.Result{}, r.remove(ctx, req.Namespace)
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: WebDomainLoginsRole, Namespace: req.Namespace, Labels: managedLabels()},
		Rules: WebDomainLoginRules(logins)}
	if err := ensureRoleRules(ctx, r.Client, r.APIReader, role); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, r.ensureBinding(ctx, req.Namespace)
}

// logins are the ServiceAccounts and auth-code Secrets of the namespace's
// domain logins, sorted: none in a namespace that is not an account's, or
// whose account is being deleted (A8).
func (r *webDomainLoginsReconciler) logins(ctx context.Context, namespace string) (WebDomainLogins, error) {
	var logins WebDomainLogins
	account, err := accountOfNamespace(ctx, r.Client, namespace)
	if err != nil || account == nil || !account.DeletionTimestamp.IsZero() {
		return logins, err
	}
	domains := &clientareav1alpha1.DomainList{}
	if err := r.List(ctx, domains, client.InNamespace(namespace)); err != nil {
		return logins, err
	}
	// Every Domain that holds its name has a login (domainlogin_controller.go),
	// named after it: the Role names it from the start, not from the status
	// the login writes at its end, so that the login's password (what makes
	// a sign-in possible) is drawn only once the front end may act as it
	// (frontEndActsAs).
	for _, domain := range domains.Items {
		if !domain.DeletionTimestamp.IsZero() || !holdsName(&domain) {
			continue
		}
		logins.ServiceAccounts = append(logins.ServiceAccounts, loginName(&domain))
		logins.Secrets = append(logins.Secrets, loginName(&domain))
	}
	slices.Sort(logins.ServiceAccounts)
	slices.Sort(logins.Secrets)
	logins.ServiceAccounts, logins.Secrets = slices.Compact(logins.ServiceAccounts), slices.Compact(logins.Secrets)
	return logins, nil
}

// ensureBinding binds the Role for the front end's ServiceAccount; one
// that names another role is replaced.
func (r *webDomainLoginsReconciler) ensureBinding(ctx context.Context, namespace string) error {
	want := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: WebDomainLoginsRole, Namespace: namespace, Labels: map[string]string{
			clientareav1alpha1.ManagedByLabel: clientareav1alpha1.ManagedByValue, clientareav1alpha1.GrantLabel: grantWebDomainLogins}},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: WebDomainLoginsRole},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: r.WebServiceAccount.Name, Namespace: r.WebServiceAccount.Namespace}},
	}
	current := &rbacv1.RoleBinding{}
	err := r.Get(ctx, client.ObjectKeyFromObject(want), current)
	if apierrors.IsNotFound(err) {
		if deleting, err := accountDeletingLive(ctx, r.Client, r.APIReader, namespace); err != nil || deleting {
			return err
		}
		if err = r.Create(ctx, want); !apierrors.IsAlreadyExists(err) {
			return err
		}
		err = r.APIReader.Get(ctx, client.ObjectKeyFromObject(want), current)
	}
	if err != nil {
		return err
	}
	if current.RoleRef != want.RoleRef {
		uid := current.UID
		return client.IgnoreNotFound(r.Delete(ctx, current, client.Preconditions{UID: &uid})) // its watch brings us back to create it
	}
	if equality.Semantic.DeepEqual(current.Subjects, want.Subjects) && labelsContain(current.Labels, want.Labels) {
		return nil
	}
	current.Subjects = want.Subjects
	current.Labels = withManagedLabel(current.Labels)
	current.Labels[clientareav1alpha1.GrantLabel] = grantWebDomainLogins
	return r.Update(ctx, current)
}

// remove deletes the RoleBinding, then the Role, where they exist.
func (r *webDomainLoginsReconciler) remove(ctx context.Context, namespace string) error {
	key := metav1.ObjectMeta{Name: WebDomainLoginsRole, Namespace: namespace}
	return deleteExisting(ctx, r.Client, &rbacv1.RoleBinding{ObjectMeta: key}, &rbacv1.Role{ObjectMeta: key})
}

// SetupWithManager reconciles a namespace's Role when one of its Domains
// gains or loses its login (batched), and at once when the Role or its
// binding is changed by hand.
func (r *webDomainLoginsReconciler) SetupWithManager(mgr ctrl.Manager) error {
	named := builder.WithPredicates(isWebDomainLoginsRole)
	return ctrl.NewControllerManagedBy(mgr).
		For(&rbacv1.Role{}, named).
		Watches(&rbacv1.RoleBinding{}, handler.EnqueueRequestsFromMapFunc(itself), named).
		Watches(&clientareav1alpha1.Domain{}, enqueueBatched(r.BatchPeriod, webDomainLoginsOf), builder.WithPredicates(domainLoginChange)).
		Named("web-domain-logins").
		Complete(r)
}

// isWebDomainLoginsRole lets through the front end's Role (and RoleBinding)
// of a namespace, WebDomainLoginsRole, and no other.
var isWebDomainLoginsRole = predicate.NewPredicateFuncs(func(obj client.Object) bool { return obj.GetName() == WebDomainLoginsRole })

// webDomainLoginsOf maps an object to its namespace's WebDomainLoginsRole.
func webDomainLoginsOf(_ context.Context, obj client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: obj.GetNamespace(), Name: WebDomainLoginsRole}}}
}

// domainLoginChange lets through the Domain changes that decide the Role:
// its login or its Secret appearing, its name conflict, and its deletion.
var domainLoginChange = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		old, cur := e.ObjectOld.(*clientareav1alpha1.Domain), e.ObjectNew.(*clientareav1alpha1.Domain)
		return old.Status.LoginServiceAccount != cur.Status.LoginServiceAccount || old.Status.AuthCodeSecret != cur.Status.AuthCodeSecret ||
			holdsName(old) != holdsName(cur) ||
			old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero()
	},
}

// errAwaitingClientArea says that a login's password waits until the front
// end's Role names the login.
var errAwaitingClientArea = errors.New("waiting for the client area's Role to name the domain login")

// frontEndActsAs tells whether the front end's Role in the Domain's
// namespace (WebDomainLoginsRole) lets it act as the Domain's login, as
// the operator's cache sees it.
func frontEndActsAs(ctx context.Context, reader client.Reader, domain *clientareav1alpha1.Domain) (bool, error) {
	role := &rbacv1.Role{}
	err := reader.Get(ctx, client.ObjectKey{Namespace: domain.Namespace, Name: WebDomainLoginsRole}, role)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return roleActsAsLogin(role, loginName(domain)), nil
}

// roleActsAsLogin tells whether the front end's Role lets it act as the
// domain login's ServiceAccount.
func roleActsAsLogin(role *rbacv1.Role, login string) bool {
	return slices.ContainsFunc(role.Rules, func(rule rbacv1.PolicyRule) bool {
		return slices.Contains(rule.Verbs, impersonateServiceAccount) && slices.Contains(rule.ResourceNames, login)
	})
}
