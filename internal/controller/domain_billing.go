package controller

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// +kubebuilder:rbac:groups=clientarea.dev,resources=invoices,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=clientarea.dev,resources=invoices/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=pricelists,verbs=get;list;watch

const (
	// indexDomainBillingHeld finds the Domains with a billable event that
	// waits for its invoice, when a price or a billing contact appears.
	indexDomainBillingHeld = "status.billingHeld"
	// keptInvoicedPeriods is how many invoiced periods a Domain's status
	// keeps, beside those that wait.
	keptInvoicedPeriods = 4
	// ReasonIssued is the Ready reason of an issued Invoice.
	ReasonIssued = "Issued"
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

// reconcileBilling issues the invoice of every stored period that has none,
// oldest first (I1). stored is the billing as the API server has it: a
// period is billed only after it has been written with its registration, so
// that a crash in between cannot bill a registration that was never stored.
func (r *DomainReconciler) reconcileBilling(ctx context.Context, domain *clientareav1alpha1.Domain, stored []clientareav1alpha1.BillingPeriod) error {
	for _, period := range stored {
		if period.Invoice != "" {
			continue
		}
		invoice, hold, err := r.issueInvoice(ctx, domain, period)
		if err != nil {
			return fmt.Errorf("invoicing %s of %s: %w", period.Type, domain.Status.DomainName, err)
		}
		if hold != nil {
			if setNotedCondition(r.Recorder, domain, &domain.Status.Conditions, domain.Generation, ConditionInvoiced, metav1.ConditionFalse, hold.reason,
				fmt.Sprintf("the %s from %s waits for its invoice: %s", period.Type, period.PeriodStart.UTC().Format("2006-01-02"), hold.message),
				corev1.EventTypeWarning) {
				BillingHolds.WithLabelValues(hold.reason).Inc()
			}
			return nil // a watch on PriceLists and Accounts brings us back
		}
		markInvoiced(domain, period, invoice.Name)
	}
	domain.Status.Billing = pruneInvoiced(domain.Status.Billing)
	if last := lastInvoiced(domain.Status.Billing); last != nil {
		setCondition(&domain.Status.Conditions, domain.Generation, ConditionInvoiced, metav1.ConditionTrue, ReasonInvoiced,
			fmt.Sprintf("every period is invoiced; the last by Invoice %s", last.Invoice))
	}
	return nil
}

// issueInvoice finds or issues the invoice of one period. The number is
// reserved for the event before the invoice is created, and found again by
// the event's key, so that whichever line the operator dies on, the event
// ends with one invoice under the number reserved for it, and no number is
// skipped (I1, I2).
func (r *DomainReconciler) issueInvoice(ctx context.Context, domain *clientareav1alpha1.Domain, period clientareav1alpha1.BillingPeriod) (*clientareav1alpha1.Invoice, *billingHold, error) {
	holder := NumberHolder{Kind: "Domain", Name: domain.Name, UID: string(domain.UID), Event: eventKey(domain, period)}
	claim, err := r.InvoiceNumbers.ReservedFor(ctx, holder)
	if err != nil {
		return nil, nil, fmt.Errorf("finding the invoice number of the event: %w", err)
	}
	if claim != nil {
		// Reserved before a crash, and maybe issued too: an issued invoice
		// stands as it was issued, whatever changed since (I3).
		invoice, err := r.issuedInvoice(ctx, domain.Namespace, claim)
		if invoice != nil || err != nil {
			return invoice, nil, err
		}
	}
	account, hold, err := r.accountOf(ctx, domain)
	if account == nil || hold != nil {
		return nil, hold, err
	}
	// Price and recipient before the number: a number is reserved only for
	// an event that can be invoiced at once, so a held event leaves no gap
	// in the series.
	billTo, hold, err := resolveRecipient(ctx, r.Client, account)
	if billTo == nil || hold != nil {
		return nil, hold, err
	}
	p, hold, err := priceFor(ctx, r.Client, domain.Status.DomainName, period.Type)
	if p == nil || hold != nil {
		return nil, hold, err
	}
	if claim == nil {
		if claim, err = r.InvoiceNumbers.NumberFor(ctx, holder); err != nil {
			return nil, nil, fmt.Errorf("reserving an invoice number: %w", err)
		}
	}
	invoice := newInvoice(claim, account.Name, domain, period, *billTo, p)
	err = r.Create(ctx, invoice)
	if apierrors.IsAlreadyExists(err) {
		// Created since it was looked for, by a manager that lost its lease.
		invoice, err = r.issuedInvoice(ctx, domain.Namespace, claim)
		if invoice == nil && err == nil {
			err = fmt.Errorf("invoice %s/%s exists and then does not", domain.Namespace, strings.ToLower(invoiceNumber(claim)))
		}
		return invoice, nil, err
	}
	if err != nil {
		return nil, nil, err
	}
	InvoicesIssued.WithLabelValues(string(invoice.Spec.Currency)).Inc()
	r.Recorder.Eventf(domain, invoice, corev1.EventTypeNormal, ReasonIssued, "IssueInvoice", "issued invoice %s for the %s until %s to %s, total %d %s",
		invoice.Spec.Number, period.Type, period.PeriodEnd.UTC().Format("2006-01-02"), billTo.Name, invoice.Spec.Total, invoice.Spec.Currency)
	return invoice, nil, r.markIssued(ctx, invoice)
}

// issuedInvoice reads, from the API server, the invoice issued under a
// claim's number, with its Ready condition set; nil when there is none yet.
func (r *DomainReconciler) issuedInvoice(ctx context.Context, namespace string, claim *clientareav1alpha1.NumberClaim) (*clientareav1alpha1.Invoice, error) {
	invoice := &clientareav1alpha1.Invoice{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: strings.ToLower(invoiceNumber(claim))}, invoice)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if invoice.Spec.Event.IdempotencyKey != claim.Spec.Event {
		return nil, fmt.Errorf("invoice %s/%s bills event %s, not %s", namespace, invoice.Name, invoice.Spec.Event.IdempotencyKey, claim.Spec.Event)
	}
	return invoice, r.markIssued(ctx, invoice)
}

// markIssued sets the invoice's Ready condition, once.
func (r *DomainReconciler) markIssued(ctx context.Context, invoice *clientareav1alpha1.Invoice) error {
	before := invoice.DeepCopy()
	invoice.Status.ObservedGeneration = invoice.Generation
	setCondition(&invoice.Status.Conditions, invoice.Generation, clientareav1alpha1.ConditionReady, metav1.ConditionTrue, ReasonIssued,
		fmt.Sprintf("issued to %s (%s)", invoice.Spec.BillTo.Name, invoice.Spec.BillTo.Source))
	return patchStatusIfChanged(ctx, r.Client, before, invoice, func(obj client.Object) any { return obj.(*clientareav1alpha1.Invoice).Status })
}

// accountOf is the Account whose namespace holds the domain.
func (r *DomainReconciler) accountOf(ctx context.Context, domain *clientareav1alpha1.Domain) (*clientareav1alpha1.Account, *billingHold, error) {
	account := &clientareav1alpha1.Account{}
	err := r.Get(ctx, client.ObjectKey{Name: domain.Status.Account}, account)
	if apierrors.IsNotFound(err) {
		return nil, &billingHold{ReasonBillingAccountNotReady, fmt.Sprintf("Account %s does not exist", domain.Status.Account)}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if account.Status.Namespace != domain.Namespace {
		return nil, &billingHold{ReasonBillingAccountNotReady, fmt.Sprintf("namespace %s is not the namespace of Account %s", domain.Namespace, account.Name)}, nil
	}
	return account, nil, nil
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
