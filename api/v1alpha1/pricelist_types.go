package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TLDPrice is the price of one top-level domain.
type TLDPrice struct {
	// tld is the top-level domain without a leading dot, such as de, com or
	// co.uk.
	// +required
	// +kubebuilder:validation:MinLength=2
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([a-z0-9-]*[a-z0-9])?([.][a-z0-9]([a-z0-9-]*[a-z0-9])?)*$')",message="must be a lowercase top-level domain without a leading dot, such as de or co.uk"
	TLD string `json:"tld"`

	// registrationPerYear is the net price of one year of registration, in
	// minor units.
	// +required
	RegistrationPerYear AmountMinor `json:"registrationPerYear"`

	// renewalPerYear is the net price of one year of renewal, in minor units.
	// +required
	RenewalPerYear AmountMinor `json:"renewalPerYear"`

	// transferPerYear is the net price of a transfer in, per year it adds,
	// in minor units. When unset, a transfer in of this TLD waits for a
	// price like any unpriced event (I5).
	// +optional
	TransferPerYear *AmountMinor `json:"transferPerYear,omitempty"`
}

// PriceListSpec holds the prices of billable events (I5).
type PriceListSpec struct {
	// currency is the ISO 4217 code of every price of the list.
	// +required
	Currency CurrencyCode `json:"currency"`

	// taxRate is the tax rate in basis points (1900 is 19 %).
	// +required
	TaxRate BasisPoints `json:"taxRate"`

	// domains are the prices per top-level domain. A domain whose TLD has no
	// price is not billed with an invented number: its event waits, with a
	// condition, until a price exists.
	// +required
	// +listType=map
	// +listMapKey=tld
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=2000
	Domains []TLDPrice `json:"domains"`
}

// PriceListStatus is the observed state of a PriceList.
type PriceListStatus struct {
	// conditions describe the price list: Ready, its only condition, True
	// when it is in use, False (TLDPricedTwice) when a top-level domain it
	// prices is priced by another list too.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// PriceList holds the prices of billable events, applied as YAML (I5).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=pl,categories=clientarea
// +kubebuilder:printcolumn:name="Currency",type=string,JSONPath=`.spec.currency`
// +kubebuilder:printcolumn:name="Tax Rate (bp)",type=integer,JSONPath=`.spec.taxRate`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PriceList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec holds the prices.
	// +required
	Spec PriceListSpec `json:"spec"`

	// status is what the operator observed.
	// +optional
	Status PriceListStatus `json:"status,omitempty,omitzero"`
}

// PriceListList is a list of PriceLists.
// +kubebuilder:object:root=true
type PriceListList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PriceList `json:"items"`
}

func init() {
	register(&PriceList{}, &PriceListList{})
}
