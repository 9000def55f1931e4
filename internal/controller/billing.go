package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// Billing condition types and the reasons a billable event waits.
const (
	// ConditionBillingContactResolved is True on an Account whose invoice
	// recipient can be addressed (A7).
	ConditionBillingContactResolved = "BillingContactResolved"
	// ConditionInvoiced is True on a Domain whose every billable event has
	// its invoice (I1), and False with the reason while one waits.
	ConditionInvoiced = "Invoiced"

	ReasonAccountContact           = "AccountContact"
	ReasonBillingContactFound      = "BillingContactFound"
	ReasonBillingContactNotFound   = "BillingContactNotFound"
	ReasonBillingContactNotAllowed = "BillingContactNotAllowed"
	ReasonBillingAccountNotReady   = "AccountNotReady"
	ReasonPriceMissing             = "PriceMissing"
	ReasonPriceAmbiguous           = "PriceAmbiguous"
	ReasonInvoiced                 = "Invoiced"
)

// billingHold says why a billable event waits instead of being invoiced: a
// person has to act (add a price, fix a billing contact), and the operator
// does not invent a number or a recipient meanwhile.
type billingHold struct{ reason, message string }

// resolveRecipient finds the account's invoice recipient (A7): the Contact
// named by spec.billingContactRef, or the account's own contact. A Contact
// of another account is accepted only when both accounts have the same
// owner. The address is returned as a copy, to be written into an invoice
// (I4).
func resolveRecipient(ctx context.Context, c client.Reader, account *clientareav1alpha1.Account) (*clientareav1alpha1.InvoiceRecipient, *billingHold, error) {
	ref := account.Spec.BillingContactRef
	if ref == nil {
		return &clientareav1alpha1.InvoiceRecipient{ContactDetails: account.Spec.Contact, Source: "account/" + account.Name}, nil, nil
	}
	holder := account
	if ref.Account != "" && string(ref.Account) != account.Name {
		other := &clientareav1alpha1.Account{}
		err := c.Get(ctx, client.ObjectKey{Name: string(ref.Account)}, other)
		if apierrors.IsNotFound(err) {
			return nil, &billingHold{ReasonBillingContactNotFound, fmt.Sprintf("spec.billingContactRef: Account %s does not exist", ref.Account)}, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if other.Spec.Owner != account.Spec.Owner {
			return nil, &billingHold{ReasonBillingContactNotAllowed, fmt.Sprintf(
				"spec.billingContactRef: Contact %s of account %s cannot receive this account's invoices: account %s is owned by %s and this account by %s; a billing contact in another account needs the same owner",
				ref.Name, other.Name, other.Name, other.Spec.Owner, account.Spec.Owner)}, nil
		}
		holder = other
	}
	if holder.Status.Namespace == "" {
		return nil, &billingHold{ReasonBillingAccountNotReady, fmt.Sprintf("spec.billingContactRef: account %s has no namespace yet", holder.Name)}, nil
	}
	contact := &clientareav1alpha1.Contact{}
	err := c.Get(ctx, client.ObjectKey{Namespace: holder.Status.Namespace, Name: string(ref.Name)}, contact)
	if apierrors.IsNotFound(err) {
		return nil, &billingHold{ReasonBillingContactNotFound, fmt.Sprintf("spec.billingContactRef: Contact %s does not exist in account %s", ref.Name, holder.Name)}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &clientareav1alpha1.InvoiceRecipient{ContactDetails: contact.Spec, Source: fmt.Sprintf("contact/%s/%s", holder.Name, contact.Name)}, nil, nil
}

// price is what one year of a billable event costs, from one PriceList.
type price struct {
	list     string
	currency clientareav1alpha1.CurrencyCode
	taxRate  clientareav1alpha1.BasisPoints
	perYear  clientareav1alpha1.AmountMinor
}

// priceFor finds the price of an event for a domain name in the PriceLists
// (I5): the longest top-level domain that a list prices (co.uk before uk).
// When no list prices it, or two lists do, the event waits.
func priceFor(ctx context.Context, c client.Reader, domainName string, event clientareav1alpha1.BillableEventType) (*price, *billingHold, error) {
	lists := &clientareav1alpha1.PriceListList{}
	if err := c.List(ctx, lists); err != nil {
		return nil, nil, err
	}
	labels := strings.Split(domainName, ".")
	for i := 1; i < len(labels); i++ {
		tld := strings.Join(labels[i:], ".")
		var found []price
		for _, list := range lists.Items {
			if !list.DeletionTimestamp.IsZero() {
				continue
			}
			if p, ok := priceInList(&list, tld, event); ok {
				found = append(found, p)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return &found[0], nil, nil
		default:
			names := make([]string, 0, len(found))
			for _, p := range found {
				names = append(names, p.list)
			}
			slices.Sort(names)
			return nil, &billingHold{ReasonPriceAmbiguous, fmt.Sprintf("PriceLists %s all price .%s; keep one", strings.Join(names, ", "), tld)}, nil
		}
	}
	return nil, &billingHold{ReasonPriceMissing, fmt.Sprintf("no PriceList has a price for %s; the invoice is issued once one does", domainName)}, nil
}

func priceInList(list *clientareav1alpha1.PriceList, tld string, event clientareav1alpha1.BillableEventType) (price, bool) {
	for _, entry := range list.Spec.Domains {
		if entry.TLD != tld {
			continue
		}
		perYear := entry.RegistrationPerYear
		if event == clientareav1alpha1.EventDomainRenewal {
			perYear = entry.RenewalPerYear
		}
		return price{list: list.Name, currency: list.Spec.Currency, taxRate: list.Spec.TaxRate, perYear: perYear}, true
	}
	return price{}, false
}

// eventKey is the idempotency key of a billable event (I1): the same period
// of the same Domain object always has the same key. It is a valid label
// value (at most 63 characters), so its NumberClaim is found by it.
func eventKey(domain *clientareav1alpha1.Domain, period clientareav1alpha1.BillingPeriod) string {
	kind := "reg"
	if period.Type == clientareav1alpha1.EventDomainRenewal {
		kind = "ren"
	}
	return fmt.Sprintf("%s-%s-%d", domain.UID, kind, period.PeriodStart.Unix())
}

// invoiceNumber formats an invoice number, such as INV-2026-000001 (I2).
func invoiceNumber(claim *clientareav1alpha1.NumberClaim) string {
	return fmt.Sprintf("INV-%d-%06d", claim.Spec.ReservedAt.Year(), claim.Spec.Number)
}

// newInvoice is the invoice for one billable event, under its reserved
// number, with the price and recipient as they are now.
func newInvoice(claim *clientareav1alpha1.NumberClaim, account string, domain *clientareav1alpha1.Domain, period clientareav1alpha1.BillingPeriod, billTo clientareav1alpha1.InvoiceRecipient, p *price) *clientareav1alpha1.Invoice {
	number := invoiceNumber(claim)
	what := "registration"
	if period.Type == clientareav1alpha1.EventDomainRenewal {
		what = "renewal"
	}
	unit := "year"
	if period.Years != 1 {
		unit = "years"
	}
	quantity := int64(period.Years)
	net := clientareav1alpha1.AmountMinor(quantity) * p.perYear
	tax := (net*clientareav1alpha1.AmountMinor(p.taxRate) + 5000) / 10000
	return &clientareav1alpha1.Invoice{
		ObjectMeta: metav1.ObjectMeta{
			Name:      strings.ToLower(number),
			Namespace: domain.Namespace,
			Labels:    map[string]string{ManagedByLabel: ManagedByValue, AccountLabel: account, HolderKeyLabel: claim.Spec.Event},
		},
		Spec: clientareav1alpha1.InvoiceSpec{
			Number:   number,
			Sequence: claim.Spec.Number,
			Account:  clientareav1alpha1.ObjectName(account),
			IssuedAt: *claim.Spec.ReservedAt,
			BillTo:   billTo,
			Event: clientareav1alpha1.BillableEvent{
				Type:           period.Type,
				Domain:         clientareav1alpha1.ObjectName(domain.Name),
				DomainName:     clientareav1alpha1.DomainName(domain.Status.DomainName),
				PeriodStart:    period.PeriodStart,
				PeriodEnd:      period.PeriodEnd,
				IdempotencyKey: claim.Spec.Event,
			},
			Currency: p.currency,
			Lines: []clientareav1alpha1.InvoiceLine{{
				Description: fmt.Sprintf("%s %s, %d %s", domain.Status.DomainName, what, period.Years, unit),
				Quantity:    quantity,
				UnitPrice:   p.perYear,
				Amount:      net,
			}},
			Net:     net,
			TaxRate: p.taxRate,
			Tax:     tax,
			Total:   net + tax,
		},
	}
}
