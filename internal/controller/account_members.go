package controller

import (
	"cmp"
	"context"
	"slices"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// listMembers writes the account's "user management" view (A6): the owner,
// then one line per person with a Membership, the Membership that counts for
// that person (M4): Users in user order, then the invitations by e-mail
// address that no User has claimed yet (M6), in address order.
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
			user := memberUser(m)
			if user == string(account.Spec.Owner) {
				continue // the owner's own membership grants nothing (M4)
			}
			email := m.Status.Email
			if email == "" {
				email = invitedEmail(&m)
			}
			members = append(members, clientareav1alpha1.AccountMember{
				User: user, Email: email, Role: clientareav1alpha1.RoleMember,
				Permissions: slices.Clone(m.Spec.Permissions), State: m.Status.State,
			})
		}
	}
	slices.SortStableFunc(members[1:], func(a, b clientareav1alpha1.AccountMember) int {
		return cmp.Or(cmpBool(a.User == "", b.User == ""), strings.Compare(a.User, b.User), strings.Compare(a.Email, b.Email))
	})
	for i := range members {
		if members[i].State == "" {
			members[i].State = clientareav1alpha1.MembershipPending // not yet reconciled
		}
	}
	account.Status.Members = members
	return ctrl.Result{}, nil
}
