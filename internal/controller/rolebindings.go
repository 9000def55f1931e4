package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// The ClusterRoles of config/rbac/access, which the operator binds in
// account namespaces without holding their permissions (G3): it holds `bind`
// on every ClusterRole (webaccess_controller.go), and the admission policy
// config/rbac/operator_namespace_rbac_policy.yaml lets it bind only these.
const (
	ownerClusterRole            = "clientarea-owner"
	permissionClusterRolePrefix = "clientarea-permission-"
	// OperatorNamespaceClusterRole (config/rbac/operator_namespace_role.yaml)
	// holds what the operator writes only inside account namespaces:
	// Secrets, ServiceAccounts and Roles. It binds it for itself in each.
	OperatorNamespaceClusterRole = "clientarea-operator-namespace"
)

// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=rolebindings,verbs=get;list;watch;create;update;patch;delete

// PermissionClusterRole is the ClusterRole that grants one permission word (M2).
func PermissionClusterRole(permission clientareav1alpha1.Permission) string {
	return permissionClusterRolePrefix + strings.ToLower(string(permission))
}

// grant is a RoleBinding the operator wants: a ClusterRole for a user.
type grant struct {
	name        string
	clusterRole string
	user        string
}

// boundedName joins parts into an object name of at most 253 characters,
// shortening long ones with a hash so that names stay deterministic.
func boundedName(parts ...string) string {
	name := strings.Join(parts, "-")
	if len(name) <= 253 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:253-17] + "-" + hex.EncodeToString(sum[:8])
}

// syncRoleBindings makes the operator's RoleBindings in namespace that carry
// labels exactly the wanted grants: it creates what is missing, corrects what
// drifted (a binding edited or deleted by hand comes back), and deletes what
// is no longer wanted. Nothing is written when everything matches (G4).
func syncRoleBindings(ctx context.Context, c client.Client, scheme *runtime.Scheme, controller client.Object,
	namespace string, labels map[string]string, wanted []grant) error {
	existing := &rbacv1.RoleBindingList{}
	if err := c.List(ctx, existing, client.InNamespace(namespace), client.MatchingLabels(labels)); err != nil {
		return err
	}
	byName := map[string]*rbacv1.RoleBinding{}
	for i := range existing.Items {
		byName[existing.Items[i].Name] = &existing.Items[i]
	}
	var errs []error
	for _, g := range wanted {
		desired, err := roleBinding(scheme, controller, namespace, labels, g)
		if err != nil {
			return err
		}
		current, found := byName[g.name]
		delete(byName, g.name)
		errs = append(errs, ensureRoleBinding(ctx, c, current, found, desired))
	}
	for _, stale := range byName {
		errs = append(errs, client.IgnoreNotFound(c.Delete(ctx, stale, client.Preconditions{UID: &stale.UID})))
	}
	return kerrors.NewAggregate(errs)
}

func roleBinding(scheme *runtime.Scheme, controller client.Object, namespace string, labels map[string]string, g grant) (*rbacv1.RoleBinding, error) {
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: g.name, Namespace: namespace, Labels: maps.Clone(labels)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: g.clusterRole},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: g.user}},
	}
	binding.Labels[clientareav1alpha1.ManagedByLabel] = clientareav1alpha1.ManagedByValue
	if err := controllerutil.SetControllerReference(controller, binding, scheme); err != nil {
		return nil, err
	}
	return binding, nil
}

func ensureRoleBinding(ctx context.Context, c client.Client, current *rbacv1.RoleBinding, found bool, desired *rbacv1.RoleBinding) error {
	if !found {
		err := c.Create(ctx, desired)
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("rolebinding %s/%s exists but is not the operator's (or not yet in its cache): %w", desired.Namespace, desired.Name, err)
		}
		return err
	}
	if current.RoleRef != desired.RoleRef {
		// roleRef cannot change: replace the binding.
		if err := c.Delete(ctx, current, client.Preconditions{UID: &current.UID}); client.IgnoreNotFound(err) != nil {
			return err
		}
		return c.Create(ctx, desired)
	}
	if equality.Semantic.DeepEqual(current.Subjects, desired.Subjects) && labelsContain(current.Labels, desired.Labels) &&
		equality.Semantic.DeepEqual(current.OwnerReferences, desired.OwnerReferences) {
		return nil
	}
	updated := current.DeepCopy()
	updated.Subjects = desired.Subjects
	updated.OwnerReferences = desired.OwnerReferences
	if updated.Labels == nil {
		updated.Labels = map[string]string{}
	}
	maps.Copy(updated.Labels, desired.Labels)
	return c.Update(ctx, updated)
}

func labelsContain(have, want map[string]string) bool {
	for key, value := range want {
		if have[key] != value {
			return false
		}
	}
	return true
}

// ensureRoleRules creates a namespaced Role, or corrects its rules and the
// operator's label when they drifted (a holder changed, a login came or
// went, an edit by hand). One made a moment ago that the cache has not seen
// yet is read past it and taken over. Nothing is written when it matches
// (G4). The operator holds `escalate` on Roles in account namespaces
// (config/rbac/operator_namespace_role.yaml), so a Role is created with its
// rules at once, whether or not the operator holds them itself.
func ensureRoleRules(ctx context.Context, c client.Client, apiReader client.Reader, want *rbacv1.Role) error {
	current := &rbacv1.Role{}
	err := c.Get(ctx, client.ObjectKeyFromObject(want), current)
	if apierrors.IsNotFound(err) {
		if err = c.Create(ctx, want.DeepCopy()); !apierrors.IsAlreadyExists(err) {
			return err
		}
		err = apiReader.Get(ctx, client.ObjectKeyFromObject(want), current)
	}
	if err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(current.Rules, want.Rules) && hasManagedLabel(current) {
		return nil
	}
	current.Rules = want.Rules
	current.Labels = withManagedLabel(current.Labels)
	return c.Update(ctx, current)
}

// deleteExisting deletes the objects (named by their keys) that exist, in
// order, each with its UID as precondition; what is gone already costs no
// write (G4). A binding goes before its role, so that no moment grants
// through a half-removed pair.
func deleteExisting(ctx context.Context, c client.Client, objects ...client.Object) error {
	for _, obj := range objects {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); apierrors.IsNotFound(err) {
			continue
		} else if err != nil {
			return err
		}
		uid := obj.GetUID()
		if err := client.IgnoreNotFound(c.Delete(ctx, obj, client.Preconditions{UID: &uid})); err != nil {
			return err
		}
	}
	return nil
}
