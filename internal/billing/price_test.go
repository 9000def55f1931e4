package billing

import (
	"maps"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

const (
	registration = clientareav1alpha1.EventDomainRegistration
	renewal      = clientareav1alpha1.EventDomainRenewal
)

// priceList prices each TLD at registration r and renewal r+100.
func priceList(name string, currency clientareav1alpha1.CurrencyCode, taxRate clientareav1alpha1.BasisPoints, tlds map[string]clientareav1alpha1.AmountMinor) clientareav1alpha1.PriceList {
	list := clientareav1alpha1.PriceList{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       clientareav1alpha1.PriceListSpec{Currency: currency, TaxRate: taxRate},
	}
	for _, tld := range slices.Sorted(maps.Keys(tlds)) {
		list.Spec.Domains = append(list.Spec.Domains, clientareav1alpha1.TLDPrice{TLD: tld, RegistrationPerYear: tlds[tld], RenewalPerYear: tlds[tld] + 100})
	}
	return list
}

func deleting(list clientareav1alpha1.PriceList) clientareav1alpha1.PriceList {
	now := metav1.Now()
	list.DeletionTimestamp = &now
	return list
}

func TestPriceFor(t *testing.T) {
	eur := priceList("eur", "EUR", 1900, map[string]clientareav1alpha1.AmountMinor{"de": 1000, "uk": 800, "com": 1200})
	gbp := priceList("gbp", "GBP", 2000, map[string]clientareav1alpha1.AmountMinor{"co.uk": 500})
	comAgain := priceList("b-com", "USD", 0, map[string]clientareav1alpha1.AmountMinor{"com": 900})
	comThird := priceList("a-com", "USD", 0, map[string]clientareav1alpha1.AmountMinor{"com": 950})
	tests := []struct {
		name   string
		lists  []clientareav1alpha1.PriceList
		domain string
		event  clientareav1alpha1.BillableEventType
		want   Price
		reason clientareav1alpha1.BillingHoldReason
		msg    string
	}{
		{name: "I5: a registration takes the registration price of its TLD",
			lists: []clientareav1alpha1.PriceList{eur, gbp}, domain: "example.de", event: registration,
			want: Price{List: "eur", Currency: "EUR", TaxRate: 1900, PerYear: 1000}},
		{name: "I5: a renewal takes the renewal price of its TLD",
			lists: []clientareav1alpha1.PriceList{eur, gbp}, domain: "example.de", event: renewal,
			want: Price{List: "eur", Currency: "EUR", TaxRate: 1900, PerYear: 1100}},
		{name: "I5: the longest TLD wins: co.uk before uk",
			lists: []clientareav1alpha1.PriceList{eur, gbp}, domain: "example.co.uk", event: registration,
			want: Price{List: "gbp", Currency: "GBP", TaxRate: 2000, PerYear: 500}},
		{name: "I5: a name under uk but not co.uk takes the uk price",
			lists: []clientareav1alpha1.PriceList{eur, gbp}, domain: "example.org.uk", event: registration,
			want: Price{List: "eur", Currency: "EUR", TaxRate: 1900, PerYear: 800}},
		{name: "I5: a subdomain is priced by its TLD",
			lists: []clientareav1alpha1.PriceList{eur, gbp}, domain: "www.example.de", event: renewal,
			want: Price{List: "eur", Currency: "EUR", TaxRate: 1900, PerYear: 1100}},
		{name: "I5: a list being deleted prices nothing, so co.uk falls back to uk",
			lists: []clientareav1alpha1.PriceList{eur, deleting(gbp)}, domain: "example.co.uk", event: registration,
			want: Price{List: "eur", Currency: "EUR", TaxRate: 1900, PerYear: 800}},
		{name: "I5: a list being deleted no longer makes a TLD ambiguous",
			lists: []clientareav1alpha1.PriceList{eur, deleting(comAgain)}, domain: "example.com", event: registration,
			want: Price{List: "eur", Currency: "EUR", TaxRate: 1900, PerYear: 1200}},
		{name: "I5: two lists for the longest TLD hold the event, the lists named sorted",
			lists: []clientareav1alpha1.PriceList{eur, comAgain, comThird}, domain: "example.com", event: registration,
			reason: clientareav1alpha1.BillingHoldPriceAmbiguous, msg: "PriceLists a-com, b-com, eur all price .com; keep one"},
		{name: "I5: a TLD that no list prices holds the event",
			lists: []clientareav1alpha1.PriceList{eur, gbp}, domain: "example.org", event: registration,
			reason: clientareav1alpha1.BillingHoldPriceMissing, msg: "no PriceList has a price for example.org; the invoice is issued once one does"},
		{name: "I5: only a list being deleted prices it: missing",
			lists: []clientareav1alpha1.PriceList{deleting(eur)}, domain: "example.de", event: registration,
			reason: clientareav1alpha1.BillingHoldPriceMissing, msg: "no PriceList has a price for example.de; the invoice is issued once one does"},
		{name: "I5: no lists at all: missing",
			domain: "example.de", event: renewal,
			reason: clientareav1alpha1.BillingHoldPriceMissing, msg: "no PriceList has a price for example.de; the invoice is issued once one does"},
		{name: "I5: a name with one label has no TLD to price, not even its own",
			lists: []clientareav1alpha1.PriceList{eur}, domain: "de", event: registration,
			reason: clientareav1alpha1.BillingHoldPriceMissing, msg: "no PriceList has a price for de; the invoice is issued once one does"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PriceFor(tt.lists, tt.domain, tt.event)
			if tt.reason != "" {
				wantHold(t, err, tt.reason, tt.msg)
				return
			}
			if err != nil {
				t.Fatalf("PriceFor: %v", err)
			}
			if got != tt.want {
				t.Fatalf("PriceFor = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTLDsPricedElsewhere(t *testing.T) {
	eur := priceList("eur", "EUR", 1900, map[string]clientareav1alpha1.AmountMinor{"de": 1000, "com": 1200, "uk": 800})
	usd := priceList("usd", "USD", 0, map[string]clientareav1alpha1.AmountMinor{"com": 900})
	gbp := priceList("gbp", "GBP", 2000, map[string]clientareav1alpha1.AmountMinor{"co.uk": 500, "de": 700})
	tests := []struct {
		name string
		list clientareav1alpha1.PriceList
		all  []clientareav1alpha1.PriceList
		want []string
	}{
		{"I5: every TLD another list prices, sorted", eur, []clientareav1alpha1.PriceList{eur, usd, gbp},
			[]string{".com (PriceList usd)", ".de (PriceList gbp)"}},
		{"I5: co.uk and uk are different TLDs", gbp, []clientareav1alpha1.PriceList{eur, gbp},
			[]string{".de (PriceList eur)"}},
		{"I5: a list being deleted clashes with nothing", eur, []clientareav1alpha1.PriceList{eur, deleting(usd), deleting(gbp)}, nil},
		{"I5: a list alone clashes with nothing, not with itself", usd, []clientareav1alpha1.PriceList{usd}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TLDsPricedElsewhere(&tt.list, tt.all); !slices.Equal(got, tt.want) {
				t.Fatalf("TLDsPricedElsewhere = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTax(t *testing.T) {
	tests := []struct {
		name string
		net  clientareav1alpha1.AmountMinor
		rate clientareav1alpha1.BasisPoints
		want clientareav1alpha1.AmountMinor
	}{
		{"I3: exact, 19 % of 10.00 is 1.90", 1000, 1900, 190},
		{"I3: half a cent rounds up: 19 % of 0.50 is 0.095", 50, 1900, 10},
		{"I3: half a cent rounds up: 50 % of 0.01", 1, 5000, 1},
		{"I3: just below half a cent rounds down", 1, 4999, 0},
		{"I3: just above half a cent rounds up", 1, 5001, 1},
		{"I3: below half rounds down: 19 % of 0.49 is 0.0931", 49, 1900, 9},
		{"I3: above half rounds up: 19 % of 19.99 is 3.7981", 1999, 1900, 380},
		{"I3: 7 % of 0.15 is 0.0105: rounds down", 15, 700, 1},
		{"I3: nothing net, no tax", 0, 1900, 0},
		{"I3: a zero rate, no tax", 123456, 0, 0},
		{"I3: a 100 % rate doubles the total", 123456, 10000, 123456},
		{"I3: the largest price for 10 years does not overflow", 10 * 100_000_000_000, 10000, 10 * 100_000_000_000},
		{"I3: a big amount rounds half up too", 100_000_000_005, 1000, 10_000_000_001},
		{"I3: a big amount below half rounds down", 100_000_000_004, 1000, 10_000_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tax(tt.net, tt.rate); got != tt.want {
				t.Fatalf("Tax(%d, %d) = %d, want %d", tt.net, tt.rate, got, tt.want)
			}
		})
	}
}
