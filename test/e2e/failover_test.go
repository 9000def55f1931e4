package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/fixtures"
)

const (
	batchAccounts = 100
	// killAfterInvoices is how far into the batch the leader is killed.
	killAfterInvoices = 30
)

// failover creates a batch of accounts, each with a holder Contact and a
// Domain, kills the leading manager (SIGKILL: no lease release, no clean
// shutdown) while it works on them, and checks that the other manager
// takes over and finishes the batch without a duplicate or missing invoice.
func failover() {
	started := time.Now()
	owner := &clientareav1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: "reseller"}, Spec: clientareav1alpha1.UserSpec{Email: "reseller@example.com"}}
	Expect(admin.Create(ctx, owner)).To(Succeed())

	var wg sync.WaitGroup
	for i := range batchAccounts {
		wg.Go(func() {
			defer GinkgoRecover()
			createBatchAccount(i)
		})
	}

	leader := cluster.leader()
	Expect(leader).NotTo(BeNil())
	holder := leaseHolder()
	Eventually(batchInvoices).WithTimeout(5 * time.Minute).WithPolling(50 * time.Millisecond).
		Should(BeNumerically(">=", killAfterInvoices))
	killed := time.Now()
	leader.Kill()
	invoicesAtKill := batchInvoices()
	Eventually(leaseHolder).WithTimeout(2 * time.Minute).WithPolling(100 * time.Millisecond).ShouldNot(Equal(holder))
	takeover := time.Since(killed)
	Eventually(cluster.leader).ShouldNot(BeNil())

	wg.Wait()
	Eventually(invoicedBatchDomains).WithTimeout(10 * time.Minute).WithPolling(time.Second).Should(Equal(batchAccounts))
	converged := time.Since(started)

	By("every batch domain has exactly one invoice, and the year's series has no gap and no duplicate")
	invoices := &clientareav1alpha1.InvoiceList{}
	Expect(admin.List(ctx, invoices)).To(Succeed())
	perDomain := map[string]int{}
	var numbers []int64
	series := fmt.Sprintf("INV-%d-", time.Now().UTC().Year())
	for _, invoice := range invoices.Items {
		perDomain[invoice.Namespace+"/"+string(invoice.Spec.Event.Domain)]++
		Expect(invoice.Spec.Number).To(HavePrefix(series))
		numbers = append(numbers, invoice.Spec.Sequence)
	}
	for i := range batchAccounts {
		Expect(perDomain[batchNamespace(i)+"/"+batchDomain(i)]).To(Equal(1), "invoices of %s", batchDomain(i))
	}
	slices.Sort(numbers)
	for i, number := range numbers {
		Expect(number).To(Equal(int64(i+1)), "numbers 1 to %d without gap or duplicate", len(numbers))
	}
	claims := &clientareav1alpha1.NumberClaimList{}
	Expect(admin.List(ctx, claims, client.MatchingLabels{clientareav1alpha1.SequenceLabel: "invoice"})).To(Succeed())
	Expect(claims.Items).To(HaveLen(len(numbers)), "no number reserved without its invoice")

	accounts := &clientareav1alpha1.AccountList{}
	Expect(admin.List(ctx, accounts)).To(Succeed())
	for _, account := range accounts.Items {
		Expect(meta.IsStatusConditionTrue(account.Status.Conditions, clientareav1alpha1.ConditionReady)).To(BeTrue(), "account %s is Ready", account.Name)
	}

	report := fmt.Sprintf("leader killed after %d of %d invoices; takeover (lease held by the other manager) %s after the kill; batch of %d accounts converged in %s",
		invoicesAtKill, batchAccounts, takeover.Round(100*time.Millisecond), batchAccounts, converged.Round(time.Second))
	AddReportEntry("failover", report)
	GinkgoWriter.Println("e2e: " + report)
}

func batchName(i int) string      { return fmt.Sprintf("batch-%03d", i) }
func batchNamespace(i int) string { return "account-" + batchName(i) }
func batchDomain(i int) string    { return batchName(i) + ".de" }

// createBatchAccount creates one account of the batch and, once its
// namespace is there, a holder Contact and a Domain in it.
func createBatchAccount(i int) {
	account := fixtures.Account()
	account.GenerateName, account.Name = "", batchName(i)
	account.Spec.Owner = "reseller"
	account.Spec.BillingContactRef = nil
	Expect(admin.Create(ctx, account)).To(Succeed())
	Eventually(func() string {
		_ = admin.Get(ctx, client.ObjectKeyFromObject(account), account)
		return account.Status.Namespace
	}).WithTimeout(5 * time.Minute).Should(Equal(batchNamespace(i)))

	holder := fixtures.Contact(batchNamespace(i))
	holder.GenerateName, holder.Name = "", "holder"
	Expect(admin.Create(ctx, holder)).To(Succeed())
	domain := fixtures.Domain(batchNamespace(i))
	domain.GenerateName, domain.Name = "", batchDomain(i)
	domain.Spec.DomainName = ""
	domain.Spec.HolderRef.Name = "holder"
	domain.Spec.PeriodYears = 1
	Expect(admin.Create(ctx, domain)).To(Succeed())
}

// batchInvoices counts the invoices issued in the batch's namespaces.
func batchInvoices() int {
	invoices := &clientareav1alpha1.InvoiceList{}
	if err := admin.List(ctx, invoices); err != nil {
		return 0
	}
	count := 0
	for _, invoice := range invoices.Items {
		if strings.HasPrefix(invoice.Namespace, "account-batch-") {
			count++
		}
	}
	return count
}

// invoicedBatchDomains counts the batch's Domains whose every billable event
// is invoiced.
func invoicedBatchDomains() int {
	count := 0
	for i := range batchAccounts {
		domain := &clientareav1alpha1.Domain{}
		if err := admin.Get(ctx, client.ObjectKey{Namespace: batchNamespace(i), Name: batchDomain(i)}, domain); err != nil {
			continue
		}
		if meta.IsStatusConditionTrue(domain.Status.Conditions, string(clientareav1alpha1.DomainConditionInvoiced)) {
			count++
		}
	}
	return count
}

// leaseHolder is the identity that holds the leader election lease.
func leaseHolder() string {
	lease := &coordinationv1.Lease{}
	if err := admin.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: leaseName}, lease); err != nil || lease.Spec.HolderIdentity == nil {
		return ""
	}
	return *lease.Spec.HolderIdentity
}
