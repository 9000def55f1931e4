package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// MembershipSpec gives one person a set of permissions in the account whose
// namespace holds the Membership. The person is named by exactly one of
// user (a User's name) and email (an invitation by e-mail address, M6).
// +kubebuilder:validation:XValidation:rule="has(self.user) != has(self.email)",message="spec.user and spec.email: set exactly one (at least one names the invitee, a User by name or an e-mail address to invite; not both)",fieldPath=".user"
// +kubebuilder:validation:XValidation:rule="has(self.user) == has(oldSelf.user) && has(self.email) == has(oldSelf.email)",message="spec.user and spec.email are immutable: delete this Membership and create one for the other person"
type MembershipSpec struct {
	// user is the name of the User given access. The User need not exist yet:
	// until it does, the membership is a pending invitation (M5). Set either
	// user or email, not both.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.user is immutable: delete this Membership and create one for the other user"
	User ObjectName `json:"user,omitempty"`

	// email invites a person by e-mail address, for someone whose User name
	// the owner cannot know, or who has no login yet (M6). The invitation is
	// pending (reason InvitationPending) until a User claims the address
	// (U1, compared case-insensitively), then it is active for that User,
	// whose name status.user shows. Set either user or email, not both.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec.email is immutable: delete this Membership and invite the other address"
	Email EmailAddress `json:"email,omitempty"`

	// permissions is the set of permissions given (M1):
	// Invoices reads invoices ("only invoices");
	// Domains manages domains and reads contacts and the domain logins' passwords ("only domains");
	// Contacts manages contacts;
	// Members sees the account's memberships;
	// All is everything the owner may do in the account except managing
	// memberships, and stands alone.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=5
	// +kubebuilder:validation:XValidation:rule="!('All' in self) || self.size() == 1",message="All already includes every permission and cannot be combined with others"
	Permissions []Permission `json:"permissions"`

	// expiresAt is when the membership stops granting access (M5). Unset means
	// it does not expire.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// invitationExpiresAt is when the invitation lapses (M5, M6; the client
	// area sets it 7 days ahead). A membership still pending at that time
	// (its User does not exist, or no User has claimed the invited address)
	// becomes Expired with reason InvitationExpired, grants nothing, and does
	// not become active when the User appears later. Once the membership has
	// been active (status.acceptedAt), it no longer matters: access then ends
	// only at expiresAt. Unset means the invitation does not lapse. It may be
	// changed: a later time renews a lapsed invitation (it is pending again),
	// an earlier one withdraws a pending invitation without deleting it.
	// +optional
	InvitationExpiresAt *metav1.Time `json:"invitationExpiresAt,omitempty"`
}

// MembershipStatus is the observed state of a Membership.
type MembershipStatus struct {
	// conditions describe the membership: Ready, its only condition, True
	// (Granted) when its permissions are in effect, else False with why, such
	// as UserNotFound, InvitationPending, InvitationExpired, IsOwner,
	// Duplicate or Expired (M4, M5, M6).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// state is Pending, Active, Expired or Inactive.
	// +optional
	State MembershipState `json:"state,omitempty"`

	// email is the e-mail address that the permissions are granted to.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email,omitempty"`

	// user is the name of the User the membership is for: spec.user, or for
	// an invitation by e-mail the User that claimed the address (M6); empty
	// while no User has.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	User string `json:"user,omitempty"`

	// acceptedAt is when the membership first granted access: the
	// invitation was accepted. From then on spec.invitationExpiresAt no
	// longer applies (M5).
	// +optional
	AcceptedAt *metav1.Time `json:"acceptedAt,omitempty"`
}

// Membership gives one User, or an invitee named by e-mail address (M6), a
// set of permissions in one account. Only the account's owner manages
// memberships (M3).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=mbr,categories=clientarea
// +kubebuilder:printcolumn:name="User",type=string,JSONPath=`.spec.user`
// +kubebuilder:printcolumn:name="Email",type=string,JSONPath=`.spec.email`
// +kubebuilder:printcolumn:name="Claimed By",type=string,JSONPath=`.status.user`,priority=1
// +kubebuilder:printcolumn:name="Permissions",type=string,JSONPath=`.spec.permissions`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=`.spec.expiresAt`,priority=1
// +kubebuilder:printcolumn:name="Invitation Expires",type=string,JSONPath=`.spec.invitationExpiresAt`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Membership struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the membership.
	// +required
	Spec MembershipSpec `json:"spec"`

	// status is what the operator observed.
	// +optional
	Status MembershipStatus `json:"status,omitempty,omitzero"`
}

// MembershipList is a list of Memberships.
// +kubebuilder:object:root=true
type MembershipList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Membership `json:"items"`
}

func init() {
	register(&Membership{}, &MembershipList{})
}
