package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Accessors of the status that every kind with conditions has, so that one
// condition setter (internal/conditions) and one patch helper
// (internal/patch) serve them all.
//
// EmailClaim, DomainClaim and NumberClaim have none: they have no status; a
// claim is its spec alone, and it exists or it does not.

// GetConditions returns the User's status.conditions.
func (in *User) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions sets the User's status.conditions.
func (in *User) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// GetObservedGeneration returns the User's status.observedGeneration.
func (in *User) GetObservedGeneration() int64 {
	return in.Status.ObservedGeneration
}

// SetObservedGeneration sets the User's status.observedGeneration.
func (in *User) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// GetConditions returns the Account's status.conditions.
func (in *Account) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions sets the Account's status.conditions.
func (in *Account) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// GetObservedGeneration returns the Account's status.observedGeneration.
func (in *Account) GetObservedGeneration() int64 {
	return in.Status.ObservedGeneration
}

// SetObservedGeneration sets the Account's status.observedGeneration.
func (in *Account) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// GetConditions returns the Membership's status.conditions.
func (in *Membership) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions sets the Membership's status.conditions.
func (in *Membership) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// GetObservedGeneration returns the Membership's status.observedGeneration.
func (in *Membership) GetObservedGeneration() int64 {
	return in.Status.ObservedGeneration
}

// SetObservedGeneration sets the Membership's status.observedGeneration.
func (in *Membership) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// GetConditions returns the Contact's status.conditions.
func (in *Contact) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions sets the Contact's status.conditions.
func (in *Contact) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// GetObservedGeneration returns the Contact's status.observedGeneration.
func (in *Contact) GetObservedGeneration() int64 {
	return in.Status.ObservedGeneration
}

// SetObservedGeneration sets the Contact's status.observedGeneration.
func (in *Contact) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// GetConditions returns the Domain's status.conditions.
func (in *Domain) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions sets the Domain's status.conditions.
func (in *Domain) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// GetObservedGeneration returns the Domain's status.observedGeneration.
func (in *Domain) GetObservedGeneration() int64 {
	return in.Status.ObservedGeneration
}

// SetObservedGeneration sets the Domain's status.observedGeneration.
func (in *Domain) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// GetConditions returns the Invoice's status.conditions.
func (in *Invoice) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions sets the Invoice's status.conditions.
func (in *Invoice) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// GetObservedGeneration returns the Invoice's status.observedGeneration.
func (in *Invoice) GetObservedGeneration() int64 {
	return in.Status.ObservedGeneration
}

// SetObservedGeneration sets the Invoice's status.observedGeneration.
func (in *Invoice) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// GetConditions returns the OwnershipTransfer's status.conditions.
func (in *OwnershipTransfer) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions sets the OwnershipTransfer's status.conditions.
func (in *OwnershipTransfer) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// GetObservedGeneration returns the OwnershipTransfer's status.observedGeneration.
func (in *OwnershipTransfer) GetObservedGeneration() int64 {
	return in.Status.ObservedGeneration
}

// SetObservedGeneration sets the OwnershipTransfer's status.observedGeneration.
func (in *OwnershipTransfer) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}

// GetConditions returns the PriceList's status.conditions.
func (in *PriceList) GetConditions() []metav1.Condition {
	return in.Status.Conditions
}

// SetConditions sets the PriceList's status.conditions.
func (in *PriceList) SetConditions(conditions []metav1.Condition) {
	in.Status.Conditions = conditions
}

// GetObservedGeneration returns the PriceList's status.observedGeneration.
func (in *PriceList) GetObservedGeneration() int64 {
	return in.Status.ObservedGeneration
}

// SetObservedGeneration sets the PriceList's status.observedGeneration.
func (in *PriceList) SetObservedGeneration(generation int64) {
	in.Status.ObservedGeneration = generation
}
