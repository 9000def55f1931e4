// Package billing holds the rules of invoicing as pure functions: which price
// applies (I5), how tax is rounded (I3), who receives an invoice (A7, D3, I4)
// and what an invoice contains (I1-I3). Nothing here reads or writes the API
// server, so every rule is tested in a table, and the controllers only fetch
// objects and store what these functions return.
package billing

import (
	"errors"
	"fmt"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// HoldError says why a billable event cannot be invoiced yet. It is not a
// failure to retry: a person has to act (add a price, fix a billing
// contact), and the operator does not invent a price or a recipient
// meanwhile. Callers turn it into a condition with its Reason and Message,
// and come back when a watched object changes.
type HoldError struct {
	Reason  clientareav1alpha1.BillingHoldReason
	Message string
}

// Error is the message alone: it is written for the person who must act,
// and the reason travels separately as the condition's reason.
func (e *HoldError) Error() string { return e.Message }

// Holdf is a HoldError with a formatted message. It never returns nil.
func Holdf(reason clientareav1alpha1.BillingHoldReason, format string, args ...any) *HoldError {
	return &HoldError{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// AsHold finds a HoldError in err's chain, so that a hold wrapped with
// context (fmt.Errorf("...: %w", hold)) is still told apart from a failure.
func AsHold(err error) (*HoldError, bool) {
	var hold *HoldError
	if errors.As(err, &hold) {
		return hold, true
	}
	return nil, false
}
