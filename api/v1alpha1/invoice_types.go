package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BillableEventType is the kind of event an invoice bills (I1).
// +kubebuilder:validation:Enum=DomainRegistration;DomainRenewal;DomainTransfer
type BillableEventType string

const (
	// EventDomainRegistration bills the first registration period of a domain.
	EventDomainRegistration BillableEventType = "DomainRegistration"
	// EventDomainRenewal bills a renewal period of a domain.
	EventDomainRenewal BillableEventType = "DomainRenewal"
	// EventDomainTransfer bills a domain transferred in from another
	// registrar, for the year the transfer adds (R4).
	EventDomainTransfer BillableEventType = "DomainTransfer"
)

// BillableEvent identifies the one event an invoice bills, so that a repeated
// attempt finds the invoice already issued (I1).
type BillableEvent struct {
	// type is DomainRegistration, DomainRenewal or DomainTransfer.
	// +required
	Type BillableEventType `json:"type"`

	// domain is the name of the Domain object billed.
	// +required
	Domain ObjectName `json:"domain"`

	// domainName is the domain name billed, such as example.com.
	// +required
	DomainName DomainName `json:"domainName"`

	// periodStart is the start of the period paid for.
	// +required
	PeriodStart metav1.Time `json:"periodStart"`

	// periodEnd is the end of the period paid for.
	// +required
	PeriodEnd metav1.Time `json:"periodEnd"`

	// idempotencyKey identifies the event: the same event always has the same
	// key, and one key has at most one invoice.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	IdempotencyKey string `json:"idempotencyKey"`
}

// InvoiceLine is one line of an invoice.
// +kubebuilder:validation:XValidation:rule="self.amount == self.quantity * self.unitPrice",message="amount must equal quantity × unitPrice"
type InvoiceLine struct {
	// description says what is billed, such as "example.com registration, 1 year".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Description string `json:"description"`

	// quantity is the number of units, such as years.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	Quantity int64 `json:"quantity"`

	// unitPrice is the net price of one unit in minor units.
	// +required
	UnitPrice AmountMinor `json:"unitPrice"`

	// amount is quantity × unitPrice, in minor units.
	// +required
	Amount AmountMinor `json:"amount"`
}

// InvoiceRecipient is the invoice recipient as it was when the invoice was
// issued (I4): a copy, not a reference, so later edits do not change it.
type InvoiceRecipient struct {
	ContactDetails `json:",inline"`

	// source says where the address was copied from: "account/<account>" for
	// an account's own contact, or "contact/<account>/<contact>" for a Contact.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Source string `json:"source"`
}

// InvoiceSpec is an issued invoice. It never changes after issue (I3).
// +kubebuilder:validation:XValidation:rule="self.net == self.lines.map(l, l.amount).sum()",message="spec.net must equal the sum of the line amounts",fieldPath=".net"
// +kubebuilder:validation:XValidation:rule="self.tax == (self.net * self.taxRate + 5000) / 10000",message="spec.tax must equal spec.net × spec.taxRate / 10000, rounded half up",fieldPath=".tax"
// +kubebuilder:validation:XValidation:rule="self.total == self.net + self.tax",message="spec.total must equal spec.net + spec.tax",fieldPath=".total"
// +kubebuilder:validation:XValidation:rule="self.event.periodEnd > self.event.periodStart",message="spec.event.periodEnd must be after spec.event.periodStart",fieldPath=".event.periodEnd"
type InvoiceSpec struct {
	// number is the invoice number, unique and without gaps in its series,
	// such as INV-2026-000001 (I2).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$')",message="must be upper-case letters and digits in dash-separated groups, such as INV-2026-000001"
	Number string `json:"number"`

	// sequence is the position of this invoice in the gapless sequence that
	// its number is formatted from.
	// +required
	// +kubebuilder:validation:Minimum=1
	Sequence int64 `json:"sequence"`

	// account is the name of the Account billed.
	// +required
	Account ObjectName `json:"account"`

	// issuedAt is when the invoice was issued.
	// +required
	IssuedAt metav1.Time `json:"issuedAt"`

	// billTo is the invoice recipient at the moment of issue (I4): the
	// account's billing contact or its own contact, never the domain holder (D3).
	// +required
	BillTo InvoiceRecipient `json:"billTo"`

	// event is the billable event this invoice bills.
	// +required
	Event BillableEvent `json:"event"`

	// currency is the ISO 4217 code of every amount of the invoice.
	// +required
	Currency CurrencyCode `json:"currency"`

	// lines are the invoice lines.
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	Lines []InvoiceLine `json:"lines"`

	// net is the sum of the line amounts, in minor units.
	// +required
	Net AmountMinor `json:"net"`

	// taxRate is the tax rate in basis points (1900 is 19 %).
	// +required
	TaxRate BasisPoints `json:"taxRate"`

	// tax is net × taxRate / 10000 rounded half up, in minor units.
	// +required
	Tax AmountMinor `json:"tax"`

	// total is net + tax, in minor units.
	// +required
	Total AmountMinor `json:"total"`
}

// InvoiceStatus is the observed state of an Invoice.
type InvoiceStatus struct {
	// conditions describe the invoice: Ready, its only condition, True
	// (Issued) once the operator issued it.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
}

// Invoice is an invoice record that the operator issues for a billable event.
// Nobody changes or deletes it: its spec is immutable (I3).
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=inv,categories=clientarea
// +kubebuilder:validation:XValidation:rule="self.spec == oldSelf.spec",message="spec is immutable: an issued invoice never changes",fieldPath=".spec"
// +kubebuilder:printcolumn:name="Number",type=string,JSONPath=`.spec.number`
// +kubebuilder:printcolumn:name="Recipient",type=string,JSONPath=`.spec.billTo.name`
// +kubebuilder:printcolumn:name="Total",type=integer,JSONPath=`.spec.total`,description="total in minor units (cents)"
// +kubebuilder:printcolumn:name="Currency",type=string,JSONPath=`.spec.currency`
// +kubebuilder:printcolumn:name="Issued",type=string,JSONPath=`.spec.issuedAt`
// +kubebuilder:printcolumn:name="Event",type=string,JSONPath=`.spec.event.type`,priority=1
type Invoice struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the issued invoice.
	// +required
	Spec InvoiceSpec `json:"spec"`

	// status is what the operator observed.
	// +optional
	Status InvoiceStatus `json:"status,omitempty,omitzero"`
}

// InvoiceList is a list of Invoices.
// +kubebuilder:object:root=true
type InvoiceList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Invoice `json:"items"`
}

func init() {
	register(&Invoice{}, &InvoiceList{})
}
