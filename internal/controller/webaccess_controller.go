package controller

import (
	"context"
	"regexp"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// The client area's web front end acts for a signed-in customer by
// impersonation (W3): its ServiceAccount (clientarea-web in
// clientarea-system) is bound, by a ClusterRoleBinding that config/web
// ships, to the ClusterRole WebImpersonatorClusterRole, whose rules this file
// keeps. A customer reads, as itself, its own User (status.accounts, the
// choice after login) and its own EmailClaim, through a ClusterRole and
// ClusterRoleBinding per User that this file keeps too; and an account's
// owner reads and edits its Account (its profile: A7, W4), through a
// ClusterRole and ClusterRoleBinding per Account. What the owner may change
// there is held to the profile by the admission policy
// config/policies/account-owner-edits.yaml.
//
// Constrained impersonation (KEP-5284; the ConstrainedImpersonation feature
// gate, beta and on by default since Kubernetes 1.36, which this project
// requires already for its MutatingAdmissionPolicies) authorises an
// impersonated request twice: the impersonator needs `impersonate:user-info`
// on the user name (group authentication.k8s.io, resource users), and
// `impersonate-on:user-info:<verb>` on what the request touches (its group,
// resource, namespace and name). The API server tries the constrained modes
// first and falls back to the legacy `impersonate` verb (core group,
// resource users), which allows any request as the user: so the role holds
// no legacy `impersonate` at all, or the constraint would mean nothing.
// Impersonating a group, a ServiceAccount, a node or anything else needs
// verbs the role never holds. On a cluster where the feature gate is off,
// the front end can impersonate nobody: it fails closed.

const (
	// WebImpersonatorClusterRole is the ClusterRole that the front end's
	// ServiceAccount is bound to (config/web/impersonator_role.yaml ships it
	// without rules).
	WebImpersonatorClusterRole = "clientarea-web-impersonator"
	// userAccessPrefix begins the name of each User's ClusterRole and
	// ClusterRoleBinding (UserAccessName).
	userAccessPrefix = "clientarea-user"
	// accountAccessPrefix begins the name of each Account's ClusterRole and
	// ClusterRoleBinding (AccountAccessName).
	accountAccessPrefix = "clientarea-account"

	impersonateUserInfo = "impersonate:user-info"
	impersonateOnPrefix = "impersonate-on:user-info:"
)

// UserAccessName is the name of the ClusterRole and ClusterRoleBinding that
// let a User's claimed address read the User and its EmailClaim.
func UserAccessName(user string) string { return boundedName(userAccessPrefix, user) }

// AccountAccessName is the name of the ClusterRole and ClusterRoleBinding
// that let an Account's owner get, update and patch the Account (A7, W4).
// An Account's name has at most 50 characters, so this is always
// "clientarea-account-<account>", never shortened.
func AccountAccessName(account string) string { return boundedName(accountAccessPrefix, account) }

// accountProfileVerbs are what the owner may do with its Account object;
// the admission policy clientarea-account-owner-edits limits an update to
// the profile fields.
var accountProfileVerbs = []string{"get", "patch", "update"}

// webCustomerRequest is one kind of request that the front end
// (internal/web) sends as a customer, and the verbs it sends on it.
type webCustomerRequest struct {
	group, resource string
	verbs           []string
}

// webCustomerRequests are exactly the requests internal/web sends as a
// signed-in customer, by resource, and so all that the impersonator role
// lets it send (config/rbac/operator_cluster_rbac_policy.yaml holds the role
// to this list). No subresource (status, ...), no watch, no other kind
// (ownershiptransfers, pricelists, numberclaims, ...): RBAC still decides as
// the customer, but a front end that is taken over, acting for an address
// that should not be claimable, reaches no more than its pages do. A page
// that sends a new kind of request needs it here and in that policy.
var webCustomerRequests = []webCustomerRequest{
	// auth.go: whether the signed-in address is claimed.
	{clientareav1alpha1.GroupVersion.Group, "emailclaims", []string{"get"}},
	// pages_accounts.go: the User's status.accounts, the choice after login.
	{clientareav1alpha1.GroupVersion.Group, "users", []string{"get"}},
	// pages_profile.go: the owner reads its Account and patches its profile
	// (W4); update is what the owner's own role (accountProfileVerbs)
	// grants besides, held to the profile by the owner-edits policy.
	{clientareav1alpha1.GroupVersion.Group, "accounts", []string{"get", "update", "patch"}},
	// pages_members.go.
	{clientareav1alpha1.GroupVersion.Group, "memberships", []string{"get", "list", "create", "update", "delete"}},
	// pages_contacts.go, and the profile's choice of billing contact.
	{clientareav1alpha1.GroupVersion.Group, "contacts", []string{"get", "list", "create", "update", "delete"}},
	// pages_domains.go: register, name servers and auto-renew, a new domain
	// password (all by update).
	{clientareav1alpha1.GroupVersion.Group, "domains", []string{"get", "list", "create", "update"}},
	// pages_invoices.go.
	{clientareav1alpha1.GroupVersion.Group, "invoices", []string{"get", "list"}},
	// access.go: what the customer may do, to show only that (W5).
	{"authorization.k8s.io", "selfsubjectaccessreviews", []string{"create"}},
}

// impersonableAddress is what a claimed address must look like to be
// impersonated: the shape of an EmailAddress (its validation in
// api/v1alpha1), and so never a system: name. The admission policy holds the
// role's user names to it as well; an address that is not (which the API
// refuses already) is left out rather than stopping every other customer.
var impersonableAddress = regexp.MustCompile(`^[a-zA-Z0-9.!#$%&*+/=?^_{|}~-]+@[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?([.][a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)+$`)

// WebImpersonatorRules are the rules of WebImpersonatorClusterRole for the
// claimed addresses (sorted, distinct): impersonating exactly those users
// that look like e-mail addresses, and while impersonating, only the
// requests that the front end's pages send (webCustomerRequests). None at
// all when no address is claimed: a rule with no resourceNames would allow
// every user name.
func WebImpersonatorRules(addresses []string) []rbacv1.PolicyRule {
	names := make([]string, 0, len(addresses))
	for _, address := range addresses {
		if len(address) <= 254 && impersonableAddress.MatchString(address) && !strings.HasPrefix(address, "system:") {
			names = append(names, address)
		}
	}
	if len(names) == 0 {
		return nil
	}
	rules := make([]rbacv1.PolicyRule, 0, 1+len(webCustomerRequests))
	rules = append(rules, rbacv1.PolicyRule{
		APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"users"}, Verbs: []string{impersonateUserInfo}, ResourceNames: names})
	for _, request := range webCustomerRequests {
		verbs := make([]string, 0, len(request.verbs))
		for _, verb := range request.verbs {
			verbs = append(verbs, impersonateOnPrefix+verb)
		}
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{request.group}, Resources: []string{request.resource}, Verbs: verbs})
	}
	return rules
}

