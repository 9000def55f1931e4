package controller

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/domainpassword"
	"clientarea.dev/clientarea-operator/internal/patch"
)

const (
	// domainLoginFinalizer lets the login's objects go with their Domain,
	// also where no garbage collector runs.
	domainLoginFinalizer = "clientarea.dev/domain-login"
	// AuthCodeKey is the key of the auth code in the domain login Secret (D5).
	AuthCodeKey = "authCode"
	// authCodeLength is the length of a generated auth code (at least 16, D5).
	authCodeLength = 24
)

// domainLoginReconciler keeps each Domain's login (D5): a ServiceAccount
// bound to a Role that reaches that one Domain and reads its holder Contact,
// and a Secret with the domain's auth code, the login's password. It owns
// those four objects, and keeps the password's hash in a DomainCredential
// (domainlogin_password.go).
//
// It writes its part of the Domain's status (loginServiceAccount,
// authCodeSecret, loginPasswordGeneration and the LoginReady condition),
// which the Domain controller never touches: both patch the status with an
// optimistic lock and, on a conflict, re-apply only their own changes to
// the latest object (patch.WithSharedStatus), so neither undoes the other's.
type domainLoginReconciler struct {
	client.Client
	// APIReader reads the latest Domain when a status patch conflicts, and
	// confirms what the cache says before a new password is drawn.
	APIReader client.Reader
	// Clock stamps a new password's passwordSetAt.
	Clock clock.PassiveClock
	// Hasher hashes new domain passwords one at a time, each in the work
	// area (19 MiB) of the one before: hashing is CPU-bound, and a burst of
	// new domains would otherwise leave 19 MiB of garbage per hash.
	Hasher     *domainpassword.Hasher
	namespaces accountNamespaces
}

// The login's ServiceAccount, Role, RoleBinding and Secret are written
// through OperatorNamespaceClusterRole, bound in each account namespace:
// cluster-wide the operator only reads its own (label-selected)
// ServiceAccounts, Roles and RoleBindings, and no Secrets at all.
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get;list;watch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles,verbs=get;list;watch

// The login's password hash (domainlogin_password.go) is a cluster-wide
// DomainCredential named after the domain name, which the client area reads.
// +kubebuilder:rbac:groups=clientarea.dev,resources=domaincredentials,verbs=get;list;watch;create;update;delete

// Reconcile brings one Domain's login up to date.
func (r *domainLoginReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	domain := &clientareav1alpha1.Domain{}
	if err := r.Get(ctx, req.NamespacedName, domain); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	patcher := patch.NewHelper(domain, r.Client)
	// observedGeneration is the Domain controller's: the login's success
	// says nothing about the rest of the spec.
	defer patcher.PatchOnExit(ctx, domain, &retErr, patch.WithSharedStatus(r.APIReader), patch.WithoutObservedGeneration())

	if !domain.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.remove(ctx, domain)
	}
	if err := ensureFinalizer(ctx, patcher, domain, domainLoginFinalizer); err != nil {
		return ctrl.Result{}, err
	}
	// Only the Domain that holds its name gets a login: the others are
	// never registered. A deleted account's access is revoked at once
	// (A8), its domain logins' too, so they are not made again while the
	// account goes.
	if !holdsName(domain) {
		return ctrl.Result{}, nil
	}
	if deleting, err := accountDeleting(ctx, r.Client, domain.Namespace); err != nil || deleting {
		return ctrl.Result{}, err
	}
	if err := r.ensure(ctx, domain); !errors.Is(err, errAwaitingClientArea) {
		return ctrl.Result{}, err
	}
	// The front end's Role is written a batch period after the Domain
	// appears; this reconcile writes nothing meanwhile, and the Role's watch
	// (loginsNamedBy) brings the Domain back once the Role names its login.
	return ctrl.Result{}, nil
}

// loginName names the ServiceAccount, Role, RoleBinding and Secret of a
// domain login.
func loginName(domain *clientareav1alpha1.Domain) string {
	return boundedName("domain-login", domain.Name)
}

// ensure makes the login's objects, and corrects the Role when the holder
// changed; and draws a new password when one is due (ensurePassword). The
// ServiceAccount, Role, RoleBinding and Secret are controlled by the
// Domain; the DomainCredential, cluster-wide, is deleted with the login.
func (r *domainLoginReconciler) ensure(ctx context.Context, domain *clientareav1alpha1.Domain) error {
	objects, err := r.loginObjects(domain)
	if err != nil {
		return err
	}
	// Independent writes at once, one round trip instead of four; the
	// binding follows its Role, since the API server checks the binding
	// against the Role's rules.
	var generation int32
	err = concurrently(
		func() error { return r.createIfMissing(ctx, objects.serviceAccount) },
		func() error {
			if err := ensureRoleRules(ctx, r.Client, r.APIReader, objects.role); err != nil {
				return err
			}
			return r.createIfMissing(ctx, objects.binding)
		},
		func() (err error) {
			generation, err = r.ensurePassword(ctx, domain, objects.secret)
			return err
		},
	)
	if err != nil {
		return err
	}
	name := loginName(domain)
	domain.Status.LoginServiceAccount = name
	domain.Status.AuthCodeSecret = name
	domain.Status.LoginPasswordGeneration = generation
	conditions.Set(domain, clientareav1alpha1.DomainConditionLoginReady, metav1.ConditionTrue, clientareav1alpha1.DomainReasonLoginCreated,
		fmt.Sprintf("ServiceAccount %s administers this domain only; its password (auth code) is in Secret %s, its hash in DomainCredential %s",
			name, name, clientareav1alpha1.DomainCredentialName(domainNameOf(domain))))
	return nil
}

