package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PreviousOwnerPolicy says what becomes of the previous owner (T1).
// +kubebuilder:validation:Enum=KeepAsMember;Remove
type PreviousOwnerPolicy string

const (
	// PreviousOwnerKeepAsMember makes the previous owner a member with All.
	PreviousOwnerKeepAsMember PreviousOwnerPolicy = "KeepAsMember"
	// PreviousOwnerRemove leaves the previous owner without access.
	PreviousOwnerRemove PreviousOwnerPolicy = "Remove"
)

// OwnershipTransferSpec is support's record that an account gets a new owner.
// It cannot change once created (T3).
// +kubebuilder:validation:XValidation:rule="self.newOwner != self.requestedBy",message="spec.newOwner must differ from spec.requestedBy: the account would stay with its owner",fieldPath=".newOwner"
type OwnershipTransferSpec struct {
	// account is the name of the Account transferred.
	// +required
	Account ObjectName `json:"account"`

	// newOwner is the name of the User who becomes the owner.
	// +required
	NewOwner ObjectName `json:"newOwner"`

	// requestedBy is the name of the User who asked for the transfer. It must
	// be the account's owner when the transfer runs.
	// +required
	RequestedBy ObjectName `json:"requestedBy"`

	// ticket is the support ticket in which the owner asked, such as SUP-4711.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	Ticket string `json:"ticket"`

	// previousOwner says what becomes of the previous owner: KeepAsMember
	// (a member with All) or Remove.
	// +optional
	// +kubebuilder:default=KeepAsMember
	PreviousOwner PreviousOwnerPolicy `json:"previousOwner,omitempty"`
}

// TransferPhase is the outcome of a transfer.
// +kubebuilder:validation:Enum=Pending;Completed;Failed
type TransferPhase string

const (
	// TransferPending has not run yet.
	TransferPending TransferPhase = "Pending"
	// TransferCompleted ran: the account has its new owner.
	TransferCompleted TransferPhase = "Completed"
	// TransferFailed did not run because a precondition failed; nothing changed.
	TransferFailed TransferPhase = "Failed"
)

// OwnershipTransferStatus is the observed state of an OwnershipTransfer.
type OwnershipTransferStatus struct {
	// conditions describe the transfer: Succeeded, Unknown (InProgress)
	// while it runs, True (Transferred) once it completed, False with the
	// failure's reason once it failed; Ready, True only for a completed
	// transfer and False with the same reason for a failed one.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// phase is Pending, Completed or Failed. A finished transfer never runs again.
	// +optional
	Phase TransferPhase `json:"phase,omitempty"`

	// previousOwner is the owner before the transfer.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	PreviousOwner string `json:"previousOwner,omitempty"`

	// completedAt is when the transfer completed or failed.
	// +optional
	CompletedAt *metav1.Time `json:"completedAt,omitempty"`
}

// OwnershipTransfer hands an account to a new owner. Only support creates
// them (T2); a finished one stays as the record (T4).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=xfer,categories=clientarea
// +kubebuilder:validation:XValidation:rule="self.spec == oldSelf.spec",message="spec is immutable: create a new OwnershipTransfer instead",fieldPath=".spec"
// +kubebuilder:printcolumn:name="Account",type=string,JSONPath=`.spec.account`
// +kubebuilder:printcolumn:name="From",type=string,JSONPath=`.spec.requestedBy`
// +kubebuilder:printcolumn:name="To",type=string,JSONPath=`.spec.newOwner`
// +kubebuilder:printcolumn:name="Ticket",type=string,JSONPath=`.spec.ticket`,priority=1
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Completed",type=string,JSONPath=`.status.completedAt`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type OwnershipTransfer struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the transfer asked for.
	// +required
	Spec OwnershipTransferSpec `json:"spec"`

	// status is what the operator observed.
	// +optional
	Status OwnershipTransferStatus `json:"status,omitempty,omitzero"`
}

// OwnershipTransferList is a list of OwnershipTransfers.
// +kubebuilder:object:root=true
type OwnershipTransferList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []OwnershipTransfer `json:"items"`
}

func init() {
	register(&OwnershipTransfer{}, &OwnershipTransferList{})
}