// Least privilege (G3): the operator writes ClusterRoles and
// ClusterRoleBindings, whose names (clientarea-user-<user>,
// clientarea-account-<account>) RBAC cannot narrow for create, update and
// delete; the admission policy
// config/rbac/operator_cluster_rbac_policy.yaml holds its writes to exactly
// these names and shapes. It holds `escalate` and `bind` on every
// ClusterRole, held back by that policy (and, for RoleBindings, by
// config/rbac/operator_namespace_rbac_policy.yaml) rather than by RBAC:
// without them the API server checks every such write against everything
// the operator may do (ConfirmNoEscalation), which lists every
// ClusterRoleBinding of the cluster, one per User and per Account, for each
// write: 11 % of the API server's CPU at 1,000 accounts, a quarter of it at
// 5,000 (docs/performance.md). A create carries no name, so RBAC could not
// narrow them to these names either.
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=clusterroles;clusterrolebindings,verbs=get;list;watch;create;update;delete
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=clusterroles,verbs=escalate;bind
// +kubebuilder:rbac:groups=clientarea.dev,resources=emailclaims,verbs=get;list;watch
// +kubebuilder:rbac:groups=clientarea.dev,resources=users,verbs=get;list;watch
// +kubebuilder:rbac:groups=clientarea.dev,resources=accounts,verbs=get;list;watch;update;patch

// webImpersonatorReconciler keeps the rules of WebImpersonatorClusterRole
// equal to WebImpersonatorRules of the claimed addresses (W3). It writes
// only when they differ (G4).
type webImpersonatorReconciler struct {
	client.Client
	// APIReader reads the role past the cache when it exists without the
	// operator's label (the cache holds only labelled ClusterRoles).
	APIReader client.Reader
}

// Reconcile brings the impersonator role's rules up to date.
func (r *webImpersonatorReconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	// Read-only, and every claim of the cluster: the cache's objects
	// themselves, not a copy of each.
	claims := &clientareav1alpha1.EmailClaimList{}
	if err := r.List(ctx, claims, client.UnsafeDisableDeepCopy); err != nil {
		return ctrl.Result{}, err
	}
	addresses := make([]string, 0, len(claims.Items))
	for _, claim := range claims.Items {
		if claim.DeletionTimestamp.IsZero() {
			addresses = append(addresses, string(claim.Spec.Email))
		}
	}
	slices.Sort(addresses)
	want := WebImpersonatorRules(slices.Compact(addresses))

	role := &rbacv1.ClusterRole{}
	key := client.ObjectKey{Name: WebImpersonatorClusterRole}
	err := r.Get(ctx, key, role)
	if apierrors.IsNotFound(err) {
		role = &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: WebImpersonatorClusterRole, Labels: managedLabels()}, Rules: want}
		err = r.Create(ctx, role)
		if !apierrors.IsAlreadyExists(err) {
			return ctrl.Result{}, err
		}
		// Applied without the operator's label: take it over.
		err = r.APIReader.Get(ctx, key, role)
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if equality.Semantic.DeepEqual(role.Rules, want) && role.AggregationRule == nil && hasManagedLabel(role) {
		return ctrl.Result{}, nil
	}
	role.Rules, role.AggregationRule = want, nil
	role.Labels = withManagedLabel(role.Labels)
	return ctrl.Result{}, r.Update(ctx, role)
}

