package v1alpha1_test

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// testNamespace holds the namespaced objects of the validation tests.
const testNamespace = "validation"

// Each valid* function returns an object that the API server accepts; a test
// case changes one thing about it and expects exactly that to be refused.

func validContactDetails() v1.ContactDetails {
	return v1.ContactDetails{
		Name:          "Max Mustermann",
		Organisation:  "Mustermann GmbH",
		Street:        []string{"Musterweg 5"},
		City:          "Köln",
		StateProvince: "Nordrhein-Westfalen",
		PostalCode:    "50667",
		CountryCode:   "DE",
		Email:         "max@mustermann.example",
		Phone:         "+49.2211234567",
		Fax:           "+49.2211234568",
		VATID:         "DE123456789",
	}
}

func validUser() *v1.User {
	return &v1.User{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "user-"},
		Spec:       v1.UserSpec{Email: "anna@werbeagentur-xyz.example", DisplayName: "Anna Schmidt"},
	}
}

func validAccount() *v1.Account {
	return &v1.Account{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "account-"},
		Spec: v1.AccountSpec{
			Owner:             "anna",
			Type:              v1.AccountTypeCompany,
			DisplayName:       "Werbeagentur XYZ GmbH",
			Contact:           validContactDetails(),
			BillingContactRef: &v1.BillingContactReference{Account: "werbeagentur-xyz", Name: "agency-billing"},
		},
	}
}

func validMembership() *v1.Membership {
	return &v1.Membership{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "membership-", Namespace: testNamespace},
		Spec: v1.MembershipSpec{
			User:        "bernd",
			Permissions: []v1.Permission{v1.PermissionInvoices, v1.PermissionDomains},
			ExpiresAt:   &metav1.Time{Time: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		},
	}
}

func validContact() *v1.Contact {
	return &v1.Contact{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "contact-", Namespace: testNamespace},
		Spec:       validContactDetails(),
	}
}

func validDomain() *v1.Domain {
	return &v1.Domain{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "domain-", Namespace: testNamespace},
		Spec: v1.DomainSpec{
			DomainName:  "mustermann.de",
			HolderRef:   v1.LocalObjectReference{Name: "max-mustermann"},
			PeriodYears: 2,
			AutoRenew:   ptr.To(true),
			NameServers: []v1.DomainName{"ns1.example.net", "ns2.example.net"},
		},
	}
}

// validInvoice bills two years of a .de domain at 6.90 EUR with 19 % tax:
// net 1380, tax 262 (262.2 rounded), total 1642.
func validInvoice() *v1.Invoice {
	start := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	recipient := validContactDetails()
	return &v1.Invoice{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "invoice-", Namespace: testNamespace},
		Spec: v1.InvoiceSpec{
			Number:   "INV-2026-000001",
			Sequence: 1,
			Account:  "werbeagentur-xyz",
			IssuedAt: metav1.Time{Time: start},
			BillTo:   v1.InvoiceRecipient{ContactDetails: recipient, Source: "contact/werbeagentur-xyz/agency-billing"},
			Event: v1.BillableEvent{
				Type:           v1.EventDomainRegistration,
				Domain:         "mustermann.de",
				DomainName:     "mustermann.de",
				PeriodStart:    metav1.Time{Time: start},
				PeriodEnd:      metav1.Time{Time: start.AddDate(2, 0, 0)},
				IdempotencyKey: "registration-2f0c8a4e-0000-4000-8000-000000000001-2026-11-23",
			},
			Currency: "EUR",
			Lines:    []v1.InvoiceLine{{Description: "mustermann.de registration, 2 years", Quantity: 2, UnitPrice: 690, Amount: 1380}},
			Net:      1380,
			TaxRate:  1900,
			Tax:      262,
			Total:    1642,
		},
	}
}

func validTransfer() *v1.OwnershipTransfer {
	return &v1.OwnershipTransfer{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "transfer-"},
		Spec: v1.OwnershipTransferSpec{
			Account:       "mustermann",
			NewOwner:      "max",
			RequestedBy:   "anna",
			Ticket:        "SUP-4711",
			PreviousOwner: v1.PreviousOwnerKeepAsMember,
		},
	}
}

func validPriceList() *v1.PriceList {
	return &v1.PriceList{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "prices-"},
		Spec: v1.PriceListSpec{
			Currency: "EUR",
			TaxRate:  1900,
			Domains: []v1.TLDPrice{
				{TLD: "de", RegistrationPerYear: 690, RenewalPerYear: 690},
				{TLD: "co.uk", RegistrationPerYear: 990, RenewalPerYear: 990},
			},
		},
	}
}

// with returns a function that builds a valid object and changes it, so that a
// table entry reads as the one change it makes.
func with[T client.Object](valid func() T, change func(T)) func() client.Object {
	return func() client.Object {
		obj := valid()
		change(obj)
		return obj
	}
}

// named sets a fixed name in place of the generated one.
func named[T client.Object](name string, valid func() T) func() T {
	return func() T {
		obj := valid()
		obj.SetGenerateName("")
		obj.SetName(name)
		return obj
	}
}

// label returns a domain label of n characters.
func label(n int) string { return strings.Repeat("a", n) }
