package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/billing"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/numbering"
	"clientarea.dev/clientarea-operator/internal/patch"
)

// +kubebuilder:rbac:groups=clientarea.dev,resources=invoices,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=clientarea.dev,resources=invoices/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=clientarea.dev,resources=pricelists,verbs=get;list;watch

// keptInvoicedPeriods is how many invoiced periods a Domain's status keeps,
// beside those that wait.
const keptInvoicedPeriods = 4

// invoicer issues the invoices of a Domain's billable events (I1 to I5). It
// is a phase of the Domain reconciler with its own type and file, not a
// controller of its own, because the billable event is the period that
// registration records in the Domain's status in the same write as the
// registration itself (I1): a second controller would share status.billing
// with registration, so that every write of either would meet the other's,
// and a new period would wait a queue round before it is billed, which the
// benchmark measured as slower (docs/performance.md). Registration calls
// nothing here but bill; what an invoice says (prices, rounding, recipient)
// is in the pure package internal/billing.
type invoicer struct {
	Client client.Client
	// APIReader reads an invoice past the cache: one issued just before a
	// crash must be found.
	APIReader client.Reader
	// Numbers hands out invoice numbers (I2).
	Numbers  numbering.Numbers
	Recorder events.EventRecorder
}

// bill issues the invoice of every period that has none, oldest first (I1).
// A period is billed only once the API server has stored it with its
// registration, so that a crash in between cannot bill a registration that
// was never recorded: the periods still unstored are written first (a patch
// that sends nothing when they are stored already).
func (i *invoicer) bill(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain := s.domain
	if billingHeld(domain) {
		// The status stored now holds a period without its invoice: it
		// must not say, from before, that every period is invoiced. A hold
		// already said is kept.
		if !conditions.IsFalse(domain, clientareav1alpha1.DomainConditionInvoiced) {
			conditions.Set(domain, clientareav1alpha1.DomainConditionInvoiced, metav1.ConditionFalse, clientareav1alpha1.DomainReasonInvoicePending,
				"a billable period is recorded and its invoice is being issued")
		}
		if err := s.patcher.Patch(ctx, domain, s.sharedStatus); err != nil {
			return ctrl.Result{}, fmt.Errorf("storing the periods to bill: %w", err)
		}
	}
	for _, period := range domain.Status.Billing {
		if period.Invoice != "" {
			continue
		}
		invoice, err := i.issue(ctx, domain, period)
		if hold, ok := billing.AsHold(err); ok {
			i.hold(domain, period, hold)
			return ctrl.Result{}, nil // a watch on PriceLists and Accounts brings us back
		}
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("invoicing %s of %s: %w", period.Type, domain.Status.DomainName, err)
		}
		markInvoiced(domain, period, invoice.Name)
	}
	domain.Status.Billing = pruneInvoiced(domain.Status.Billing)
	if last := lastInvoiced(domain.Status.Billing); last != nil {
		conditions.Set(domain, clientareav1alpha1.DomainConditionInvoiced, metav1.ConditionTrue, clientareav1alpha1.DomainReasonInvoiced,
			"every period is invoiced; the last by Invoice "+last.Invoice)
	}
	return ctrl.Result{}, nil
}

// hold says, on the Domain, why a period waits for its invoice, and counts
// the wait once.
func (i *invoicer) hold(domain *clientareav1alpha1.Domain, period clientareav1alpha1.BillingPeriod, hold *billing.HoldError) {
	message := fmt.Sprintf("the %s from %s waits for its invoice: %s", period.Type, period.PeriodStart.UTC().Format("2006-01-02"), hold.Message)
	if conditions.SetNoted(i.Recorder, domain, clientareav1alpha1.DomainConditionInvoiced, metav1.ConditionFalse, hold.Reason, message,
		corev1.EventTypeWarning) {
		billingHolds.WithLabelValues(string(hold.Reason)).Inc()
	}
}

// issue finds or issues the invoice of one period. The number is reserved
// for the event before the invoice is created, and found again by the
// event's key, so that whichever line the operator dies on, the event ends
// with one invoice under the number reserved for it, and no number is
// skipped (I1, I2). A *billing.HoldError says why the event waits.
func (i *invoicer) issue(ctx context.Context, domain *clientareav1alpha1.Domain, period clientareav1alpha1.BillingPeriod) (*clientareav1alpha1.Invoice, error) {
	holder := numbering.Holder{Kind: "Domain", Name: domain.Name, UID: string(domain.UID),
		Event: billing.EventKey(domain.UID, period.Type, period.PeriodStart.Time)}
	reserved, err := i.Numbers.ReservedFor(ctx, holder)
	if err != nil {
		return nil, fmt.Errorf("finding the invoice number of the event: %w", err)
	}
	if reserved != nil {
		// Reserved before a crash, and maybe issued too: an issued invoice
		// stands as it was issued, whatever changed since (I3).
		if invoice, err := i.issued(ctx, domain.Namespace, numberOf(*reserved)); invoice != nil || err != nil {
			return invoice, err
		}
	}
	// Recipient and price before the number: a number is reserved only for
	// an event that can be invoiced at once, so a held event leaves no gap.
	account, billTo, price, err := i.terms(ctx, domain, period)
	if err != nil {
		return nil, err
	}
	if reserved == nil {
		claim, err := i.Numbers.NumberFor(ctx, holder)
		if err != nil {
			return nil, fmt.Errorf("reserving an invoice number: %w", err)
		}
		reserved = &claim
	}
	return i.create(ctx, billing.NewInvoice(numberOf(*reserved), account, domain, period, *billTo, price), domain, period)
}

