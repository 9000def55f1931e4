package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NumberClaimSpec reserves one number of a sequence for one holder.
type NumberClaimSpec struct {
	// series is the sequence, such as customer.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Series string `json:"series"`

	// number is the reserved number, 1 or more.
	// +required
	// +kubebuilder:validation:Minimum=1
	Number int64 `json:"number"`

	// holderKind is the kind of the object the number is for, such as Account.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	HolderKind string `json:"holderKind"`

	// holderName is the name of that object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	HolderName string `json:"holderName"`

	// holderUID is the UID of that object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=36
	HolderUID string `json:"holderUID"`
	// event identifies the billable event the number is for, when the holder
	// has more than one (an invoice number per registration and renewal of a
	// Domain): the invoice's idempotency key (I1).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Event string `json:"event,omitempty"`
	// reservedAt is when the number was reserved. An invoice takes it as its
	// issue time, so an invoice created after a crash says the same.
	// +optional
	ReservedAt *metav1.Time `json:"reservedAt,omitempty"`
}

// NumberClaim reserves one number of a sequence (customer numbers, A6;
// invoice numbers, I2) for one object or one billable event. It is named <series>-<number>, so the API server, which lets
// only one object have a name, makes each number go to exactly one holder;
// and it outlives a crash between reserving the number and recording it, so
// the holder finds its number again. Claims are never deleted by the
// operator: a number is used once.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:validation:XValidation:rule="self.spec == oldSelf.spec",message="spec is immutable: a number, once reserved, stays with its holder",fieldPath=".spec"
// +kubebuilder:printcolumn:name="Series",type=string,JSONPath=`.spec.series`
// +kubebuilder:printcolumn:name="Number",type=integer,JSONPath=`.spec.number`
// +kubebuilder:printcolumn:name="Holder",type=string,JSONPath=`.spec.holderName`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type NumberClaim struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the reservation.
	// +required
	Spec NumberClaimSpec `json:"spec"`
}

// NumberClaimList is a list of NumberClaims.
// +kubebuilder:object:root=true
type NumberClaimList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NumberClaim `json:"items"`
}

func init() {
	register(&NumberClaim{}, &NumberClaimList{})
}
