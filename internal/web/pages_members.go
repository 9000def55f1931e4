package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// invitationDays is how long an invitation waits for the invitee, as in
// WHMCS: it lapses then (state Expired) unless a User has claimed the
// address (M6). It is not the access's end: that is only the date the owner
// may choose (spec.expiresAt, M5).
const invitationDays = 7

// vocabulary is the permission words (M1), in the order the forms show them.
var vocabulary = []clientareav1alpha1.Permission{
	clientareav1alpha1.PermissionInvoices, clientareav1alpha1.PermissionDomains,
	clientareav1alpha1.PermissionContacts, clientareav1alpha1.PermissionMembers,
	clientareav1alpha1.PermissionAll,
}

// canManageMembers is the owner's right to change memberships (M3).
var canManageMembers = check{Verb: "create", Resource: "memberships"}

// membershipFields maps the API's fields of a Membership to the form's inputs.
var membershipFields = map[string]string{
	"spec.email": "email", "spec.permissions": "permission", "spec.expiresAt": "expires",
	"metadata.name": "email", "spec": "",
}

// memberRow is one line of User Management.
type memberRow struct {
	Name        string // the Membership; empty for the owner
	Who         string
	Permissions []clientareav1alpha1.Permission
	State       clientareav1alpha1.MembershipState
	// Expires is when access ends (spec.expiresAt); nil for never.
	Expires *metav1.Time
	// InvitationExpires is when a pending invitation lapses.
	InvitationExpires *metav1.Time
	// Lapsed is an invitation that nobody accepted in time: it can be
	// removed or sent again.
	Lapsed     bool
	Generation int64
}

// HasPermission says whether the row's permissions include p.
func (m memberRow) HasPermission(p clientareav1alpha1.Permission) bool {
	return slices.Contains(m.Permissions, p)
}

// membersView is User Management (W4): the owner first, then every
// membership, invitations included.
type membersView struct {
	Owner          *memberRow
	Rows           []memberRow
	CanManage      bool
	Vocabulary     []clientareav1alpha1.Permission
	InvitationDays int
}

// members lists the account's users. The list is read as the customer: a
// customer without the Members permission is refused by the API server.
func (s *Server) members(req *accountRequest) {
	req.access.start(canManageMembers)
	s.showMembers(req, http.StatusOK, newForm(), nil)
}

func (s *Server) showMembers(req *accountRequest, status int, f *form, errs []fieldError) {
	list := &clientareav1alpha1.MembershipList{}
	if err := s.kube.List(req.ctx, list, client.InNamespace(req.account.Namespace)); err != nil {
		req.fail(err)
		return
	}
	view := membersView{
		CanManage: req.access.can(canManageMembers), Vocabulary: vocabulary, InvitationDays: invitationDays,
		Owner: &memberRow{State: clientareav1alpha1.MembershipActive},
	}
	// A6: every member sees who the owner is, to know whom to ask.
	view.Owner.Who = req.account.OwnerEmail
	if view.Owner.Who == "" && req.account.Role == clientareav1alpha1.RoleOwner {
		view.Owner.Who = req.sess.Address
	}
	for _, m := range list.Items {
		if m.DeletionTimestamp != nil {
			continue // removed: it grants nothing, and goes once the operator has cleaned up
		}
		view.Rows = append(view.Rows, memberRow{
			Name: m.Name, Who: memberAddress(&m), Permissions: m.Spec.Permissions,
			State: stateOf(&m), Expires: m.Spec.ExpiresAt, InvitationExpires: m.Spec.InvitationExpiresAt,
			Lapsed: invitationLapsed(&m), Generation: m.Generation,
		})
	}
	slices.SortFunc(view.Rows, func(a, b memberRow) int { return strings.Compare(a.Who, b.Who) })
	req.render(status, "members", &page{Data: view, Form: f, Errors: errs})
}