// terms are what an invoice for the period says besides its number: the
// account, the recipient (A7, D3) and the price (I5).
func (i *invoicer) terms(ctx context.Context, domain *clientareav1alpha1.Domain, period clientareav1alpha1.BillingPeriod) (
	string, *clientareav1alpha1.InvoiceRecipient, billing.Price, error) {
	account, err := i.accountOf(ctx, domain)
	if err != nil {
		return "", nil, billing.Price{}, err
	}
	billTo, err := recipientOf(ctx, i.Client, account)
	if err != nil {
		return "", nil, billing.Price{}, err
	}
	lists := &clientareav1alpha1.PriceListList{}
	if err := i.Client.List(ctx, lists); err != nil {
		return "", nil, billing.Price{}, err
	}
	price, err := billing.PriceFor(lists.Items, domain.Status.DomainName, period.Type)
	return account.Name, billTo, price, err
}

// create creates the invoice, or finds the one a manager that lost its
// lease created meanwhile, and marks it issued.
func (i *invoicer) create(ctx context.Context, invoice *clientareav1alpha1.Invoice, domain *clientareav1alpha1.Domain,
	period clientareav1alpha1.BillingPeriod) (*clientareav1alpha1.Invoice, error) {
	err := i.Client.Create(ctx, invoice)
	if apierrors.IsAlreadyExists(err) {
		number := billing.Number{Sequence: invoice.Spec.Sequence, ReservedAt: invoice.Spec.IssuedAt, EventKey: invoice.Spec.Event.IdempotencyKey}
		found, err := i.issued(ctx, invoice.Namespace, number)
		if found == nil && err == nil {
			err = fmt.Errorf("invoice %s/%s exists and then does not", invoice.Namespace, invoice.Name)
		}
		return found, err
	}
	if err != nil {
		return nil, err
	}
	invoicesIssued.WithLabelValues(string(invoice.Spec.Currency)).Inc()
	i.Recorder.Eventf(domain, invoice, corev1.EventTypeNormal, string(clientareav1alpha1.InvoiceReasonIssued), "IssueInvoice",
		"issued invoice %s for the %s until %s to %s, total %d %s", invoice.Spec.Number, period.Type, period.PeriodEnd.UTC().Format("2006-01-02"),
		invoice.Spec.BillTo.Name, invoice.Spec.Total, invoice.Spec.Currency)
	return invoice, i.markIssued(ctx, invoice)
}

// issued reads, from the API server, the invoice issued under a number,
// with its Ready condition set; nil when there is none yet.
func (i *invoicer) issued(ctx context.Context, namespace string, number billing.Number) (*clientareav1alpha1.Invoice, error) {
	invoice := &clientareav1alpha1.Invoice{}
	err := i.APIReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: number.InvoiceName()}, invoice)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if invoice.Spec.Event.IdempotencyKey != number.EventKey {
		return nil, fmt.Errorf("invoice %s/%s bills event %s, not %s", namespace, invoice.Name, invoice.Spec.Event.IdempotencyKey, number.EventKey)
	}
	return invoice, i.markIssued(ctx, invoice)
}

// markIssued sets the invoice's Ready condition, once. The Invoice is the
// operator's own record (I6), and this is its only status writer.
func (i *invoicer) markIssued(ctx context.Context, invoice *clientareav1alpha1.Invoice) error {
	patcher := patch.NewHelper(invoice, i.Client)
	conditions.Set(invoice, clientareav1alpha1.ConditionReady, metav1.ConditionTrue, clientareav1alpha1.InvoiceReasonIssued,
		fmt.Sprintf("issued to %s (%s)", invoice.Spec.BillTo.Name, invoice.Spec.BillTo.Source))
	return patcher.Patch(ctx, invoice, patch.WithObservedGeneration())
}

// accountOf is the Account whose namespace holds the domain.
func (i *invoicer) accountOf(ctx context.Context, domain *clientareav1alpha1.Domain) (*clientareav1alpha1.Account, error) {
	account := &clientareav1alpha1.Account{}
	err := i.Client.Get(ctx, client.ObjectKey{Name: domain.Status.Account}, account)
	if apierrors.IsNotFound(err) {
		return nil, billing.Holdf(clientareav1alpha1.BillingHoldAccountNotReady, "Account %s does not exist", domain.Status.Account)
	}
	if err != nil {
		return nil, err
	}
	if account.Status.Namespace != domain.Namespace {
		return nil, billing.Holdf(clientareav1alpha1.BillingHoldAccountNotReady, "namespace %s is not the namespace of Account %s", domain.Namespace, account.Name)
	}
	return account, nil
}

// numberOf is the invoice number of a reservation.
func numberOf(claim numbering.Claim) billing.Number {
	return billing.Number{Sequence: claim.Number, ReservedAt: metav1.NewTime(claim.ReservedAt.UTC()), EventKey: claim.Holder.Key()}
}
