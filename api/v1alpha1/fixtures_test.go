package v1alpha1_test

import (
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/fixtures"
)

// testNamespace holds the namespaced objects of the validation tests.
const testNamespace = "validation"

// The valid objects that each table entry changes in one way.
var (
	validUser       = fixtures.User
	validAccount    = fixtures.Account
	validTransfer   = fixtures.Transfer
	validPriceList  = fixtures.PriceList
	validMembership = func() *clientareav1alpha1.Membership { return fixtures.Membership(testNamespace) }
	validContact    = func() *clientareav1alpha1.Contact { return fixtures.Contact(testNamespace) }
	validDomain     = func() *clientareav1alpha1.Domain { return fixtures.Domain(testNamespace) }
	validInvoice    = func() *clientareav1alpha1.Invoice { return fixtures.Invoice(testNamespace) }
)

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
