package e2e

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

// The people of the stories (config/samples), by the user names they
// authenticate with: the e-mail addresses of their Users (U1).
const (
	anna    = "anna@werbeagentur-xyz.example" // runs the agency; owns both accounts
	bernd   = "bernd@werbeagentur-xyz.example"
	maxUser = "max@mustermann.example" // the agency's customer, and the domain's holder
	support = "support@provider.example"

	agencyNamespace     = "account-werbeagentur-xyz"
	mustermannNamespace = "account-mustermann"
)

// sample is a file of config/samples, which the stories apply as written.
func sample(name string) string {
	return filepath.Join(testenv.RepoRoot(), "config", "samples", name)
}

// sees tells whether user may list kind in namespace: it asks by listing,
// as the user, and tells a refusal (Forbidden) from any other failure.
func sees(user, namespace, kind string) bool {
	GinkgoHelper()
	out, err := tryKubectl(user, "get", kind, "-n", namespace)
	if err != nil {
		Expect(out).To(ContainSubstring("Forbidden"), "kubectl get %s -n %s as %s", kind, namespace, user)
		return false
	}
	return true
}

// jsonpath reads one field with kubectl as the administrator.
func jsonpath(path string, args ...string) func() string {
	return func() string {
		out, _ := tryKubectl("", append([]string{"get", "-o", "jsonpath=" + path}, args...)...)
		return strings.TrimSpace(out)
	}
}

