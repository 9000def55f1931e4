package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DomainClaimSpec names the Domain that holds a domain name.
type DomainClaimSpec struct {
	// namespace is the namespace of the Domain that holds the name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace"`

	// name is the name of that Domain.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// uid is the UID of that Domain, so that a later Domain of the same name
	// does not inherit the claim.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=36
	UID string `json:"uid"`
}

// DomainClaim records which Domain holds a domain name in the whole cluster
// (D2). It is named after the domain name, so the API server, which lets
// only one object have a name, decides race-free which Domain gets it: the
// first. The operator creates and deletes claims; people do not edit them.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:validation:XValidation:rule="self.spec == oldSelf.spec",message="spec is immutable: a claim is deleted, never moved",fieldPath=".spec"
// +kubebuilder:printcolumn:name="Namespace",type=string,JSONPath=`.spec.namespace`
// +kubebuilder:printcolumn:name="Domain",type=string,JSONPath=`.spec.name`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DomainClaim struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec names the holder.
	// +required
	Spec DomainClaimSpec `json:"spec"`
}

// DomainClaimList is a list of DomainClaims.
// +kubebuilder:object:root=true
type DomainClaimList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DomainClaim `json:"items"`
}

func init() {
	register(&DomainClaim{}, &DomainClaimList{})
}
