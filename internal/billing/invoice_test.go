package billing

import (
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

const uid = types.UID("0f8a7c4e-2b1d-4c3a-9e5f-6a7b8c9d0e1f")

func TestEventKey(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		event clientareav1alpha1.BillableEventType
		start time.Time
		want  string
	}{
		{"I1: a registration", registration, start, string(uid) + "-reg-1772366400"},
		{"I1: a renewal of the same start is another event", renewal, start, string(uid) + "-ren-1772366400"},
		{"I1: the same instant in another zone is the same event", registration, start.In(time.FixedZone("CET", 3600)), string(uid) + "-reg-1772366400"},
		{"I1: the last second of year 9999 still fits a label value", renewal, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), string(uid) + "-ren-253402300799"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EventKey(uid, tt.event, tt.start)
			if got != tt.want {
				t.Fatalf("EventKey = %q, want %q", got, tt.want)
			}
			if len(got) > 63 {
				t.Fatalf("EventKey %q has %d characters, more than a label value may", got, len(got))
			}
		})
	}
}

func TestInvoiceNumber(t *testing.T) {
	tests := []struct {
		name       string
		reservedAt time.Time
		number     int64
		want       string
	}{
		{"I2: the first number of a year", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 1, "INV-2026-000001"},
		{"I2: six digits, zero padded", time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), 4711, "INV-2026-004711"},
		{"I2: more than six digits are not cut", time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), 1234567, "INV-2027-1234567"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := InvoiceNumber(tt.reservedAt, tt.number); got != tt.want {
				t.Fatalf("InvoiceNumber = %q, want %q", got, tt.want)
			}
			n := Number{Sequence: tt.number, ReservedAt: metav1.NewTime(tt.reservedAt)}
			if n.String() != tt.want {
				t.Fatalf("Number.String = %q, want %q", n.String(), tt.want)
			}
		})
	}
}

func TestNewInvoice(t *testing.T) {
	start := metav1.NewTime(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	reserved := metav1.NewTime(time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC))
	domain := &clientareav1alpha1.Domain{
		ObjectMeta: metav1.ObjectMeta{Name: "example-de", Namespace: "ca-customer", UID: uid},
		Status:     clientareav1alpha1.DomainStatus{DomainName: "example.de"},
	}
	billTo := clientareav1alpha1.InvoiceRecipient{ContactDetails: details("accounts"), Source: "contact/agency/accounts"}
	price := Price{List: "eur", Currency: "EUR", TaxRate: 1900, PerYear: 1999}
	period := func(event clientareav1alpha1.BillableEventType, years int32) clientareav1alpha1.BillingPeriod {
		return clientareav1alpha1.BillingPeriod{Type: event, PeriodStart: start, PeriodEnd: metav1.NewTime(start.AddDate(int(years), 0, 0)), Years: years}
	}
	tests := []struct {
		name            string
		period          clientareav1alpha1.BillingPeriod
		description     string
		net, tax, total clientareav1alpha1.AmountMinor
	}{
		{"I3: a registration of 1 year", period(registration, 1), "example.de registration, 1 year", 1999, 380, 2379},
		{"I3: a registration of 3 years", period(registration, 3), "example.de registration, 3 years", 5997, 1139, 7136},
		{"I3: a renewal says renewal", period(renewal, 2), "example.de renewal, 2 years", 3998, 760, 4758},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := EventKey(domain.UID, tt.period.Type, tt.period.PeriodStart.Time)
			number := Number{Sequence: 42, ReservedAt: reserved, EventKey: key}
			got := NewInvoice(number, "customer", domain, tt.period, billTo, price)
			want := &clientareav1alpha1.Invoice{
				ObjectMeta: metav1.ObjectMeta{
					Name:      "inv-2026-000042",
					Namespace: "ca-customer",
					Labels: map[string]string{
						"app.kubernetes.io/managed-by": "clientarea-operator",
						"clientarea.dev/account":       "customer",
						"clientarea.dev/holder-key":    key,
					},
				},
				Spec: clientareav1alpha1.InvoiceSpec{
					Number:   "INV-2026-000042",
					Sequence: 42,
					Account:  "customer",
					IssuedAt: reserved,
					BillTo:   billTo,
					Event: clientareav1alpha1.BillableEvent{
						Type: tt.period.Type, Domain: "example-de", DomainName: "example.de",
						PeriodStart: tt.period.PeriodStart, PeriodEnd: tt.period.PeriodEnd, IdempotencyKey: key,
					},
					Currency: "EUR",
					Lines: []clientareav1alpha1.InvoiceLine{{
						Description: tt.description, Quantity: int64(tt.period.Years), UnitPrice: 1999, Amount: tt.net,
					}},
					Net: tt.net, TaxRate: 1900, Tax: tt.tax, Total: tt.total,
				},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("NewInvoice =\n%+v\nwant\n%+v", got, want)
			}
			checkInvoiceRules(t, got)
		})
	}
}

// checkInvoiceRules checks the Invoice CRD's validation rules, so that an
// invoice built here is not refused by the API server (I3).
func checkInvoiceRules(t *testing.T, inv *clientareav1alpha1.Invoice) {
	t.Helper()
	var sum clientareav1alpha1.AmountMinor
	for _, l := range inv.Spec.Lines {
		if l.Amount != clientareav1alpha1.AmountMinor(l.Quantity)*l.UnitPrice {
			t.Errorf("line amount %d != %d × %d", l.Amount, l.Quantity, l.UnitPrice)
		}
		sum += l.Amount
	}
	s := inv.Spec
	if s.Net != sum || s.Tax != (s.Net*clientareav1alpha1.AmountMinor(s.TaxRate)+5000)/10000 || s.Total != s.Net+s.Tax {
		t.Errorf("amounts break the CRD rules: net %d, tax %d, total %d", s.Net, s.Tax, s.Total)
	}
	if !s.Event.PeriodEnd.After(s.Event.PeriodStart.Time) {
		t.Errorf("periodEnd is not after periodStart")
	}
}