// stateOf is a membership's state; one the operator has not looked at yet
// (made a moment ago) is pending, as the account's member list says (A6).
func stateOf(m *clientareav1alpha1.Membership) clientareav1alpha1.MembershipState {
	if m.Status.State == "" {
		return clientareav1alpha1.MembershipPending
	}
	return m.Status.State
}

// memberAddress is who a membership is for: the invited address (M6), the
// address it is granted to, or the User's name while that is all there is.
func memberAddress(m *clientareav1alpha1.Membership) string {
	switch {
	case m.Spec.Email != "":
		return string(m.Spec.Email)
	case m.Status.Email != "":
		return m.Status.Email
	}
	return string(m.Spec.User)
}

// invitationLapsed says whether a membership is an invitation that lapsed
// before anyone accepted it (M6), rather than access that ended (M5).
func invitationLapsed(m *clientareav1alpha1.Membership) bool {
	if m.Status.State != clientareav1alpha1.MembershipExpired {
		return false
	}
	ready := meta.FindStatusCondition(m.Status.Conditions, clientareav1alpha1.ConditionReady)
	return ready != nil && ready.Reason == string(clientareav1alpha1.MembershipReasonInvitationExpired)
}

// invite creates a membership for an e-mail address (M6), as the owner:
// the invitation waits invitationDays for the invitee; the access it gives
// ends only on the day the owner chose, if any.
func (s *Server) invite(req *accountRequest) {
	f, err := readForm(req.w, req.r)
	if err != nil {
		req.fail(err)
		return
	}
	l := languageFrom(req.r.Context())
	address := strings.ToLower(f.Get("email"))
	expires, ok := s.expiry(f.Get("expires"))
	if !ok {
		s.showMembers(req, http.StatusUnprocessableEntity, f, []fieldError{{Field: "expires", Message: l.T("expires_invalid")}})
		return
	}
	membership := &clientareav1alpha1.Membership{
		ObjectMeta: metav1.ObjectMeta{Name: invitationName(address), Namespace: req.account.Namespace},
		Spec: clientareav1alpha1.MembershipSpec{
			Email: clientareav1alpha1.EmailAddress(address), Permissions: permissionsOf(f), ExpiresAt: expires,
			InvitationExpiresAt: s.invitationExpiry(),
		},
	}
	err = s.kube.Create(req.ctx, membership)
	if apierrors.IsAlreadyExists(err) {
		s.showMembers(req, http.StatusConflict, f, []fieldError{{Field: "email", Message: l.T("already_invited")}})
		return
	}
	if errs, ok := formErrors(err, membershipFields); ok {
		s.showMembers(req, http.StatusUnprocessableEntity, f, errs)
		return
	}
	if err != nil {
		req.fail(err)
		return
	}
	req.redirect(req.path("members"), "flash_invited")
}

// changeMember sets a membership's permissions and expiry, as the owner.
func (s *Server) changeMember(req *accountRequest) {
	f, err := readForm(req.w, req.r)
	if err != nil {
		req.fail(err)
		return
	}
	l := languageFrom(req.r.Context())
	expires, ok := s.expiry(f.Get("expires"))
	if !ok {
		s.showMembers(req, http.StatusUnprocessableEntity, newForm(), []fieldError{{Field: "expires", Message: l.T("expires_invalid")}})
		return
	}
	membership := s.membershipOf(req)
	if membership == nil {
		return
	}
	if !unchangedSince(f, membership) {
		req.redirect(req.path("members"), "flash_changed_meanwhile")
		return
	}
	s.saveMembership(req, membership, "flash_member_saved", func() {
		membership.Spec.Permissions = permissionsOf(f)
		membership.Spec.ExpiresAt = expires
	})
}