// SetupWithManager reconciles the impersonator role whenever a claim comes,
// changes or goes, and when the role itself is changed by hand.
func (r *webImpersonatorReconciler) SetupWithManager(mgr ctrl.Manager) error {
	theRole := func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: WebImpersonatorClusterRole}}}
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&rbacv1.ClusterRole{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(obj client.Object) bool {
			return obj.GetName() == WebImpersonatorClusterRole
		}))).
		Watches(&clientareav1alpha1.EmailClaim{}, handler.EnqueueRequestsFromMapFunc(theRole)).
		Named("web-impersonator").
		Complete(r)
}

// userWebAccessReconciler keeps, per User that holds an address, the
// ClusterRole and ClusterRoleBinding UserAccessName(user): the address may
// get the User and its EmailClaim, and nothing else (W3). Both are
// controlled by the User, and removed while it holds no address.
type userWebAccessReconciler struct {
	client.Client
}

// Reconcile brings one User's access objects up to date.
func (r *userWebAccessReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	name := UserAccessName(req.Name)
	user := &clientareav1alpha1.User{}
	if err := r.Get(ctx, req.NamespacedName, user); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, err
	} else if err != nil || !user.DeletionTimestamp.IsZero() || user.Status.Email == "" {
		// Gone, going, or holding no address: nothing to read as it. The
		// objects go now, not when the garbage collector gets to them.
		return ctrl.Result{}, accessObjects{r.Client}.remove(ctx, name)
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: managedLabels()},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"users"}, ResourceNames: []string{user.Name}, Verbs: []string{"get"}},
			{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"emailclaims"},
				ResourceNames: []string{clientareav1alpha1.EmailClaimName(user.Status.Email)}, Verbs: []string{"get"}},
		},
	}
	return ctrl.Result{}, accessObjects{r.Client}.ensure(ctx, user, role, user.Status.Email)
}

// accessObjects keeps the ClusterRole and ClusterRoleBinding of one name
// that grant one user the role's rules, controlled by one object (a User
// or an Account).
type accessObjects struct {
	client.Client
}

// ensure makes the role and its binding for user, controlled by owner, or
// corrects them where they drifted; it writes nothing when they match (G4).
func (a accessObjects) ensure(ctx context.Context, owner client.Object, role *rbacv1.ClusterRole, user string) error {
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name, Labels: managedLabels()},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	for _, obj := range []client.Object{role, binding} {
		if err := controllerutil.SetControllerReference(owner, obj, a.Scheme()); err != nil {
			return err
		}
	}
	// The role first: the API server checks a binding against its role.
	if err := a.ensureRole(ctx, role); err != nil {
		return err
	}
	return a.ensureBinding(ctx, binding)
}

// ensureRole creates the role, or corrects it when it drifted.
func (a accessObjects) ensureRole(ctx context.Context, want *rbacv1.ClusterRole) error {
	current := &rbacv1.ClusterRole{}
	if err := a.Get(ctx, client.ObjectKeyFromObject(want), current); apierrors.IsNotFound(err) {
		// One made a moment ago and not yet in the cache exists already:
		// its event brings us back.
		return client.IgnoreAlreadyExists(a.Create(ctx, want))
	} else if err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(current.Rules, want.Rules) && current.AggregationRule == nil && sameControl(current, want) {
		return nil
	}
	current.Rules, current.AggregationRule, current.OwnerReferences = want.Rules, nil, want.OwnerReferences
	current.Labels = withManagedLabel(current.Labels)
	return a.Update(ctx, current)
}

