package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

// TestRecorded: a registry message whose Domain's reconcile failed is still
// acknowledged once the Domain's status holds what it says (R3), and not
// before, so that one Domain's trouble does not hold up the queue.
func TestRecorded(t *testing.T) {
	registered := &clientareav1alpha1.Domain{Status: clientareav1alpha1.DomainStatus{RegisteredAt: &metav1.Time{}, State: clientareav1alpha1.DomainActive}}
	pending := &clientareav1alpha1.Domain{Status: clientareav1alpha1.DomainStatus{State: clientareav1alpha1.DomainPending, Conditions: []metav1.Condition{{
		Type: string(clientareav1alpha1.DomainConditionRegistered), Status: metav1.ConditionFalse, Reason: string(clientareav1alpha1.DomainReasonRegistrationPending)}}}}
	refused := &clientareav1alpha1.Domain{Status: clientareav1alpha1.DomainStatus{State: clientareav1alpha1.DomainPending, Conditions: []metav1.Condition{{
		Type: string(clientareav1alpha1.DomainConditionRegistered), Status: metav1.ConditionFalse, Reason: string(clientareav1alpha1.DomainReasonRegistryRefused)}}}}
	away := &clientareav1alpha1.Domain{Status: clientareav1alpha1.DomainStatus{RegisteredAt: &metav1.Time{}, State: clientareav1alpha1.DomainTransferredAway}}
	for _, tc := range []struct {
		kind   registrar.MessageKind
		domain *clientareav1alpha1.Domain
		want   bool
	}{
		{registrar.MessageRegistrationCompleted, registered, true},
		{registrar.MessageRegistrationCompleted, pending, false},
		{registrar.MessageTransferCompleted, registered, true},
		{registrar.MessageRegistrationRejected, pending, false},
		{registrar.MessageRegistrationRejected, refused, true},
		{registrar.MessageTransferRejected, refused, true},
		{registrar.MessageTransferredAway, registered, false},
		{registrar.MessageTransferredAway, away, true},
		{registrar.MessageOther, registered, false},
	} {
		if got := recorded(&registrar.Message{Kind: tc.kind}, tc.domain); got != tc.want {
			t.Errorf("%s on a %s Domain: recorded = %v, want %v", tc.kind, tc.domain.Status.State, got, tc.want)
		}
	}
}
