package billing

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

func details(name string) clientareav1alpha1.ContactDetails {
	return clientareav1alpha1.ContactDetails{Name: name, Street: []string{"Hauptstr. 1"}, City: "Berlin", CountryCode: "DE", Email: "billing@example.de"}
}

func account(name, owner, namespace string, ref *clientareav1alpha1.BillingContactReference) *clientareav1alpha1.Account {
	return &clientareav1alpha1.Account{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       clientareav1alpha1.AccountSpec{Owner: clientareav1alpha1.ObjectName(owner), Contact: details(name + " holder"), BillingContactRef: ref},
		Status:     clientareav1alpha1.AccountStatus{Namespace: namespace},
	}
}

func ref(accountName, contact string) *clientareav1alpha1.BillingContactReference {
	return &clientareav1alpha1.BillingContactReference{Account: clientareav1alpha1.ObjectName(accountName), Name: clientareav1alpha1.ObjectName(contact)}
}

// world is what the API server holds; resolve reads from it the way a
// controller reads from its cache, so each test runs the whole A7 protocol.
type world struct {
	accounts map[string]*clientareav1alpha1.Account
	contacts map[types.NamespacedName]*clientareav1alpha1.Contact
}

func newWorld(accounts ...*clientareav1alpha1.Account) *world {
	w := &world{accounts: map[string]*clientareav1alpha1.Account{}, contacts: map[types.NamespacedName]*clientareav1alpha1.Contact{}}
	for _, a := range accounts {
		w.accounts[a.Name] = a
	}
	return w
}

func (w *world) withContact(namespace, name string) *world {
	w.contacts[types.NamespacedName{Namespace: namespace, Name: name}] = &clientareav1alpha1.Contact{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       details(name),
	}
	return w
}

func (w *world) resolve(acct *clientareav1alpha1.Account) (*clientareav1alpha1.InvoiceRecipient, error) {
	holder := acct
	if name := BillingAccountName(acct); name != "" && name != acct.Name {
		holder = w.accounts[name] // nil when it does not exist
	}
	var contact *clientareav1alpha1.Contact
	if key, ok := ContactKey(acct, holder); ok {
		contact = w.contacts[key]
	}
	return Recipient(acct, holder, contact)
}

