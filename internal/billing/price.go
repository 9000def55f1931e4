package billing

import (
	"fmt"
	"slices"
	"strings"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// Price is what one year of a billable event costs, from one PriceList.
type Price struct {
	// List is the name of the PriceList the price comes from.
	List     string
	Currency clientareav1alpha1.CurrencyCode
	TaxRate  clientareav1alpha1.BasisPoints
	PerYear  clientareav1alpha1.AmountMinor
}

// PriceFor finds the price of an event for a domain name in the PriceLists
// (I5): the longest top-level domain that a list prices, so that co.uk is
// priced apart from uk. A list being deleted no longer prices anything. When
// no list prices the name, or two lists price its longest TLD, the event
// waits with a HoldError instead of taking a price at random.
func PriceFor(lists []clientareav1alpha1.PriceList, domainName string, event clientareav1alpha1.BillableEventType) (Price, error) {
	labels := strings.Split(domainName, ".")
	// i starts at 1: the whole name is a domain, not a TLD.
	for i := 1; i < len(labels); i++ {
		tld := strings.Join(labels[i:], ".")
		found := pricesOf(lists, tld, event)
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], nil
		default:
			return Price{}, ambiguous(found, tld)
		}
	}
	return Price{}, Holdf(clientareav1alpha1.BillingHoldPriceMissing,
		"no PriceList has a price for %s; the invoice is issued once one does", domainName)
}

// pricesOf is the price of tld in every list that is not being deleted.
func pricesOf(lists []clientareav1alpha1.PriceList, tld string, event clientareav1alpha1.BillableEventType) []Price {
	var found []Price
	for i := range lists {
		if !lists[i].DeletionTimestamp.IsZero() {
			continue
		}
		if p, ok := priceInList(&lists[i], tld, event); ok {
			found = append(found, p)
		}
	}
	return found
}

// ambiguous names the lists sorted, so that the condition message does not
// change with the order the cache lists them in.
func ambiguous(found []Price, tld string) *HoldError {
	names := make([]string, 0, len(found))
	for _, p := range found {
		names = append(names, p.List)
	}
	slices.Sort(names)
	return Holdf(clientareav1alpha1.BillingHoldPriceAmbiguous, "PriceLists %s all price .%s; keep one", strings.Join(names, ", "), tld)
}

// priceInList is the price of tld in one list, whether or not it is being
// deleted.
func priceInList(list *clientareav1alpha1.PriceList, tld string, event clientareav1alpha1.BillableEventType) (Price, bool) {
	for _, entry := range list.Spec.Domains {
		if entry.TLD != tld {
			continue
		}
		var perYear clientareav1alpha1.AmountMinor
		switch event {
		case clientareav1alpha1.EventDomainRenewal:
			perYear = entry.RenewalPerYear
		case clientareav1alpha1.EventDomainTransfer:
			if entry.TransferPerYear == nil {
				return Price{}, false // a list may price registrations but not transfers
			}
			perYear = *entry.TransferPerYear
		default:
			perYear = entry.RegistrationPerYear
		}
		return Price{List: list.Name, Currency: list.Spec.Currency, TaxRate: list.Spec.TaxRate, PerYear: perYear}, true
	}
	return Price{}, false
}

// TLDsPricedElsewhere lists ".tld (PriceList other)", sorted, for every
// top-level domain of list that another list, not being deleted, prices
// too: those TLDs have no price (PriceFor holds them as ambiguous), and the
// list says so in its condition.
func TLDsPricedElsewhere(list *clientareav1alpha1.PriceList, all []clientareav1alpha1.PriceList) []string {
	var clashes []string
	for _, entry := range list.Spec.Domains {
		for i := range all {
			other := &all[i]
			if other.Name == list.Name || !other.DeletionTimestamp.IsZero() {
				continue
			}
			if _, ok := priceInList(other, entry.TLD, clientareav1alpha1.EventDomainRegistration); ok {
				clashes = append(clashes, fmt.Sprintf(".%s (PriceList %s)", entry.TLD, other.Name))
			}
		}
	}
	slices.Sort(clashes)
	return clashes
}

// Tax is net × rate / 10000 rounded half up to the minor unit: 0.5 cent
// and more rounds up, less rounds down. It must stay the very formula of
// the Invoice CRD's validation, (net * taxRate + 5000) / 10000, or the API
// server refuses the invoice. Amounts and rates are never negative (the CRD
// says so), which is what makes the truncating division round half up; the
// largest amount (10^11 × 10 years) times the largest rate (10^4) fits an
// int64 with room to spare.
func Tax(net clientareav1alpha1.AmountMinor, rate clientareav1alpha1.BasisPoints) clientareav1alpha1.AmountMinor {
	return (net*clientareav1alpha1.AmountMinor(rate) + 5000) / 10000
}
