package controller

import (
	"context"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// reconcileMembers writes the account's "user management" view (A6): the
// owner, then one line per user with a Membership, in user order.
func (r *AccountReconciler) reconcileMembers(ctx context.Context, account *clientareav1alpha1.Account) error {
	members := []clientareav1alpha1.AccountMember{{
		User: string(account.Spec.Owner), Email: account.Status.OwnerEmail, Role: clientareav1alpha1.RoleOwner, State: clientareav1alpha1.MembershipActive,
	}}
	if account.Status.Namespace != "" {
		memberships := &clientareav1alpha1.MembershipList{}
		if err := r.List(ctx, memberships, client.InNamespace(account.Status.Namespace)); err != nil {
			return err
		}
		// The Membership in effect first, so that a duplicate (M4) or the
		// owner's own membership does not hide it: one line per user.
		slices.SortFunc(memberships.Items, func(a, b clientareav1alpha1.Membership) int {
			if c := cmpBool(a.Status.State == clientareav1alpha1.MembershipInactive, b.Status.State == clientareav1alpha1.MembershipInactive); c != 0 {
				return c
			}
			if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
				return c
			}
			return strings.Compare(a.Name, b.Name)
		})
		for _, m := range memberships.Items {
			if slices.ContainsFunc(members, func(existing clientareav1alpha1.AccountMember) bool { return existing.User == string(m.Spec.User) }) {
				continue
			}
			members = append(members, clientareav1alpha1.AccountMember{
				User: string(m.Spec.User), Email: m.Status.Email, Role: clientareav1alpha1.RoleMember,
				Permissions: slices.Clone(m.Spec.Permissions), State: m.Status.State,
			})
		}
	}
	slices.SortStableFunc(members[1:], func(a, b clientareav1alpha1.AccountMember) int { return strings.Compare(a.User, b.User) })
	for i := range members {
		if members[i].State == "" {
			members[i].State = clientareav1alpha1.MembershipPending // not yet reconciled
		}
	}
	account.Status.Members = members
	return nil
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// deletingAccountOfNamespace maps an object in an account namespace to its
// Account while that is being deleted; otherwise to nothing, since the
// object does not concern it.
func (r *AccountReconciler) deletingAccountOfNamespace(ctx context.Context, obj client.Object) []reconcile.Request {
	requests := r.accountOfNamespace(ctx, obj)
	account := &clientareav1alpha1.Account{}
	if len(requests) == 0 || r.Get(ctx, requests[0].NamespacedName, account) != nil || account.DeletionTimestamp.IsZero() {
		return nil
	}
	return requests
}

// accountOfNamespace maps an object in an account namespace to its Account.
func (r *AccountReconciler) accountOfNamespace(_ context.Context, obj client.Object) []reconcile.Request {
	name, ok := strings.CutPrefix(obj.GetNamespace(), r.NamespacePrefix)
	if !ok || name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: name}}}
}
