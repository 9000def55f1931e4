package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// The benchmark of issue 16: the account overview and the invoice list for
// a customer in 20 accounts with 200 invoices each, against a real API
// server, with p50 and p99 per page; beside each page, the same API reads
// as the same customer through the same client, without the page, for
// comparison (what the API server takes, seen from the front end).
//
//	KUBEBUILDER_ASSETS=$PWD/bin/k8s/1.37.2 go test -run '^$' -bench . -benchtime 300x ./internal/web/
const (
	benchAccounts = 20
	benchInvoices = 200
)

type benchFixture struct {
	s        *Server
	browser  *browser
	sess     *session
	accounts []accountInfo
}

var (
	benchOnce  sync.Once
	benchSetup *benchFixture
)

// fixture makes the customer and their accounts and invoices, once.
func fixture(b *testing.B) *benchFixture {
	b.Helper()
	c := needCluster(b)
	benchOnce.Do(func() {
		s, _ := c.server(b)
		user, address := c.newCustomer(b, "bench")
		names := make([]string, 0, benchAccounts)
		for i := range benchAccounts {
			name, ns := c.newAccount(b, user, fmt.Sprintf("Bench account %02d", i))
			names = append(names, name)
			createInvoices(b, c.admin, name, ns)
		}
		c.waitForAccounts(b, user, names...)
		f := &benchFixture{s: s, browser: signedIn(b, s, address)}
		f.sess = &session{Address: address, UserName: user}
		accounts, err := s.accounts(context.Background(), f.sess)
		if err != nil {
			b.Fatal(err)
		}
		f.accounts = accounts
		benchSetup = f
	})
	if benchSetup == nil {
		b.Fatal("the benchmark's fixture failed")
	}
	return benchSetup
}

// createInvoices issues the account's invoices as an administrator (break
// glass: only the operator issues invoices, for billable events), 8 at once.
func createInvoices(b *testing.B, admin client.Client, account, namespace string) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, benchInvoices)
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				errs <- admin.Create(context.Background(), benchInvoice(account, namespace, i))
			}
		})
	}
	for i := 1; i <= benchInvoices; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

func benchInvoice(account, namespace string, i int) *clientareav1alpha1.Invoice {
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
	domain := fmt.Sprintf("d%d-%s.de", i, account)
	return &clientareav1alpha1.Invoice{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("inv-%04d", i), Namespace: namespace},
		Spec: clientareav1alpha1.InvoiceSpec{
			Number: fmt.Sprintf("INV-%s-%04d", strings.ToUpper(account), i), Sequence: int64(i), Account: clientareav1alpha1.ObjectName(account),
			IssuedAt: metav1.Time{Time: issued},
			BillTo: clientareav1alpha1.InvoiceRecipient{Source: "account/" + account, ContactDetails: clientareav1alpha1.ContactDetails{
				Name: "Erika Mustermann", Organisation: "Bench GmbH", Street: []string{"Hauptstraße 1"}, City: "Berlin",
				PostalCode: "10115", CountryCode: "DE", Email: "billing@bench.example",
			}},
			Event: clientareav1alpha1.BillableEvent{
				Type: clientareav1alpha1.EventDomainRegistration, Domain: clientareav1alpha1.ObjectName(domain),
				DomainName: clientareav1alpha1.DomainName(domain), PeriodStart: metav1.Time{Time: issued},
				PeriodEnd: metav1.Time{Time: issued.AddDate(1, 0, 0)}, IdempotencyKey: domain,
			},
			Currency: "EUR",
			Lines:    []clientareav1alpha1.InvoiceLine{{Description: domain + " registration, 1 year", Quantity: 1, UnitPrice: 690, Amount: 690}},
			Net:      690, TaxRate: 1900, Tax: 131, Total: 821,
		},
	}
}

// measure runs op b.N times, over the accounts in turn, and reports the
// median and 99th percentile of its latency.
func measure(b *testing.B, op func(account accountInfo)) {
	f := benchSetup
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		op(f.accounts[i%len(f.accounts)])
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durations)
	percentile := func(p float64) float64 {
		return float64(durations[int(p*float64(len(durations)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(percentile(0.50), "p50-ms")
	b.ReportMetric(percentile(0.99), "p99-ms")
}

// getPage requests an account page as the signed-in customer.
func getPage(b *testing.B, f *benchFixture, path string) {
	if w := f.browser.get(path); w.Code != http.StatusOK {
		b.Fatalf("GET %s: %d", path, w.Code)
	}
}

// BenchmarkAccountOverview: the overview page, and its API reads alone: the
// customer's User (status.accounts), then the access reviews of the navigation
// at once.
func BenchmarkAccountOverview(b *testing.B) {
	f := fixture(b)
	b.Run("page", func(b *testing.B) {
		measure(b, func(a accountInfo) { getPage(b, f, "/a/"+a.Name+"/") })
	})
	b.Run("api", func(b *testing.B) {
		measure(b, func(a accountInfo) {
			ctx := WithUser(context.Background(), f.sess.Address)
			if _, err := f.s.accounts(ctx, f.sess); err != nil {
				b.Fatal(err)
			}
			access := newAccess(ctx, f.s.kube, a.Name, a.Namespace)
			access.start(navChecks...)
			if !access.navigation().Invoices {
				b.Fatal("the owner may not list invoices")
			}
		})
	})
}

// BenchmarkInvoiceList: the invoice list page (200 invoices), and its API
// reads alone: the User, then the list of invoices beside the access
// reviews; and the list of 200 invoices on its own.
func BenchmarkInvoiceList(b *testing.B) {
	f := fixture(b)
	b.Run("page", func(b *testing.B) {
		measure(b, func(a accountInfo) { getPage(b, f, "/a/"+a.Name+"/invoices") })
	})
	list := func(ctx context.Context, a accountInfo) {
		invoices := &clientareav1alpha1.InvoiceList{}
		if err := f.s.kube.List(ctx, invoices, client.InNamespace(a.Namespace)); err != nil || len(invoices.Items) != benchInvoices {
			b.Fatalf("%d invoices, %v", len(invoices.Items), err)
		}
	}
	b.Run("api", func(b *testing.B) {
		measure(b, func(a accountInfo) {
			ctx := WithUser(context.Background(), f.sess.Address)
			if _, err := f.s.accounts(ctx, f.sess); err != nil {
				b.Fatal(err)
			}
			access := newAccess(ctx, f.s.kube, a.Name, a.Namespace)
			access.start(navChecks...)
			list(ctx, a)
			access.navigation()
		})
	})
	b.Run("api-list-only", func(b *testing.B) {
		measure(b, func(a accountInfo) { list(WithUser(context.Background(), f.sess.Address), a) })
	})
}
