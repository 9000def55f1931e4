package v1alpha1_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// changeAfterCreate creates a valid object, then applies change to it and
// returns the result of the update.
func changeAfterCreate[T client.Object](valid func() T, change func(T)) error {
	GinkgoHelper()
	obj := valid()
	Expect(k8sClient.Create(ctx, obj)).To(Succeed())
	DeferCleanup(func() { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, obj))).To(Succeed()) })
	change(obj)
	return k8sClient.Update(ctx, obj)
}

var _ = Describe("Immutability at admission (G2)", func() {
	DescribeTable("refuses changes to what must not change, naming the field",
		func(update func() error, field, message string) {
			expectInvalid(update(), field, message)
		},
		Entry("I3: an issued invoice's total", func() error {
			return changeAfterCreate(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Total, i.Spec.Tax = 1380, 0 })
		}, "spec", "an issued invoice never changes"),
		Entry("I3: an issued invoice's number", func() error {
			return changeAfterCreate(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.Number = "INV-2026-000002" })
		}, "spec", "an issued invoice never changes"),
		Entry("I4: an issued invoice's recipient", func() error {
			return changeAfterCreate(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Spec.BillTo.City = "Berlin" })
		}, "spec", "an issued invoice never changes"),
		Entry("T3: a transfer's new owner", func() error {
			return changeAfterCreate(validTransfer, func(t *clientareav1alpha1.OwnershipTransfer) { t.Spec.NewOwner = "carla" })
		}, "spec", "create a new OwnershipTransfer"),
		Entry("T3: a transfer's previous-owner policy", func() error {
			return changeAfterCreate(validTransfer, func(t *clientareav1alpha1.OwnershipTransfer) {
				t.Spec.PreviousOwner = clientareav1alpha1.PreviousOwnerRemove
			})
		}, "spec", "create a new OwnershipTransfer"),
		Entry("D1: a domain's name", func() error {
			return changeAfterCreate(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "musterfrau.de" })
		}, "spec.domainName", "a domain cannot be renamed"),
		Entry("D1: a domain's name, removed", func() error {
			return changeAfterCreate(validDomain, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "" })
		}, "spec.domainName", "a domain cannot be renamed"),
		Entry("R4: a domain's transfer in (how it came)", func() error {
			return changeAfterCreate(validDomain, func(d *clientareav1alpha1.Domain) {
				d.Spec.TransferIn = &clientareav1alpha1.DomainTransferIn{AuthCode: "another-code"}
			})
		}, "spec.transferIn", "spec.transferIn is immutable"),
		Entry("R4: a domain's transfer code generation, lowered", func() error {
			withCode := func() *clientareav1alpha1.Domain {
				d := validDomain()
				d.Spec.TransferCodeGeneration = 2
				return d
			}
			return changeAfterCreate(withCode, func(d *clientareav1alpha1.Domain) {
				d.Spec.TransferCodeGeneration = 1
			})
		}, "spec.transferCodeGeneration", "only increases"),
		Entry("M2: the user of a membership (access must not move silently)", func() error {
			return changeAfterCreate(validMembership, func(m *clientareav1alpha1.Membership) { m.Spec.User = "carla" })
		}, "spec.user", "spec.user is immutable"),
	)

	DescribeTable("allows the changes that are meant to happen",
		func(update func() error) {
			Expect(update()).To(Succeed())
		},
		Entry("I3: labels and annotations of an invoice", func() error {
			return changeAfterCreate(validInvoice, func(i *clientareav1alpha1.Invoice) { i.Labels = map[string]string{"paid": "true"} })
		}),
		Entry("U4: a user's e-mail address", func() error {
			return changeAfterCreate(validUser, func(u *clientareav1alpha1.User) { u.Spec.Email = "anna@new-agency.example" })
		}),
		Entry("M1: a membership's permissions and expiry", func() error {
			return changeAfterCreate(validMembership, func(m *clientareav1alpha1.Membership) {
				m.Spec.Permissions = []clientareav1alpha1.Permission{clientareav1alpha1.PermissionAll}
				m.Spec.ExpiresAt = &metav1.Time{Time: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)}
			})
		}),
		Entry("D1: a domain's holder, period, renewal and name servers", func() error {
			return changeAfterCreate(validDomain, func(d *clientareav1alpha1.Domain) {
				d.Spec.HolderRef.Name = "erika-musterfrau"
				d.Spec.PeriodYears = 3
				d.Spec.AutoRenew = new(false)
				d.Spec.NameServers = append(d.Spec.NameServers, "ns3.example.net")
			})
		}),
		Entry("R4: a domain's registrar lock and a new transfer code", func() error {
			return changeAfterCreate(validDomain, func(d *clientareav1alpha1.Domain) {
				d.Spec.RegistrarLock = new(false)
				d.Spec.TransferCodeGeneration = 1
			})
		}),
		Entry("C2: every field of a contact", func() error {
			return changeAfterCreate(validContact, func(c *clientareav1alpha1.Contact) { c.Spec.City = "Berlin"; c.Spec.Street = nil })
		}),
	)
})
