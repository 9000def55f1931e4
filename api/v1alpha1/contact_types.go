package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ContactUse is one place where a Contact is used (C3).
type ContactUse struct {
	// kind is Account (billing contact) or Domain (holder).
	// +required
	// +kubebuilder:validation:Enum=Account;Domain
	Kind string `json:"kind"`

	// name is the name of the Account or Domain.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// namespace is the Domain's namespace; empty for an Account.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// ContactStatus is the observed state of a Contact.
type ContactStatus struct {
	// conditions describe the contact: Ready; InUse (True while an account
	// bills to it or a domain is held by it).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// usedBy lists the accounts that bill to this contact and the domains it
	// holds. A contact in use is not deleted (C3).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10000
	UsedBy []ContactUse `json:"usedBy,omitempty"`
}

// Contact is a name-and-address record in an account: an invoice recipient or
// a domain holder. It is independent of the account's own contact and of
// every other Contact (C2).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=ctc,categories=clientarea
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63",message="metadata.name must be at most 63 characters: the domains a Contact holds carry its name as the label clientarea.dev/holder (D6)"
// +kubebuilder:printcolumn:name="Name",type=string,JSONPath=`.spec.name`
// +kubebuilder:printcolumn:name="Organisation",type=string,JSONPath=`.spec.organisation`
// +kubebuilder:printcolumn:name="Country",type=string,JSONPath=`.spec.countryCode`
// +kubebuilder:printcolumn:name="Email",type=string,JSONPath=`.spec.email`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Contact struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the contact's name and address (C1).
	// +required
	Spec ContactDetails `json:"spec"`

	// status is what the operator observed.
	// +optional
	Status ContactStatus `json:"status,omitempty,omitzero"`
}

// ContactList is a list of Contacts.
// +kubebuilder:object:root=true
type ContactList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Contact `json:"items"`
}

func init() {
	register(&Contact{}, &ContactList{})
}
