package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DomainState is where a domain is in its lifecycle (D4).
// +kubebuilder:validation:Enum=Pending;Active;Expired;Conflict;TransferredAway
type DomainState string

const (
	// DomainPending waits for registration.
	DomainPending DomainState = "Pending"
	// DomainActive is registered and has an expiry time.
	DomainActive DomainState = "Active"
	// DomainExpired passed its expiry without renewal.
	DomainExpired DomainState = "Expired"
	// DomainConflict names a domain that another Domain already holds (D2); it
	// is never registered or billed.
	DomainConflict DomainState = "Conflict"
	// DomainTransferredAway was moved to another registrar with the
	// transfer code its owner asked for (R4); it is no longer renewed.
	DomainTransferredAway DomainState = "TransferredAway"
)

// DomainSpec is the desired state of a Domain (D1).
// +kubebuilder:validation:XValidation:rule="has(self.domainName) == has(oldSelf.domainName) && (!has(self.domainName) || self.domainName == oldSelf.domainName)",message="spec.domainName is immutable: a domain cannot be renamed",fieldPath=".domainName"
// +kubebuilder:validation:XValidation:rule="has(self.transferIn) == has(oldSelf.transferIn) && (!has(self.transferIn) || self.transferIn == oldSelf.transferIn)",message="spec.transferIn is immutable: it says how the domain came, create a new Domain for another transfer",fieldPath=".transferIn"
// +kubebuilder:validation:XValidation:rule="self.holderRef.name.size() <= 63",message="a holder Contact's name is at most 63 characters: the Domain carries it as the label clientarea.dev/holder (D6)",fieldPath=".holderRef.name"
type DomainSpec struct {
	// domainName is the fully qualified domain name, in lowercase A-label
	// form, such as example.com or xn--mnchen-3ya.de. When unset, the Domain's
	// metadata.name is the domain name.
	// +optional
	DomainName DomainName `json:"domainName,omitempty"`

	// holderRef names the Contact in this account that holds the domain. The
	// holder is not necessarily the customer: a reseller registers domains
	// whose holder is its own customer, and the invoice still goes to the
	// account (D3).
	// +required
	HolderRef LocalObjectReference `json:"holderRef"`

	// periodYears is the registration period in years, 1 to 10.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	PeriodYears int32 `json:"periodYears,omitempty"`

	// autoRenew renews the domain before it expires, for another period and a
	// renewal invoice. When false the domain expires.
	// +optional
	// +kubebuilder:default=true
	AutoRenew *bool `json:"autoRenew,omitempty"`

	// nameServers are the host names of the domain's name servers, 2 to 13.
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=2
	// +kubebuilder:validation:MaxItems=13
	NameServers []DomainName `json:"nameServers"`

	// loginPasswordGeneration asks for a new domain password (D5, W7): when
	// it is greater than status.loginPasswordGeneration, the operator draws
	// a new random password, replaces the Secret named by
	// status.authCodeSecret and the DomainCredential's hash, which ends
	// every open session of the domain login, and then records the
	// generation in status.loginPasswordGeneration. It only increases. The
	// account's owner and its members with Domains change it; the domain
	// login cannot (D7).
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:XValidation:rule="self >= oldSelf",message="spec.loginPasswordGeneration only increases: raise it by one for a new domain password"
	LoginPasswordGeneration int32 `json:"loginPasswordGeneration,omitempty"`

	// registrarLock keeps the domain from being transferred to another
	// registrar (the registry's clientTransferProhibited status). Only the
	// account's owner changes it (R4).
	// +optional
	// +kubebuilder:default=true
	RegistrarLock *bool `json:"registrarLock,omitempty"`

	// transferIn creates the domain by moving it here from another
	// registrar, with the transfer code (auth code) the holder got there,
	// instead of registering it. Set it when the Domain is created; it
	// cannot change. The transfer is invoiced once, when it completes (R4).
	// +optional
	TransferIn *DomainTransferIn `json:"transferIn,omitempty"`

	// transferCodeGeneration asks for a code to move the domain to another
	// registrar (R4): when it is greater than
	// status.registry.transferCodeGeneration, the operator sets a fresh
	// random code at the registry and puts it in the Secret named by
	// status.registry.transferCodeSecret. It only increases. Only the
	// account's owner changes it.
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:XValidation:rule="self >= oldSelf",message="spec.transferCodeGeneration only increases: raise it by one for a new transfer code"
	TransferCodeGeneration int32 `json:"transferCodeGeneration,omitempty"`
}

// DomainTransferIn is a transfer of a domain from another registrar.
type DomainTransferIn struct {
	// authCode is the transfer code (EPP authInfo) the holder got from the
	// old registrar.
	// +required
	// +kubebuilder:validation:MinLength=6
	// +kubebuilder:validation:MaxLength=64
	AuthCode string `json:"authCode"`
}

