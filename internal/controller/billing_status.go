package controller

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/billing"
)

// recordPeriod records a registration or renewal period in the status, in
// the same write as the registration or renewal itself: the billable event
// exists exactly when the period is stored (I1).
func recordPeriod(domain *clientareav1alpha1.Domain, eventType clientareav1alpha1.BillableEventType, start, end metav1.Time, years int32) {
	domain.Status.Billing = append(domain.Status.Billing, clientareav1alpha1.BillingPeriod{Type: eventType, PeriodStart: start, PeriodEnd: end, Years: years})
}

// billingHeld tells whether a Domain has a period that waits for its invoice.
func billingHeld(domain *clientareav1alpha1.Domain) bool {
	for _, period := range domain.Status.Billing {
		if period.Invoice == "" {
			return true
		}
	}
	return false
}

// markInvoiced records the invoice of a period in the status. The period is
// found by what it is, not where: the status may have been read again since.
func markInvoiced(domain *clientareav1alpha1.Domain, period clientareav1alpha1.BillingPeriod, invoice string) {
	for i := range domain.Status.Billing {
		entry := &domain.Status.Billing[i]
		if entry.Type == period.Type && entry.PeriodStart.Equal(&period.PeriodStart) {
			entry.Invoice = invoice
		}
	}
}

// pruneInvoiced keeps the periods that wait and the last invoiced ones, so
// that the status stays small over decades of renewals.
func pruneInvoiced(periods []clientareav1alpha1.BillingPeriod) []clientareav1alpha1.BillingPeriod {
	invoiced := 0
	for _, period := range periods {
		if period.Invoice != "" {
			invoiced++
		}
	}
	kept := periods[:0:0]
	for _, period := range periods {
		if period.Invoice != "" && invoiced > keptInvoicedPeriods {
			invoiced--
			continue
		}
		kept = append(kept, period)
	}
	return kept
}

func lastInvoiced(periods []clientareav1alpha1.BillingPeriod) *clientareav1alpha1.BillingPeriod {
	for i := len(periods) - 1; i >= 0; i-- {
		if periods[i].Invoice != "" {
			return &periods[i]
		}
	}
	return nil
}

// recipientOf reads what the invoice recipient of an account depends on and
// lets billing.Recipient decide (A7); a *billing.HoldError says why there
// is none. The Account controller reports it, the invoicing phase uses it.
func recipientOf(ctx context.Context, c client.Reader, account *clientareav1alpha1.Account) (*clientareav1alpha1.InvoiceRecipient, error) {
	holder := account
	if name := billing.BillingAccountName(account); name != "" && name != account.Name {
		var err error
		if holder, err = getIfExists(ctx, c, client.ObjectKey{Name: name}, &clientareav1alpha1.Account{}); err != nil {
			return nil, err
		}
	}
	var contact *clientareav1alpha1.Contact
	if key, ok := billing.ContactKey(account, holder); ok {
		var err error
		if contact, err = getIfExists(ctx, c, key, &clientareav1alpha1.Contact{}); err != nil {
			return nil, err
		}
	}
	return billing.Recipient(account, holder, contact)
}

// getIfExists reads obj; nil when it does not exist.
func getIfExists[T client.Object](ctx context.Context, c client.Reader, key client.ObjectKey, obj T) (T, error) {
	err := c.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) {
		var none T
		return none, nil
	}
	return obj, err
}