var _ = Describe("clientarea-operator in a cluster", Ordered, func() {
	var storyStarted time.Time
	BeforeAll(func() { storyStarted = time.Now() })

	Context("the stories of the source documents, played with kubectl", func() {
		It("U1, A1, A2, A3, A5, A6: a new customer's order creates the User, then the Account; the owner sees the account and nobody else does", func() {
			kubectl("", "apply", "-f", sample("01_pricelist.yaml"))
			kubectl("", "apply", "-f", sample("02_users.yaml"))
			kubectl("", "apply", "-f", sample("03_accounts.yaml"))
			kubectl("", "wait", "--for=condition=Ready", "account/werbeagentur-xyz", "--timeout=60s")
			kubectl("", "wait", "--for=condition=NamespaceReady", "account/mustermann", "--timeout=60s")

			Eventually(func() bool { return sees(anna, agencyNamespace, "contacts") }).Should(BeTrue())
			Eventually(func() bool { return sees(anna, mustermannNamespace, "domains") }).Should(BeTrue())
			Expect(sees(bernd, agencyNamespace, "contacts")).To(BeFalse(), "A5: not invited yet")
			Expect(sees(maxUser, mustermannNamespace, "domains")).To(BeFalse(), "A5: the customer is not the owner")
			Expect(jsonpath("{.status.customerNumber}", "account/werbeagentur-xyz")()).To(MatchRegexp(`^[0-9]+$`))
			Eventually(jsonpath(`{.status.accounts[*].account}`, "user/anna")).Should(Equal("mustermann werbeagentur-xyz"), "U2")
		})

		It("C1, A7: the owner adds the agency's billing contact and the customer's holder contact, and the customer account bills to the agency", func() {
			kubectl(anna, "apply", "-f", sample("04_contacts.yaml"))
			kubectl("", "wait", "--for=condition=Ready", "account/mustermann", "--timeout=60s")
			Expect(jsonpath(`{.status.conditions[?(@.type=="BillingContactResolved")].reason}`, "account/mustermann")()).To(Equal("BillingContactFound"))
		})

		It("M1, M2, M3: the owner invites a bookkeeper who sees invoices only", func() {
			kubectl(anna, "apply", "-f", sample("05_memberships.yaml"))
			kubectl("", "wait", "--for=condition=Ready", "membership/bernd", "-n", agencyNamespace, "--timeout=60s")
			Eventually(func() bool { return sees(bernd, agencyNamespace, "invoices") }).Should(BeTrue())
			Expect(sees(bernd, agencyNamespace, "domains")).To(BeFalse())
			Expect(sees(bernd, agencyNamespace, "contacts")).To(BeFalse())
			Expect(sees(bernd, mustermannNamespace, "invoices")).To(BeFalse(), "A5: invited to one account only")
			out, err := tryKubectl(bernd, "delete", "membership", "bernd", "-n", agencyNamespace, "--dry-run=server")
			Expect(err).To(HaveOccurred(), "M3: a member cannot change memberships")
			Expect(out).To(ContainSubstring("Forbidden"))
		})

		It("D3, D5, I1, I3, I4: the agency registers its customer's domain; the customer holds it, the agency gets the invoice", func() {
			kubectl(anna, "apply", "-f", sample("06_domains.yaml"))
			kubectl("", "wait", "--for=condition=Ready", "domain/mustermann.de", "-n", mustermannNamespace, "--timeout=60s")
			kubectl("", "wait", "--for=condition=Invoiced", "domain/mustermann.de", "-n", mustermannNamespace, "--timeout=60s")

			invoices := &clientareav1alpha1.InvoiceList{}
			Expect(json.Unmarshal([]byte(kubectl(anna, "get", "invoices", "-n", mustermannNamespace, "-o", "json")), invoices)).To(Succeed())
			Expect(invoices.Items).To(HaveLen(1))
			invoice := invoices.Items[0]
			Expect(invoice.Spec.Number).To(Equal(fmt.Sprintf("INV-%d-000001", time.Now().UTC().Year())))
			Expect(invoice.Spec.BillTo.Organisation).To(Equal("Werbeagentur XYZ GmbH"), "D3: the agency pays, not the holder")
			Expect(invoice.Spec.BillTo.Source).To(Equal("contact/werbeagentur-xyz/agency-billing"))
			Expect(invoice.Spec.Total).To(Equal(clientareav1alpha1.AmountMinor(690 + 131)))
			Expect(kubectl(anna, "get", "invoices", "-n", mustermannNamespace)).To(ContainSubstring(invoice.Spec.Number), "printer columns")

			By("nobody in the account changes or deletes an invoice, nor does a platform engineer bound to cluster-admin (I3, I6, A8)")
			out, err := tryKubectl(anna, "delete", "invoice", invoice.Name, "-n", mustermannNamespace)
			Expect(err).To(HaveOccurred())
			Expect(out).To(ContainSubstring("Forbidden"))
			kubectl("", "create", "clusterrolebinding", "e2e-platform", "--clusterrole=cluster-admin", "--user=platform@provider.example")
			out, err = tryKubectl("platform@provider.example", "delete", "invoice", invoice.Name, "-n", mustermannNamespace, "--dry-run=server")
			Expect(err).To(HaveOccurred())
			Expect(out).To(ContainSubstring("never deleted"))

			By("the customer sees nothing of the account; the domain login administers the one domain only (D5)")
			Expect(sees(maxUser, mustermannNamespace, "domains")).To(BeFalse())
			login := "system:serviceaccount:" + mustermannNamespace + ":domain-login-mustermann.de"
			Expect(kubectl(login, "get", "domain", "mustermann.de", "-n", mustermannNamespace)).To(ContainSubstring("mustermann.de"))
			Expect(sees(login, mustermannNamespace, "invoices")).To(BeFalse())
			Expect(sees(login, mustermannNamespace, "memberships")).To(BeFalse())
		})

		It("T1, T2, T3, T4, A7: support hands the customer's account to the customer; the agency stays a member and can no longer be billed", func() {
			out, err := tryKubectl(anna, "create", "-f", sample("support/ownershiptransfer.yaml"))
			Expect(err).To(HaveOccurred(), "T2: an owner cannot transfer")
			Expect(out).To(ContainSubstring("Forbidden"))

			kubectl("", "create", "clusterrolebinding", "e2e-support", "--clusterrole=clientarea-support", "--user="+support)
			Eventually(func() error {
				_, err := tryKubectl(support, "apply", "-f", sample("support/ownershiptransfer.yaml"))
				return err
			}).Should(Succeed())
			kubectl("", "wait", "--for=jsonpath={.status.phase}=Completed", "ownershiptransfer/mustermann-to-max", "--timeout=60s")

			Eventually(func() bool { return sees(maxUser, mustermannNamespace, "domains") }).Should(BeTrue(), "the new owner")
			Expect(sees(anna, mustermannNamespace, "domains")).To(BeTrue(), "kept as a member with All")
			Eventually(jsonpath(`{.status.conditions[?(@.type=="BillingContactResolved")].reason}`, "account/mustermann")).
				Should(Equal("BillingContactNotAllowed"))
			Expect(kubectl("", "get", "events", "-A", "--field-selector", "involvedObject.name=mustermann,reason=Transferred")).
				To(ContainSubstring("ownership moved from anna to max"), "T4: the Account gets an event")
		})

		It("A8: deleting an account revokes all access at once, and the namespace goes with it (kube-controller-manager)", func() {
			kubectl("", "patch", "account", "mustermann", "--type=json", "-p", `[{"op":"remove","path":"/spec/billingContactRef"}]`)
			kubectl("", "wait", "--for=condition=Ready", "account/mustermann", "--timeout=60s")

			kubectl("", "delete", "account", "werbeagentur-xyz", "--wait=false")
			Eventually(func() bool { return sees(anna, agencyNamespace, "contacts") }).Should(BeFalse())
			Expect(sees(bernd, agencyNamespace, "invoices")).To(BeFalse())
			Eventually(func() string {
				out, _ := tryKubectl("", "get", "namespace", agencyNamespace)
				return out
			}).Should(ContainSubstring("NotFound"), "the garbage collector and the namespace controller remove it")
			Eventually(jsonpath(`{.status.accounts[*].account}`, "user/anna")).Should(Equal("mustermann"))
		})

		It("A8, I3: an account with an active domain waits for it; its issued invoice is kept in the archived namespace", func() {
			kubectl("", "delete", "account", "mustermann", "--wait=false")
			Eventually(jsonpath(`{.status.conditions[?(@.type=="Deleting")].reason}`, "account/mustermann")).Should(Equal("ActiveDomains"))
			Eventually(func() bool { return sees(maxUser, mustermannNamespace, "domains") }).Should(BeFalse(), "access is revoked at once")

			kubectl("", "delete", "domain", "mustermann.de", "-n", mustermannNamespace)
			Eventually(func() string {
				out, _ := tryKubectl("", "get", "account", "mustermann")
				return out
			}).Should(ContainSubstring("NotFound"))
			Expect(jsonpath(`{.metadata.labels.clientarea\.dev/archived}`, "namespace", mustermannNamespace)()).To(Equal("true"))
			Expect(kubectl("", "get", "invoices", "-n", mustermannNamespace, "-o", "name")).To(ContainSubstring("inv-"))
			AddReportEntry("e2e story duration", time.Since(storyStarted).Round(time.Second).String())
			GinkgoWriter.Printf("e2e: the stories took %s\n", time.Since(storyStarted).Round(time.Second))
		})
	})

	Context("observability", func() {
		It("the leader serves the product's metrics to an authorised scraper, and refuses others", func() {
			kubectl("", "create", "serviceaccount", "scraper", "-n", operatorNamespace)
			kubectl("", "create", "clusterrolebinding", "e2e-scraper", "--clusterrole=clientarea-metrics-reader",
				"--serviceaccount="+operatorNamespace+":scraper")
			token := strings.TrimSpace(kubectl("", "create", "token", "scraper", "-n", operatorNamespace))
			leader := cluster.leader()
			Expect(leader).NotTo(BeNil())
			url := "https://" + cluster.metrics[leader.Name] + "/metrics"

			Eventually(func(g Gomega) string {
				code, body := scrape(url, token)
				g.Expect(code).To(Equal(http.StatusOK))
				return body
			}).Should(SatisfyAll(
				ContainSubstring(`clientarea_invoices_issued_total{currency="EUR"} 1`),
				ContainSubstring(`clientarea_ownership_transfers_total{result="completed"} 1`),
				ContainSubstring(`controller_runtime_reconcile_total{controller="account"`),
			))
			kubectl("", "create", "serviceaccount", "stranger", "-n", operatorNamespace)
			strangerToken := strings.TrimSpace(kubectl("", "create", "token", "stranger", "-n", operatorNamespace))
			code, _ := scrape(url, strangerToken)
			Expect(code).To(Equal(http.StatusForbidden), "a ServiceAccount not bound to clientarea-metrics-reader")
		})
	})

	Context("failover", func() {
		It("I1, I2: the leader is killed in the middle of 100 accounts; the other manager takes over, and every domain has exactly one invoice, numbered without gap", func() {
			failover()
		})
	})

	Context("the operator's own privilege", func() {
		It("G3: running as its ServiceAccount with only the shipped roles, the operator was never refused a request", func() {
			requests := operatorRequests()
			Expect(len(requests)).To(BeNumerically(">", 1000), "the audit log holds the operator's requests")
			var refused []string
			for _, r := range requests {
				if r.ResponseStatus.Code == http.StatusForbidden {
					refused = append(refused, fmt.Sprintf("%s %s: %s", r.Verb, r.RequestURI, r.ResponseStatus.Message))
				}
			}
			GinkgoWriter.Printf("e2e: the operator made %d requests, %d refused\n", len(requests), len(refused))
			Expect(refused).To(BeEmpty())
		})

		It("G3: the operator can read no Secret, and write one only in an account namespace", func() {
			operator := "system:serviceaccount:" + operatorNamespace + ":" + operatorAccount
			can := func(args ...string) string {
				out, _ := tryKubectl("", append([]string{"auth", "can-i", "--as", operator}, args...)...)
				return strings.TrimSpace(out)
			}
			Expect(can("list", "secrets", "-A")).To(Equal("no"))
			for _, namespace := range []string{"kube-system", "default", operatorNamespace} {
				Expect(can("get", "secrets", "-n", namespace)).To(Equal("no"), namespace)
				Expect(can("create", "secrets", "-n", namespace)).To(Equal("no"), namespace)
			}
			Expect(can("create", "secrets", "-n", "account-batch-000")).To(Equal("yes"))
			Expect(can("get", "secrets", "-n", "account-batch-000")).To(Equal("no"))
		})
	})
})

// scrape gets the metrics with a bearer token; the manager's certificate is
// self-signed.
func scrape(url, token string) (int, string) {
	GinkgoHelper()
	request, err := http.NewRequest(http.MethodGet, url, nil)
	Expect(err).NotTo(HaveOccurred())
	request.Header.Set("Authorization", "Bearer "+token)
	httpClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the manager's self-signed serving certificate
	}}
	response, err := httpClient.Do(request)
	if err != nil {
		return 0, err.Error()
	}
	defer response.Body.Close()
	body, _ := io.ReadAll(response.Body)
	return response.StatusCode, string(body)
}
