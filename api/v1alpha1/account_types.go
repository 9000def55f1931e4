package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AccountType says what an account stands for (A1).
// +kubebuilder:validation:Enum=Person;Company;Project
type AccountType string

const (
	// AccountTypePerson is an account of a private person.
	AccountTypePerson AccountType = "Person"
	// AccountTypeCompany is an account of a company.
	AccountTypeCompany AccountType = "Company"
	// AccountTypeProject is an account for a project.
	AccountTypeProject AccountType = "Project"
)

// BillingContactReference names the Contact that invoices are addressed to.
type BillingContactReference struct {
	// account is the name of the Account that holds the Contact. Empty means
	// this account. Another account is accepted only when it has the same
	// owner as this one: the agency that bills its customers' accounts to
	// itself (A7).
	// +optional
	Account ObjectName `json:"account,omitempty"`

	// name is the name of the Contact.
	// +required
	Name ObjectName `json:"name"`
}

// AccountSpec is the desired state of an Account.
type AccountSpec struct {
	// owner is the name of the User who owns the account (A1). There is
	// exactly one owner at all times. It changes only through an
	// OwnershipTransfer (A4).
	// +required
	Owner ObjectName `json:"owner"`

	// type is Person, Company or Project.
	// +required
	Type AccountType `json:"type"`

	// displayName is the account's name in the client area, such as
	// "Werbeagentur XYZ GmbH" or "Project Phoenix".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=255
	DisplayName string `json:"displayName"`

	// contact is the account holder's own contact data: the contract partner
	// and, unless billingContactRef is set, the invoice recipient. It is an
	// independent record: editing it changes no Contact and no domain holder,
	// and invoices already issued keep the address they were issued to (C2).
	// +required
	Contact ContactDetails `json:"contact"`

	// billingContactRef names a Contact that invoices are addressed to
	// instead of the account's own contact (A7).
	// +optional
	BillingContactRef *BillingContactReference `json:"billingContactRef,omitempty"`
}

// MembershipState is the state of a membership.
// +kubebuilder:validation:Enum=Pending;Active;Expired;Inactive
type MembershipState string

const (
	// MembershipPending is an invitation for a user who does not exist yet (M5).
	MembershipPending MembershipState = "Pending"
	// MembershipActive grants its permissions.
	MembershipActive MembershipState = "Active"
	// MembershipExpired has passed its expiry and grants nothing (M5).
	MembershipExpired MembershipState = "Expired"
	// MembershipInactive grants nothing for another reason, such as being for
	// the owner or a duplicate (M4); its conditions say why.
	MembershipInactive MembershipState = "Inactive"
)

// AccountMember is one line of the account's "user management" view.
type AccountMember struct {
	// user is the name of the User; empty for an invitation by e-mail
	// address that no User has claimed yet (M6).
	// +required
	// +kubebuilder:validation:MaxLength=253
	User string `json:"user"`

	// email is the user's e-mail address, when the User holds one, or the
	// invited address of an invitation by e-mail (M6); empty otherwise.
	// +required
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email"`

	// role is Owner or Member.
	// +required
	Role Role `json:"role"`

	// permissions are the member's permissions; empty for the owner.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=5
	Permissions []Permission `json:"permissions,omitempty"`

	// state is the state of the membership; Active for the owner.
	// +required
	State MembershipState `json:"state"`
}

// TransferRecord summarises the last ownership transfer of an account.
type TransferRecord struct {
	// name is the name of the OwnershipTransfer.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// from is the previous owner.
	// +required
	// +kubebuilder:validation:MaxLength=253
	From string `json:"from"`

	// to is the new owner.
	// +required
	// +kubebuilder:validation:MaxLength=253
	To string `json:"to"`

	// completedAt is when the transfer completed.
	// +required
	CompletedAt metav1.Time `json:"completedAt"`
}

// AccountStatus is the observed state of an Account (A6).
type AccountStatus struct {
	// conditions describe the account: Ready; NamespaceReady (False with
	// reason NamespaceConflict when a namespace of that name is not the
	// account's); OwnerResolved; BillingContactResolved (False with the
	// reason its invoices wait for); Deleting (True while a deleted account
	// waits for its domains or keeps its namespace for its invoices).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// namespace is the account's namespace, where its memberships, contacts,
	// domains and invoices live.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// ownerEmail is the owner's e-mail address.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	OwnerEmail string `json:"ownerEmail,omitempty"`

	// customerNumber is the account's customer number: unique, sequential,
	// assigned once and never changed.
	// +optional
	// +kubebuilder:validation:Minimum=1
	CustomerNumber int64 `json:"customerNumber,omitempty"`

	// members lists the owner and every membership of the account, the
	// invitations by e-mail address included (M6): one entry per person.
	// +optional
	// +listType=map
	// +listMapKey=user
	// +listMapKey=email
	// +kubebuilder:validation:MaxItems=1000
	Members []AccountMember `json:"members,omitempty"`

	// lastTransfer is the last completed ownership transfer.
	// +optional
	LastTransfer *TransferRecord `json:"lastTransfer,omitempty"`
}

// Account is a person, company or project that holds domains, contacts and
// invoices. It has exactly one owner and its own namespace.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=acct,categories=clientarea
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 50 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must be a DNS label of at most 50 characters (lowercase letters, digits and '-'), because it names the account's namespace"
// +kubebuilder:selectablefield:JSONPath=`.spec.owner`
// +kubebuilder:printcolumn:name="Owner",type=string,JSONPath=`.spec.owner`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`,priority=1
// +kubebuilder:printcolumn:name="Namespace",type=string,JSONPath=`.status.namespace`
// +kubebuilder:printcolumn:name="Customer",type=integer,JSONPath=`.status.customerNumber`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Account struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the account.
	// +required
	Spec AccountSpec `json:"spec"`

	// status is what the operator observed.
	// +optional
	Status AccountStatus `json:"status,omitempty,omitzero"`
}

// AccountList is a list of Accounts.
// +kubebuilder:object:root=true
type AccountList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Account `json:"items"`
}

func init() {
	register(&Account{}, &AccountList{})
}
