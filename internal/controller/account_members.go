package controller

import (
	"context"
	"slices"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// listMembers writes the account's "user management" view (A6): the owner,
// then one line per user with a Membership, in user order: the Membership
// that counts for that user (M4).
func (r *accountReconciler) listMembers(ctx context.Context, s *accountScope) (ctrl.Result, error) {
	account := s.account
	members := []clientareav1alpha1.AccountMember{{
		User: string(account.Spec.Owner), Email: account.Status.OwnerEmail, Role: clientareav1alpha1.RoleOwner, State: clientareav1alpha1.MembershipActive,
	}}
	if account.Status.Namespace != "" {
		memberships := &clientareav1alpha1.MembershipList{}
		if err := r.List(ctx, memberships, client.InNamespace(account.Status.Namespace)); err != nil {
			return ctrl.Result{}, err
		}
		for _, m := range countingMemberships(memberships.Items) {
			if string(m.Spec.User) == string(account.Spec.Owner) {
				continue // the owner's own membership grants nothing (M4)
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
	return ctrl.Result{}, nil
}