// loginObjectSet is the four objects of one domain login.
type loginObjectSet struct {
	serviceAccount *corev1.ServiceAccount
	role           *rbacv1.Role
	binding        *rbacv1.RoleBinding
	secret         *corev1.Secret
}

// loginObjects builds the login's objects as they should be: the Role
// reaches this one Domain and reads its holder (D5).
func (r *domainLoginReconciler) loginObjects(domain *clientareav1alpha1.Domain) (*loginObjectSet, error) {
	name, namespace := loginName(domain), domain.Namespace
	meta := func(labels map[string]string) metav1.ObjectMeta {
		labels[clientareav1alpha1.ManagedByLabel] = clientareav1alpha1.ManagedByValue
		return metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels}
	}
	set := &loginObjectSet{
		serviceAccount: &corev1.ServiceAccount{ObjectMeta: meta(map[string]string{})},
		role: &rbacv1.Role{ObjectMeta: meta(map[string]string{}), Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"domains"}, ResourceNames: []string{domain.Name},
				Verbs: []string{"get", "update", "patch"}},
			{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"contacts"},
				ResourceNames: []string{string(domain.Spec.HolderRef.Name)}, Verbs: []string{"get"}},
		}},
		binding: &rbacv1.RoleBinding{
			ObjectMeta: meta(map[string]string{clientareav1alpha1.GrantLabel: clientareav1alpha1.GrantDomainLogin}),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: namespace}},
		},
		secret: &corev1.Secret{ObjectMeta: meta(map[string]string{}), Type: corev1.SecretTypeOpaque}, // its code is drawn when it is made
	}
	for _, obj := range []client.Object{set.serviceAccount, set.role, set.binding, set.secret} {
		if err := controllerutil.SetControllerReference(domain, obj, r.Scheme()); err != nil {
			return nil, err
		}
	}
	return set, nil
}

func (r *domainLoginReconciler) createIfMissing(ctx context.Context, obj client.Object) error {
	existing := obj.DeepCopyObject().(client.Object)
	err := r.Get(ctx, client.ObjectKeyFromObject(obj), existing)
	if apierrors.IsNotFound(err) {
		return client.IgnoreAlreadyExists(r.Create(ctx, obj))
	}
	return err
}

// remove deletes the login with its Domain, then lets the Domain go.
func (r *domainLoginReconciler) remove(ctx context.Context, domain *clientareav1alpha1.Domain) error {
	if !controllerutil.ContainsFinalizer(domain, domainLoginFinalizer) {
		return nil
	}
	// The password check first, then access, the identity last: once the
	// ServiceAccount is gone, nothing of the login is left.
	if err := r.removeCredential(ctx, domain); err != nil {
		return err
	}
	name := loginName(domain)
	for _, obj := range []client.Object{
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace}},
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: domain.Namespace}},
	} {
		if err := client.IgnoreNotFound(r.Delete(ctx, obj)); err != nil {
			return err
		}
	}
	controllerutil.RemoveFinalizer(domain, domainLoginFinalizer)
	return nil
}

// authCodeAlphabet avoids characters that registries commonly refuse.
const authCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789+-_"

// newAuthCode returns an auth code from a cryptographic random source (D5),
// each character uniform over the alphabet (bytes past the last whole
// multiple of the alphabet are drawn again, so there is no modulo bias).
func newAuthCode() (string, error) {
	limit := 256 - 256%len(authCodeAlphabet)
	code := make([]byte, 0, authCodeLength)
	buf := make([]byte, authCodeLength)
	for len(code) < authCodeLength {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(code) < authCodeLength {
				code = append(code, authCodeAlphabet[int(b)%len(authCodeAlphabet)])
			}
		}
	}
	return string(code), nil
}

// SetupWithManager watches Domains, the login objects they own and their
// credentials.
func (r *domainLoginReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&clientareav1alpha1.Domain{}).
		Owns(&corev1.ServiceAccount{}).
		Owns(&rbacv1.Role{}).
		Owns(&rbacv1.RoleBinding{}).
		Watches(&clientareav1alpha1.DomainCredential{}, handler.EnqueueRequestsFromMapFunc(credentialDomain)).
		Watches(&rbacv1.Role{}, handler.EnqueueRequestsFromMapFunc(r.loginsNamedBy), builder.WithPredicates(isWebDomainLoginsRole)).
		Named("domainlogin").
		Complete(r)
}

// loginsNamedBy maps the front end's Role in a namespace to the Domains
// there whose login it names and whose password is still to be drawn: a
// password waits until the front end may act as its login
// (errAwaitingClientArea), and this is what ends the wait.
func (r *domainLoginReconciler) loginsNamedBy(ctx context.Context, obj client.Object) []reconcile.Request {
	role, ok := obj.(*rbacv1.Role)
	if !ok {
		return nil
	}
	domains := &clientareav1alpha1.DomainList{}
	if err := r.List(ctx, domains, client.InNamespace(role.Namespace)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing the Domains of the front end's Role for a watch", "namespace", role.Namespace)
		return nil
	}
	var requests []reconcile.Request
	for i := range domains.Items {
		domain := &domains.Items[i]
		if passwordDue(domain) && roleActsAsLogin(role, loginName(domain)) {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(domain)})
		}
	}
	return requests
}
