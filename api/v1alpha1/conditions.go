package v1alpha1

// Condition types shared by the kinds of this API. Every kind reports Ready;
// the specific ones say which part of the work is done or blocked.
const (
	// ConditionReady is True when the object is fully in effect.
	ConditionReady = "Ready"
)

// Permission is one word of the membership vocabulary (M1). Each word maps to a
// ClusterRole shipped in config/rbac that is bound in the account namespace.
// +kubebuilder:validation:Enum=Invoices;Domains;Contacts;Members;All
type Permission string

const (
	// PermissionInvoices lets a member read the account's invoices ("only invoices").
	PermissionInvoices Permission = "Invoices"
	// PermissionDomains lets a member manage the account's domains and read the
	// contacts that hold them ("only domains").
	PermissionDomains Permission = "Domains"
	// PermissionContacts lets a member manage the account's contacts.
	PermissionContacts Permission = "Contacts"
	// PermissionMembers lets a member see who else has access to the account.
	PermissionMembers Permission = "Members"
	// PermissionAll gives a member everything the owner can do in the account
	// namespace except managing memberships ("everything").
	PermissionAll Permission = "All"
)

// Role is the part a user plays in an account.
// +kubebuilder:validation:Enum=Owner;Member
type Role string

const (
	// RoleOwner is the single owner of an account.
	RoleOwner Role = "Owner"
	// RoleMember is a user given permissions by a Membership.
	RoleMember Role = "Member"
)