func TestRecipient(t *testing.T) {
	customer := func(r *clientareav1alpha1.BillingContactReference) *clientareav1alpha1.Account {
		return account("customer", "agency-owner", "ca-customer", r)
	}
	agency := account("agency", "agency-owner", "ca-agency", nil)
	stranger := account("stranger", "someone-else", "ca-stranger", nil)
	unready := account("unready", "agency-owner", "", nil)
	tests := []struct {
		name    string
		world   *world
		account *clientareav1alpha1.Account
		want    *clientareav1alpha1.InvoiceRecipient
		reason  clientareav1alpha1.BillingHoldReason
		msg     string
	}{
		{name: "A7: without billingContactRef the account's own contact receives the invoices",
			account: customer(nil), world: newWorld(),
			want: &clientareav1alpha1.InvoiceRecipient{ContactDetails: details("customer holder"), Source: "account/customer"}},
		{name: "A7: a Contact of the account itself, the account field empty",
			account: customer(ref("", "billing")), world: newWorld().withContact("ca-customer", "billing"),
			want: &clientareav1alpha1.InvoiceRecipient{ContactDetails: details("billing"), Source: "contact/customer/billing"}},
		{name: "A7: a Contact of the account itself, named with the account field",
			account: customer(ref("customer", "billing")), world: newWorld().withContact("ca-customer", "billing"),
			want: &clientareav1alpha1.InvoiceRecipient{ContactDetails: details("billing"), Source: "contact/customer/billing"}},
		{name: "A7, D3: agency billing: a Contact of another account with the same owner",
			account: customer(ref("agency", "accounts")), world: newWorld(agency).withContact("ca-agency", "accounts"),
			want: &clientareav1alpha1.InvoiceRecipient{ContactDetails: details("accounts"), Source: "contact/agency/accounts"}},
		{name: "A7: a Contact of another owner's account is refused",
			account: customer(ref("stranger", "accounts")), world: newWorld(stranger).withContact("ca-stranger", "accounts"),
			reason: clientareav1alpha1.BillingHoldBillingContactNotAllowed,
			msg:    "spec.billingContactRef: Contact accounts of account stranger cannot receive this account's invoices: account stranger is owned by someone-else and this account by agency-owner; a billing contact in another account needs the same owner"},
		{name: "A7: a missing account holds the invoices",
			account: customer(ref("gone", "accounts")), world: newWorld(),
			reason: clientareav1alpha1.BillingHoldBillingContactNotFound, msg: "spec.billingContactRef: Account gone does not exist"},
		{name: "A7: a missing Contact in the account itself holds the invoices",
			account: customer(ref("", "billing")), world: newWorld(),
			reason: clientareav1alpha1.BillingHoldBillingContactNotFound, msg: "spec.billingContactRef: Contact billing does not exist in account customer"},
		{name: "A7: a missing Contact in another account holds the invoices",
			account: customer(ref("agency", "accounts")), world: newWorld(agency).withContact("ca-customer", "accounts"),
			reason: clientareav1alpha1.BillingHoldBillingContactNotFound, msg: "spec.billingContactRef: Contact accounts does not exist in account agency"},
		{name: "A7: another account without a namespace yet holds the invoices",
			account: customer(ref("unready", "accounts")), world: newWorld(unready),
			reason: clientareav1alpha1.BillingHoldAccountNotReady, msg: "spec.billingContactRef: account unready has no namespace yet"},
		{name: "A7: the account itself without a namespace yet holds the invoices",
			account: account("fresh", "agency-owner", "", ref("", "billing")), world: newWorld(),
			reason: clientareav1alpha1.BillingHoldAccountNotReady, msg: "spec.billingContactRef: account fresh has no namespace yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.world.resolve(tt.account)
			if tt.reason != "" {
				wantHold(t, err, tt.reason, tt.msg)
				return
			}
			if err != nil {
				t.Fatalf("Recipient: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Recipient = %+v,\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestBillingAccountName(t *testing.T) {
	tests := []struct {
		name string
		ref  *clientareav1alpha1.BillingContactReference
		want string
	}{
		{"A7: the account's own contact needs no account read", nil, ""},
		{"A7: an empty account field is the account itself", ref("", "billing"), "customer"},
		{"A7: the account itself, named", ref("customer", "billing"), "customer"},
		{"A7: another account", ref("agency", "billing"), "agency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BillingAccountName(account("customer", "o", "ca-customer", tt.ref)); got != tt.want {
				t.Fatalf("BillingAccountName = %q, want %q", got, tt.want)
			}
		})
	}
}

// I4: the invoice keeps the address it was issued to, whatever happens to
// the Contact afterwards, and writing the invoice cannot touch the cache.
func TestRecipientIsACopy(t *testing.T) {
	acct := account("customer", "o", "ca-customer", ref("", "billing"))
	w := newWorld().withContact("ca-customer", "billing")
	got, err := w.resolve(acct)
	if err != nil {
		t.Fatal(err)
	}
	w.contacts[types.NamespacedName{Namespace: "ca-customer", Name: "billing"}].Spec.Street[0] = "Neue Str. 2"
	if got.Street[0] != "Hauptstr. 1" {
		t.Fatalf("I4: billTo changed with its Contact: %q", got.Street[0])
	}
	own, _ := Recipient(account("own", "o", "ca-own", nil), nil, nil)
	own.Street[0] = "changed"
	if acct.Spec.Contact.Street[0] != "Hauptstr. 1" {
		t.Fatal("I4: the account's contact changed with its copy")
	}
}