// ensureBinding creates the binding, or corrects it when it drifted. A
// binding's role cannot change: one that names another is replaced.
func (a accessObjects) ensureBinding(ctx context.Context, want *rbacv1.ClusterRoleBinding) error {
	current := &rbacv1.ClusterRoleBinding{}
	if err := a.Get(ctx, client.ObjectKeyFromObject(want), current); apierrors.IsNotFound(err) {
		return client.IgnoreAlreadyExists(a.Create(ctx, want))
	} else if err != nil {
		return err
	}
	if current.RoleRef != want.RoleRef {
		uid := current.UID
		return client.IgnoreNotFound(a.Delete(ctx, current, client.Preconditions{UID: &uid})) // the watch brings us back to create it
	}
	if equality.Semantic.DeepEqual(current.Subjects, want.Subjects) && sameControl(current, want) {
		return nil
	}
	current.Subjects, current.OwnerReferences = want.Subjects, want.OwnerReferences
	current.Labels = withManagedLabel(current.Labels)
	return a.Update(ctx, current)
}

// remove deletes the access objects of name, where they exist: the binding
// first.
func (a accessObjects) remove(ctx context.Context, name string) error {
	key := metav1.ObjectMeta{Name: name}
	return deleteExisting(ctx, a.Client, &rbacv1.ClusterRoleBinding{ObjectMeta: key}, &rbacv1.ClusterRole{ObjectMeta: key})
}

// SetupWithManager watches Users and the access objects they control.
func (r *userWebAccessReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.User{}, builder.WithPredicates(userAddressChange)).
		Owns(&rbacv1.ClusterRole{}).
		Owns(&rbacv1.ClusterRoleBinding{}).
		Named("user-web-access").
		Complete(r)
}

// userAddressChange lets through the User changes that decide its access
// objects: the address it holds and its deletion, and no status.accounts
// write.
var userAddressChange = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		old, cur := e.ObjectOld.(*clientareav1alpha1.User), e.ObjectNew.(*clientareav1alpha1.User)
		return old.Status.Email != cur.Status.Email || old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero() || old.UID != cur.UID
	},
}

// accountWebAccessReconciler keeps, per Account whose owner holds an
// address (status.ownerEmail), the ClusterRole and ClusterRoleBinding
// AccountAccessName(account): the owner's address may get, update and
// patch that Account, and no other (A7, W4). Both are controlled by the
// Account, follow its owner (an ownership transfer, A4 and T3, or a new
// address of the owner, U4), and are removed while the account has no
// owner address or is being deleted (A8). An update by the owner is held to
// the profile (spec.displayName, spec.contact, spec.billingContactRef) by
// the admission policy clientarea-account-owner-edits.
type accountWebAccessReconciler struct {
	client.Client
}

// Reconcile brings one Account's access objects up to date.
func (r *accountWebAccessReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	name := AccountAccessName(req.Name)
	account := &clientareav1alpha1.Account{}
	if err := r.Get(ctx, req.NamespacedName, account); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, err
	} else if err != nil || !account.DeletionTimestamp.IsZero() || account.Status.OwnerEmail == "" {
		// Gone, going, or no owner address: nobody edits it. The objects
		// go now, not when the garbage collector gets to them.
		return ctrl.Result{}, accessObjects{r.Client}.remove(ctx, name)
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: managedLabels()},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"accounts"},
			ResourceNames: []string{account.Name}, Verbs: slices.Clone(accountProfileVerbs)}},
	}
	return ctrl.Result{}, accessObjects{r.Client}.ensure(ctx, account, role, account.Status.OwnerEmail)
}

// SetupWithManager watches Accounts and the access objects they control.
func (r *accountWebAccessReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.Account{}, builder.WithPredicates(accountOwnerAddressChange)).
		Owns(&rbacv1.ClusterRole{}).
		Owns(&rbacv1.ClusterRoleBinding{}).
		Named("account-web-access").
		Complete(r)
}

// accountOwnerAddressChange lets through the Account changes that decide
// its access objects: the owner's address and the account's deletion.
var accountOwnerAddressChange = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		old, cur := e.ObjectOld.(*clientareav1alpha1.Account), e.ObjectNew.(*clientareav1alpha1.Account)
		return old.Status.OwnerEmail != cur.Status.OwnerEmail || old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero() || old.UID != cur.UID
	},
}

// managedLabels are the labels of the objects the operator makes, by which
// its caches select them.
func managedLabels() map[string]string {
	return map[string]string{clientareav1alpha1.ManagedByLabel: clientareav1alpha1.ManagedByValue}
}

func hasManagedLabel(obj client.Object) bool {
	return obj.GetLabels()[clientareav1alpha1.ManagedByLabel] == clientareav1alpha1.ManagedByValue
}

func withManagedLabel(labels map[string]string) map[string]string {
	if labels == nil {
		labels = map[string]string{}
	}
	labels[clientareav1alpha1.ManagedByLabel] = clientareav1alpha1.ManagedByValue
	return labels
}

// sameControl tells whether current has want's owner references and the
// operator's label.
func sameControl(current, want client.Object) bool {
	return hasManagedLabel(current) && equality.Semantic.DeepEqual(current.GetOwnerReferences(), want.GetOwnerReferences())
}