// DomainRegistryStatus is what the operator last made the registry hold.
type DomainRegistryStatus struct {
	// syncedDigest is a digest of the name servers, holder details and
	// registrar lock the registry was last updated to; a change of any
	// of them updates the registry once.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	SyncedDigest string `json:"syncedDigest,omitempty"`
	// transferCodeGeneration is the spec.transferCodeGeneration whose code
	// is set at the registry and in the Secret named by transferCodeSecret.
	// +optional
	// +kubebuilder:validation:Minimum=0
	TransferCodeGeneration int32 `json:"transferCodeGeneration,omitempty"`
	// transferCodeSecret is the Secret, in the Domain's namespace, whose
	// key "transferCode" holds the code to move the domain away.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	TransferCodeSecret string `json:"transferCodeSecret,omitempty"`
}

// BillingPeriod is one period a domain was registered or renewed for: one
// billable event (I1). It is recorded in the same status write as the
// registration or renewal itself, so no event is lost or made up by a crash.
type BillingPeriod struct {
	// type is DomainRegistration, DomainRenewal or DomainTransfer.
	// +required
	Type BillableEventType `json:"type"`
	// periodStart is when the period starts.
	// +required
	PeriodStart metav1.Time `json:"periodStart"`
	// periodEnd is when the period ends.
	// +required
	PeriodEnd metav1.Time `json:"periodEnd"`
	// years is the length of the period in years.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	Years int32 `json:"years"`
	// invoice is the name of the Invoice issued for the period; empty while
	// the event waits (see the Invoiced condition).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Invoice string `json:"invoice,omitempty"`
}

// DomainStatus is the observed state of a Domain.
type DomainStatus struct {
	// conditions describe the domain: Ready; HolderResolved; NameConflict
	// (True when another Domain holds the name, or another registrar's
	// customer holds it at the registry); Registered (False while it waits,
	// at the registry too, after a failed registration or transfer, or once
	// it expired or was transferred away); RegistrySynced (whether the
	// registry holds its name servers, holder details and registrar lock);
	// LoginReady; Invoiced (False with the reason while a billable event
	// waits: no price, or no invoice recipient).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// domainName is the domain name in effect: spec.domainName or metadata.name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	DomainName string `json:"domainName,omitempty"`

	// account is the name of the Account that holds the domain.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Account string `json:"account,omitempty"`

	// holderName is the name of the holder Contact (its spec.name), for display.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	HolderName string `json:"holderName,omitempty"`

	// state is Pending, Active, Expired, Conflict or TransferredAway (D4, R4); a registration that failed or waits at the registry, and a transfer in that waits, stay Pending, and the Registered condition says why.
	// +optional
	State DomainState `json:"state,omitempty"`

	// registeredAt is when the domain was registered.
	// +optional
	RegisteredAt *metav1.Time `json:"registeredAt,omitempty"`

	// expiresAt is when the current registration period ends.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// loginServiceAccount is the ServiceAccount of the domain login (D5): it
	// can administer this one domain and read its holder, nothing else.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	LoginServiceAccount string `json:"loginServiceAccount,omitempty"`

	// authCodeSecret is the Secret that holds the domain's auth code (D5).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	AuthCodeSecret string `json:"authCodeSecret,omitempty"`

	// loginPasswordGeneration is the spec.loginPasswordGeneration whose
	// password is in place: in the Secret and, as a hash, in the
	// DomainCredential named after the domain name (W7).
	// +optional
	// +kubebuilder:validation:Minimum=0
	LoginPasswordGeneration int32 `json:"loginPasswordGeneration,omitempty"`

	// billing lists the periods the domain was registered or renewed for,
	// oldest first: those still waiting for their invoice, and the last
	// ones invoiced with the invoice's name (I1).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Billing []BillingPeriod `json:"billing,omitempty"`
	// registry is what the operator last made the domain's registry hold.
	// +optional
	Registry *DomainRegistryStatus `json:"registry,omitempty"`
}

// Domain is a domain name held through an account. Its holder is a Contact
// of the account and not necessarily the paying customer.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,shortName=dom,categories=clientarea
// +kubebuilder:validation:XValidation:rule="has(self.spec.domainName) || (self.metadata.name.matches('^([a-z0-9]([a-z0-9-]*[a-z0-9])?[.])+[a-z]([a-z0-9-]*[a-z0-9])?$') && self.metadata.name.split('.').all(label, label.size() <= 63))",message="metadata.name must be a fully qualified domain name such as example.com when spec.domainName is not set"
// +kubebuilder:printcolumn:name="Domain",type=string,JSONPath=`.status.domainName`
// +kubebuilder:printcolumn:name="Account",type=string,JSONPath=`.status.account`
// +kubebuilder:printcolumn:name="Holder",type=string,JSONPath=`.status.holderName`
// +kubebuilder:printcolumn:name="Holder Contact",type=string,JSONPath=`.spec.holderRef.name`,priority=1
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.status.state`
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=`.status.expiresAt`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Domain struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the domain.
	// +required
	Spec DomainSpec `json:"spec"`

	// status is what the operator observed.
	// +optional
	Status DomainStatus `json:"status,omitempty,omitzero"`
}

// DomainList is a list of Domains.
// +kubebuilder:object:root=true
type DomainList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Domain `json:"items"`
}

func init() {
	register(&Domain{}, &DomainList{})
}
