package billing

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// EventKey is the idempotency key of a billable event (I1): the same period
// of the same Domain object always has the same key, "<uid>-reg-<unix>",
// "<uid>-ren-<unix>" or "<uid>-trn-<unix>". It is a valid label value, at most 63 characters (36
// for the UID, 5, and at most 12 digits until the year 9999), so that the
// event's NumberClaim and Invoice are found by it. The UID, not the name,
// keeps a Domain deleted and created again under the same name from
// sharing keys with the old one.
func EventKey(domainUID types.UID, event clientareav1alpha1.BillableEventType, periodStart time.Time) string {
	kind := map[clientareav1alpha1.BillableEventType]string{
		clientareav1alpha1.EventDomainRenewal:  "ren",
		clientareav1alpha1.EventDomainTransfer: "trn",
	}[event]
	if kind == "" {
		kind = "reg"
	}
	return fmt.Sprintf("%s-%s-%d", domainUID, kind, periodStart.Unix())
}

// InvoiceNumber formats an invoice number, such as INV-2026-000001 (I2):
// the year the number was reserved, in reservedAt's location, and its
// position in that year's series.
func InvoiceNumber(reservedAt time.Time, number int64) string {
	return fmt.Sprintf("INV-%d-%06d", reservedAt.Year(), number)
}

// InvoiceName is the object name of the invoice with that number: the
// number in lower case, so that the API server itself refuses a second
// invoice under one number.
func InvoiceName(number string) string {
	return strings.ToLower(number)
}

// Number is an invoice number reserved for one billable event: the parts
// of a NumberClaim that an invoice carries, so that this package does not
// depend on how numbers are reserved.
type Number struct {
	// Sequence is the position in the gapless series, 1 or more.
	Sequence int64
	// ReservedAt is when the number was reserved; the invoice takes it as
	// its issue time, so an invoice created again after a crash says the
	// same.
	ReservedAt metav1.Time
	// EventKey is the idempotency key of the event (see EventKey).
	EventKey string
}

// String is the formatted number, such as INV-2026-000001.
func (n Number) String() string { return InvoiceNumber(n.ReservedAt.Time, n.Sequence) }

// InvoiceName is the object name of the invoice under this number.
func (n Number) InvoiceName() string { return InvoiceName(n.String()) }

// NewInvoice is the invoice for one period of a domain, under its reserved
// number, with the price and recipient as they are now (I3, I4). It is
// created in the domain's namespace and labelled with the account and the
// event's key, by which it is found again.
func NewInvoice(number Number, account string, domain *clientareav1alpha1.Domain, period clientareav1alpha1.BillingPeriod, billTo clientareav1alpha1.InvoiceRecipient, price Price) *clientareav1alpha1.Invoice {
	formatted := number.String()
	line := invoiceLine(domain.Status.DomainName, period, price)
	tax := Tax(line.Amount, price.TaxRate)
	return &clientareav1alpha1.Invoice{
		ObjectMeta: metav1.ObjectMeta{
			Name:      InvoiceName(formatted),
			Namespace: domain.Namespace,
			Labels: map[string]string{
				clientareav1alpha1.ManagedByLabel: clientareav1alpha1.ManagedByValue,
				clientareav1alpha1.AccountLabel:   account,
				clientareav1alpha1.HolderKeyLabel: number.EventKey,
			},
		},
		Spec: clientareav1alpha1.InvoiceSpec{
			Number:   formatted,
			Sequence: number.Sequence,
			Account:  clientareav1alpha1.ObjectName(account),
			IssuedAt: number.ReservedAt,
			BillTo:   billTo,
			Event:    billableEvent(number, domain, period),
			Currency: price.Currency,
			Lines:    []clientareav1alpha1.InvoiceLine{line},
			Net:      line.Amount,
			TaxRate:  price.TaxRate,
			Tax:      tax,
			Total:    line.Amount + tax,
		},
	}
}

// invoiceLine bills the years of a period, such as
// "example.de registration, 3 years".
func invoiceLine(domainName string, period clientareav1alpha1.BillingPeriod, price Price) clientareav1alpha1.InvoiceLine {
	what := map[clientareav1alpha1.BillableEventType]string{
		clientareav1alpha1.EventDomainRenewal:  "renewal",
		clientareav1alpha1.EventDomainTransfer: "transfer",
	}[period.Type]
	if what == "" {
		what = "registration"
	}
	unit := "year"
	if period.Years != 1 {
		unit = "years"
	}
	quantity := int64(period.Years)
	return clientareav1alpha1.InvoiceLine{
		Description: fmt.Sprintf("%s %s, %d %s", domainName, what, period.Years, unit),
		Quantity:    quantity,
		UnitPrice:   price.PerYear,
		Amount:      clientareav1alpha1.AmountMinor(quantity) * price.PerYear,
	}
}

func billableEvent(number Number, domain *clientareav1alpha1.Domain, period clientareav1alpha1.BillingPeriod) clientareav1alpha1.BillableEvent {
	return clientareav1alpha1.BillableEvent{
		Type:           period.Type,
		Domain:         clientareav1alpha1.ObjectName(domain.Name),
		DomainName:     clientareav1alpha1.DomainName(domain.Status.DomainName),
		PeriodStart:    period.PeriodStart,
		PeriodEnd:      period.PeriodEnd,
		IdempotencyKey: number.EventKey,
	}
}
