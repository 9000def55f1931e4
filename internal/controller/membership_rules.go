package controller

import (
	"slices"
	"strings"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// The one rule for which Membership counts when a user has several in one
// account (M4): the oldest that is not being deleted, the first by name
// when two were made in the same second. The others grant nothing, and the
// account's member list shows the one that counts.

// countsBefore orders Memberships of one user: the one that counts first.
func countsBefore(a, b clientareav1alpha1.Membership) int {
	if c := cmpBool(!a.DeletionTimestamp.IsZero(), !b.DeletionTimestamp.IsZero()); c != 0 {
		return c
	}
	if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// countingMembership is the name of the Membership that counts among those
// of one user (membership is one of them, maybe not yet in the list).
func countingMembership(sameUser []clientareav1alpha1.Membership, membership *clientareav1alpha1.Membership) string {
	candidates := slices.DeleteFunc(slices.Clone(sameUser), func(m clientareav1alpha1.Membership) bool { return m.Name == membership.Name })
	return slices.MinFunc(append(candidates, *membership), countsBefore).Name
}

// countingMemberships is the Membership that counts for each person (M4):
// a User, whichever way its memberships name it (by user name, or by an
// invitation to the address it claimed, M6), or an invited address that no
// User has claimed yet; in person order.
func countingMemberships(memberships []clientareav1alpha1.Membership) []clientareav1alpha1.Membership {
	key := func(m clientareav1alpha1.Membership) string {
		if user := memberUser(m); user != "" {
			return "user:" + user
		}
		return "email:" + invitedEmail(&m)
	}
	sorted := slices.Clone(memberships)
	slices.SortFunc(sorted, func(a, b clientareav1alpha1.Membership) int {
		if c := strings.Compare(key(a), key(b)); c != 0 {
			return c
		}
		return countsBefore(a, b)
	})
	return slices.CompactFunc(sorted, func(a, b clientareav1alpha1.Membership) bool { return key(a) == key(b) })
}

// memberUser is the User a Membership is for, as far as the membership
// controller resolved it: the User it names, or the one that claimed the
// address it invites (status.user, M6); "" for an invitation that no User
// has claimed.
func memberUser(m clientareav1alpha1.Membership) string {
	if m.Spec.User != "" {
		return string(m.Spec.User)
	}
	return m.Status.User
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
