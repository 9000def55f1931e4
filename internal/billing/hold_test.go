package billing

import (
	"errors"
	"fmt"
	"testing"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

func TestAsHold(t *testing.T) {
	hold := Holdf(clientareav1alpha1.BillingHoldPriceMissing, "no price for %s", "example.de")
	tests := []struct {
		name string
		err  error
		want *HoldError
	}{
		{"a hold is a hold", hold, hold},
		{"a wrapped hold is still a hold, so context can be added", fmt.Errorf("invoicing: %w", hold), hold},
		{"a failure is not a hold: it is retried, not shown as a condition", errors.New("connection refused"), nil},
		{"no error is no hold", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AsHold(tt.err)
			if got != tt.want || ok != (tt.want != nil) {
				t.Fatalf("AsHold(%v) = %v, %v; want %v", tt.err, got, ok, tt.want)
			}
		})
	}
	if hold.Error() != "no price for example.de" {
		t.Errorf("Error() = %q, want the message alone", hold.Error())
	}
}

// wantHold fails unless err is a hold with that reason and message.
func wantHold(t *testing.T, err error, reason clientareav1alpha1.BillingHoldReason, message string) {
	t.Helper()
	hold, ok := AsHold(err)
	if !ok {
		t.Fatalf("error = %v, want a hold %s", err, reason)
	}
	if hold.Reason != reason || hold.Message != message {
		t.Fatalf("hold = %s %q,\nwant %s %q", hold.Reason, hold.Message, reason, message)
	}
}
