package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// UserSpec is the identity of a person.
type UserSpec struct {
	// email is the person's e-mail address (U1). It is also the Kubernetes user
	// name the person authenticates with, so access in accounts is granted to
	// it. It is compared case-insensitively and must be unique among Users:
	// a second User with the same address is refused access and reports a
	// conflict. Changing it moves all of the user's access to the new address,
	// and the old address keeps none (U4).
	// +required
	Email EmailAddress `json:"email"`

	// displayName is how the person is shown in the client area.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	DisplayName string `json:"displayName,omitempty"`
}

// UserAccount is one account a user can choose after login (U2).
type UserAccount struct {
	// account is the name of the Account.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Account string `json:"account"`

	// namespace is the account's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// displayName is the account's display name, for the choice after login
	// and the header of its pages (A6).
	// +optional
	// +kubebuilder:validation:MaxLength=255
	DisplayName string `json:"displayName,omitempty"`

	// customerNumber is the account's customer number, once it has one (A6).
	// +optional
	// +kubebuilder:validation:Minimum=1
	CustomerNumber int64 `json:"customerNumber,omitempty"`

	// ownerEmail is the e-mail address of the account's owner (the
	// Account's status.ownerEmail, A6), so that a member's User Management
	// names the owner (W4); empty while the owner holds no address.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	OwnerEmail string `json:"ownerEmail,omitempty"`

	// role is Owner or Member.
	// +required
	Role Role `json:"role"`

	// permissions are the member's permissions; empty for the owner, who may
	// do everything the account offers.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=5
	Permissions []Permission `json:"permissions,omitempty"`
}

// UserStatus is the observed state of a User.
type UserStatus struct {
	// conditions describe the user: Ready; EmailClaimed (False with reason
	// EmailConflict when another User holds the address); DeletionBlocked
	// (True while a deleted User still owns accounts).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// email is the address that access is currently granted to, in lower case.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email,omitempty"`

	// accounts lists every account the user owns or is a member of (U2),
	// memberships by user name and invitations to its claimed address (M6)
	// alike.
	// +optional
	// +listType=map
	// +listMapKey=account
	// +kubebuilder:validation:MaxItems=10000
	Accounts []UserAccount `json:"accounts,omitempty"`
}

// User is a person of the client area, identified by an e-mail address. It
// owns nothing directly: it owns and shares Accounts.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=usr,categories=clientarea
// +kubebuilder:printcolumn:name="Email",type=string,JSONPath=`.spec.email`
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type User struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the user's identity.
	// +required
	Spec UserSpec `json:"spec"`

	// status is what the operator observed.
	// +optional
	Status UserStatus `json:"status,omitempty,omitzero"`
}

// UserList is a list of Users.
// +kubebuilder:object:root=true
type UserList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []User `json:"items"`
}

func init() {
	register(&User{}, &UserList{})
}