// resendInvitation sends an invitation again, as the owner: it waits for
// the invitee another invitationDays from now (M6). Its permissions and the
// end of the access it gives stay as they were.
func (s *Server) resendInvitation(req *accountRequest) {
	membership := s.membershipOf(req)
	if membership == nil {
		return
	}
	if membership.Status.AcceptedAt != nil || membership.Status.State == clientareav1alpha1.MembershipActive {
		req.redirect(req.path("members"), "flash_changed_meanwhile") // accepted meanwhile: nothing to send
		return
	}
	expiry := s.invitationExpiry()
	s.saveMembership(req, membership, "flash_invitation_resent", func() { membership.Spec.InvitationExpiresAt = expiry })
}

// membershipOf reads the membership the request's path names; nil when
// that failed, and the error page was shown.
func (s *Server) membershipOf(req *accountRequest) *clientareav1alpha1.Membership {
	membership := &clientareav1alpha1.Membership{}
	key := client.ObjectKey{Namespace: req.account.Namespace, Name: req.r.PathValue("membership")}
	if err := s.kube.Get(req.ctx, key, membership); err != nil {
		req.fail(err)
		return nil
	}
	return membership
}

// saveMembership writes a changed membership and answers the owner: the
// members page with the errors, or back to it with flash.
func (s *Server) saveMembership(req *accountRequest, membership *clientareav1alpha1.Membership, flash string, change func()) {
	err := updateSpec(req.ctx, s.kube, membership, change)
	if errs, ok := formErrors(err, membershipFields); ok {
		s.showMembers(req, http.StatusUnprocessableEntity, newForm(), errs)
		return
	}
	if apierrors.IsConflict(err) {
		req.redirect(req.path("members"), "flash_changed_meanwhile")
		return
	}
	if err != nil {
		req.fail(err)
		return
	}
	req.redirect(req.path("members"), flash)
}

// removeMember deletes a membership or withdraws an invitation, as the owner.
func (s *Server) removeMember(req *accountRequest) {
	membership := &clientareav1alpha1.Membership{ObjectMeta: metav1.ObjectMeta{
		Namespace: req.account.Namespace, Name: req.r.PathValue("membership"),
	}}
	if err := s.kube.Delete(req.ctx, membership); err != nil && !apierrors.IsNotFound(err) {
		req.fail(err)
		return
	}
	req.redirect(req.path("members"), "flash_member_removed")
}

// permissionsOf is the ticked permission boxes; the API server checks them.
func permissionsOf(f *form) []clientareav1alpha1.Permission {
	var permissions []clientareav1alpha1.Permission
	for _, p := range f.List("permission") {
		permissions = append(permissions, clientareav1alpha1.Permission(p))
	}
	return permissions
}

// expiry reads a date input: access ends at the end of that day (UTC). An
// empty input is no expiry. A day that is not in the future is refused.
func (s *Server) expiry(value string) (*metav1.Time, bool) {
	if value == "" {
		return nil, true
	}
	day, err := time.Parse(time.DateOnly, value)
	if err != nil {
		return nil, false
	}
	end := day.Add(24 * time.Hour)
	if !end.After(s.cfg.Clock.Now()) {
		return nil, false
	}
	return &metav1.Time{Time: end}, true
}

// invitationExpiry is when an invitation made now lapses.
func (s *Server) invitationExpiry() *metav1.Time {
	return &metav1.Time{Time: s.cfg.Clock.Now().Add(invitationDays * 24 * time.Hour).UTC().Truncate(time.Second)}
}

// nonName is what may not be in an object name.
var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// invitationName is the Membership's name for an invited address: readable,
// and the same for the same address, so that a second invitation for it is
// refused as existing rather than made twice.
func invitationName(address string) string {
	sum := sha256.Sum256([]byte(address))
	slug := strings.Trim(nonName.ReplaceAllString(address, "-"), "-")
	if len(slug) > 40 {
		slug = strings.TrimRight(slug[:40], "-")
	}
	if slug == "" {
		slug = "invitation"
	}
	return slug + "-" + hex.EncodeToString(sum[:4])
}
