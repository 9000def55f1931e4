package billing

import (
	"fmt"

	"k8s.io/apimachinery/pkg/types"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// Resolving the invoice recipient (A7) takes up to two reads, the second
// depending on the first, so it is split around them:
//
//	name := BillingAccountName(account)    // which Account to read, if any
//	key, ok := ContactKey(account, holder) // which Contact to read, if any
//	recipient, err := Recipient(account, holder, contact)

// BillingAccountName is the name of the Account that holds the account's
// billing Contact: "" when invoices go to the account's own contact, the
// account's own name when the Contact is in the account itself, or the name
// of another account (the agency that bills its customers' accounts to
// itself).
func BillingAccountName(account *clientareav1alpha1.Account) string {
	ref := account.Spec.BillingContactRef
	switch {
	case ref == nil:
		return ""
	case ref.Account == "":
		return account.Name
	default:
		return string(ref.Account)
	}
}

// ContactKey is where the billing Contact is read, given the Account that
// BillingAccountName names (nil when it does not exist). It is false when
// there is nothing to read: no billingContactRef, or a holder account that
// does not exist or has no namespace yet; Recipient says why.
func ContactKey(account, holder *clientareav1alpha1.Account) (types.NamespacedName, bool) {
	ref := account.Spec.BillingContactRef
	holder = holderOf(account, holder)
	if ref == nil || holder == nil || holder.Status.Namespace == "" {
		return types.NamespacedName{}, false
	}
	return types.NamespacedName{Namespace: holder.Status.Namespace, Name: string(ref.Name)}, true
}

// Recipient is the account's invoice recipient (A7): a copy of the Contact
// that spec.billingContactRef names, or of the account's own contact. holder
// is the Account that BillingAccountName names and contact the Contact at
// ContactKey, each nil when it does not exist. A Contact of another account
// is accepted only when both accounts have the same owner, so that nobody
// bills a stranger. The address is a deep copy, to be written into an
// invoice that never changes (I4). A recipient that cannot be addressed is
// a HoldError.
func Recipient(account, holder *clientareav1alpha1.Account, contact *clientareav1alpha1.Contact) (*clientareav1alpha1.InvoiceRecipient, error) {
	ref := account.Spec.BillingContactRef
	if ref == nil {
		return &clientareav1alpha1.InvoiceRecipient{ContactDetails: *account.Spec.Contact.DeepCopy(), Source: "account/" + account.Name}, nil
	}
	holder = holderOf(account, holder)
	if err := holderAllowed(account, holder); err != nil {
		return nil, err
	}
	if contact == nil {
		return nil, Holdf(clientareav1alpha1.BillingHoldBillingContactNotFound,
			"spec.billingContactRef: Contact %s does not exist in account %s", ref.Name, holder.Name)
	}
	return &clientareav1alpha1.InvoiceRecipient{
		ContactDetails: *contact.Spec.DeepCopy(),
		Source:         fmt.Sprintf("contact/%s/%s", holder.Name, contact.Name),
	}, nil
}

// holderOf is the account itself when the reference names it, whatever the
// caller passed: the account exists, and reading it again could only give
// an older copy.
func holderOf(account, holder *clientareav1alpha1.Account) *clientareav1alpha1.Account {
	if BillingAccountName(account) == account.Name {
		return account
	}
	return holder
}

// holderAllowed says whether the Contacts of holder may receive account's
// invoices, and can be read yet.
func holderAllowed(account, holder *clientareav1alpha1.Account) error {
	ref := account.Spec.BillingContactRef
	switch {
	case holder == nil:
		return Holdf(clientareav1alpha1.BillingHoldBillingContactNotFound,
			"spec.billingContactRef: Account %s does not exist", ref.Account)
	case holder.Spec.Owner != account.Spec.Owner:
		return Holdf(clientareav1alpha1.BillingHoldBillingContactNotAllowed,
			"spec.billingContactRef: Contact %s of account %s cannot receive this account's invoices: account %s is owned by %s and this account by %s; a billing contact in another account needs the same owner",
			ref.Name, holder.Name, holder.Name, holder.Spec.Owner, account.Spec.Owner)
	case holder.Status.Namespace == "":
		return Holdf(clientareav1alpha1.BillingHoldAccountNotReady,
			"spec.billingContactRef: account %s has no namespace yet", holder.Name)
	}
	return nil
}
