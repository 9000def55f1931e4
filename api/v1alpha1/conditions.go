package v1alpha1

// Conditions and reasons. Every kind reports Ready; the specific conditions
// say which part of the work is done or blocked. The types and reasons are
// typed per kind (as in Gateway API), and each constant is named after its
// value, so that a client (a front end, a CLI) reads them from here without
// importing controller code. Ready summarises the others: when one of those
// it depends on is not True, Ready is False with that condition's reason.
const (
	// ConditionReady is True when the object is fully in effect. Every kind
	// has it.
	ConditionReady = "Ready"

	// ReasonReady is the reason of Ready=True.
	ReasonReady = "Ready"
	// ReasonNotReady is the reason of Ready=False while a condition it
	// depends on is not known yet.
	ReasonNotReady = "NotReady"
)

// UserConditionType is a condition type of a User.
type UserConditionType string

// UserConditionReason is a reason of a User's condition.
type UserConditionReason string

const (
	// UserConditionEmailClaimed is True when the User holds its e-mail
	// address (reason Claimed), False with reason EmailConflict when
	// another User holds it: then it is granted nothing (U1).
	UserConditionEmailClaimed UserConditionType = "EmailClaimed"
	// UserConditionDeletionBlocked is True (reason OwnsAccounts) while the
	// User is being deleted but still owns accounts (U3).
	UserConditionDeletionBlocked UserConditionType = "DeletionBlocked"

	UserReasonClaimed       UserConditionReason = "Claimed"
	UserReasonEmailConflict UserConditionReason = "EmailConflict"
	UserReasonOwnsAccounts  UserConditionReason = "OwnsAccounts"
)

// AccountConditionType is a condition type of an Account.
type AccountConditionType string

// AccountConditionReason is a reason of an Account's condition.
type AccountConditionReason string

const (
	// AccountConditionNamespaceReady is True (NamespaceCreated) when the
	// account's namespace exists and belongs to it, False
	// (NamespaceConflict) when a namespace of that name is not the
	// account's: nothing is granted in it (A2).
	AccountConditionNamespaceReady AccountConditionType = "NamespaceReady"
	// AccountConditionOwnerResolved is True (OwnerFound) when the User named
	// by spec.owner exists and holds its address; False with OwnerNotFound
	// or EmailNotClaimed.
	AccountConditionOwnerResolved AccountConditionType = "OwnerResolved"
	// AccountConditionBillingContactResolved is True (AccountContact or
	// BillingContactFound) when the account's invoices can be addressed,
	// False with a BillingHoldReason while they cannot (A7).
	AccountConditionBillingContactResolved AccountConditionType = "BillingContactResolved"
	// AccountConditionDeleting is True while a deleted Account waits
	// (ActiveDomains) or keeps its namespace for its invoices
	// (NamespaceArchived) (A8).
	AccountConditionDeleting AccountConditionType = "Deleting"

	AccountReasonNamespaceCreated    AccountConditionReason = "NamespaceCreated"
	AccountReasonNamespaceConflict   AccountConditionReason = "NamespaceConflict"
	AccountReasonOwnerFound          AccountConditionReason = "OwnerFound"
	AccountReasonOwnerNotFound       AccountConditionReason = "OwnerNotFound"
	AccountReasonEmailNotClaimed     AccountConditionReason = "EmailNotClaimed"
	AccountReasonAccountContact      AccountConditionReason = "AccountContact"
	AccountReasonBillingContactFound AccountConditionReason = "BillingContactFound"
	AccountReasonActiveDomains       AccountConditionReason = "ActiveDomains"
	AccountReasonNamespaceArchived   AccountConditionReason = "NamespaceArchived"
)

// BillingHoldReason says why a billable event waits for its invoice: a person
// has to act (add a price, fix a billing contact), and the operator invents
// neither a number nor a recipient meanwhile. It is the reason of an
// Account's BillingContactResolved=False and of a Domain's Invoiced=False.
type BillingHoldReason string

const (
	// BillingHoldPriceMissing: no PriceList prices the domain's top-level
	// domain (I5).
	BillingHoldPriceMissing BillingHoldReason = "PriceMissing"
	// BillingHoldPriceAmbiguous: two PriceLists price it (I5).
	BillingHoldPriceAmbiguous BillingHoldReason = "PriceAmbiguous"
	// BillingHoldBillingContactNotFound: spec.billingContactRef names a
	// Contact or Account that does not exist (A7).
	BillingHoldBillingContactNotFound BillingHoldReason = "BillingContactNotFound"
	// BillingHoldBillingContactNotAllowed: spec.billingContactRef names a
	// Contact of an account with another owner (A7).
	BillingHoldBillingContactNotAllowed BillingHoldReason = "BillingContactNotAllowed"
	// BillingHoldAccountNotReady: the account, or the one that holds the
	// billing contact, has no namespace of its own yet.
	BillingHoldAccountNotReady BillingHoldReason = "AccountNotReady"
)

// MembershipConditionReason is a reason of a Membership's Ready condition,
// its only condition: True (Granted) when its permissions are in effect,
// else False with why (M4, M5, M6). InvitationPending: an invitation by
// e-mail address (spec.email) waits for a User to claim the address (M6).
// InvitationExpired: the membership was still pending at
// spec.invitationExpiresAt; it grants nothing, even when the User appears
// later (M5).
type MembershipConditionReason string

const (
	MembershipReasonGranted               MembershipConditionReason = "Granted"
	MembershipReasonUserNotFound          MembershipConditionReason = "UserNotFound"
	MembershipReasonEmailNotClaimed       MembershipConditionReason = "EmailNotClaimed"
	MembershipReasonInvitationPending     MembershipConditionReason = "InvitationPending"
	MembershipReasonInvitationExpired     MembershipConditionReason = "InvitationExpired"
	MembershipReasonIsOwner               MembershipConditionReason = "IsOwner"
	MembershipReasonDuplicate             MembershipConditionReason = "Duplicate"
	MembershipReasonExpired               MembershipConditionReason = "Expired"
	MembershipReasonNotAnAccountNamespace MembershipConditionReason = "NotAnAccountNamespace"
)

// ContactConditionType is a condition type of a Contact.
type ContactConditionType string

// ContactConditionReason is a reason of a Contact's condition.
type ContactConditionReason string

const (
	// ContactConditionInUse is True (Used) while an account bills to the
	// Contact or a domain is held by it: then it is not deleted (C3);
	// False (Unused) otherwise.
	ContactConditionInUse ContactConditionType = "InUse"

	ContactReasonUsed   ContactConditionReason = "Used"
	ContactReasonUnused ContactConditionReason = "Unused"
)

// DomainConditionType is a condition type of a Domain.
type DomainConditionType string

// DomainConditionReason is a reason of a Domain's condition.
type DomainConditionReason string

const (
	// DomainConditionHolderResolved is True (HolderFound) when the holder
	// Contact exists in the account, False (HolderNotFound) otherwise.
	DomainConditionHolderResolved DomainConditionType = "HolderResolved"
	// DomainConditionNameConflict is False (NameHeld) when this Domain
	// holds its name, True (NameTaken) when another Domain does: then it
	// is never registered or billed (D2).
	DomainConditionNameConflict DomainConditionType = "NameConflict"
	// DomainConditionRegistered is True (Registered, Renewed) while the
	// domain is registered; False while it waits for its holder
	// (Waiting), after a failed registration (RegistrationFailed),
	// or once it expired (Expired). A failed renewal keeps it True with
	// reason RegistrationFailed (D4).
	DomainConditionRegistered DomainConditionType = "Registered"
	// DomainConditionLoginReady is True (LoginCreated) when the domain
	// login exists: its ServiceAccount, Role, RoleBinding and the Secret
	// with the auth code (D5).
	DomainConditionLoginReady DomainConditionType = "LoginReady"
	// DomainConditionInvoiced is True (Invoiced) when every billable event
	// of the domain has its invoice (I1), False with a BillingHoldReason
	// while one waits, and False (InvoicePending) while a period just
	// recorded has its invoice issued.
	DomainConditionInvoiced DomainConditionType = "Invoiced"
	// DomainConditionRegistrySynced is True (Synced) when the registry
	// holds the domain's name servers, holder details and registrar lock
	// as the spec says, False with the registrar's reason while it does
	// not (R1).
	DomainConditionRegistrySynced DomainConditionType = "RegistrySynced"

	DomainReasonHolderFound        DomainConditionReason = "HolderFound"
	DomainReasonHolderNotFound     DomainConditionReason = "HolderNotFound"
	DomainReasonNameHeld           DomainConditionReason = "NameHeld"
	DomainReasonNameTaken          DomainConditionReason = "NameTaken"
	DomainReasonWaiting            DomainConditionReason = "Waiting"
	DomainReasonRegistered         DomainConditionReason = "Registered"
	DomainReasonRenewed            DomainConditionReason = "Renewed"
	DomainReasonRegistrationFailed DomainConditionReason = "RegistrationFailed"
	DomainReasonExpired            DomainConditionReason = "Expired"
	DomainReasonLoginCreated       DomainConditionReason = "LoginCreated"
	DomainReasonInvoiced           DomainConditionReason = "Invoiced"
	// DomainReasonInvoicePending: a billable period is recorded in the
	// status and its invoice is being issued (I1: the period is stored
	// before the invoice).
	DomainReasonInvoicePending DomainConditionReason = "InvoicePending"
	// DomainReasonRegistrationPending: the registry accepted the
	// registration and completes it later (R3).
	DomainReasonRegistrationPending DomainConditionReason = "RegistrationPending"
	// DomainReasonTransferPending: a transfer in waits for the old
	// registrar or the registry (R4).
	DomainReasonTransferPending DomainConditionReason = "TransferPending"
	// DomainReasonTransferred: the domain was transferred in.
	DomainReasonTransferred DomainConditionReason = "Transferred"
	// DomainReasonTransferRejected: the transfer in was refused (a wrong
	// transfer code, or the old registrar said no).
	DomainReasonTransferRejected DomainConditionReason = "TransferRejected"
	// DomainReasonTransferredAway: another registrar took the domain with
	// the transfer code the owner asked for.
	DomainReasonTransferredAway DomainConditionReason = "TransferredAway"
	// DomainReasonDeletedAtRegistry: the Domain is being deleted and its
	// registration is deleted at the registry; the Domain keeps its state
	// until it is gone (an account being deleted waits for it).
	DomainReasonDeletedAtRegistry DomainConditionReason = "DeletedAtRegistry"
	// DomainReasonSynced: the registry holds what the spec says.
	DomainReasonSynced DomainConditionReason = "Synced"
	// DomainReasonRegistryLoginFailed: the registry refused the
	// operator's credentials or client certificate; retried with back-off.
	DomainReasonRegistryLoginFailed DomainConditionReason = "RegistryLoginFailed"
	// DomainReasonRegistryUnavailable: the registry could not be reached
	// or did not answer in time; retried.
	DomainReasonRegistryUnavailable DomainConditionReason = "RegistryUnavailable"
	// DomainReasonRegistryRefused: the registry refused the command.
	DomainReasonRegistryRefused DomainConditionReason = "RegistryRefused"
	// DomainReasonNoRegistry: no configured registry serves the top-level domain.
	DomainReasonNoRegistry DomainConditionReason = "NoRegistry"
)

// InvoiceConditionReason is the reason of an Invoice's Ready condition, its
// only condition: True (Issued) once the operator issued it.
type InvoiceConditionReason string

// InvoiceReasonIssued is the reason of an issued Invoice's Ready=True.
const InvoiceReasonIssued InvoiceConditionReason = "Issued"

// OwnershipTransferConditionType is a condition type of an OwnershipTransfer.
type OwnershipTransferConditionType string

// OwnershipTransferConditionReason is a reason of an OwnershipTransfer's
// condition.
type OwnershipTransferConditionReason string

const (
	// OwnershipTransferConditionSucceeded is the transfer's outcome, as for
	// every run-to-completion resource: Unknown (InProgress) while it runs,
	// True (Transferred) once it completed, False with the failure's reason
	// once it failed and changed nothing (T3). `kubectl wait
	// --for=condition=Succeeded` waits for success, and
	// `--for=condition=Succeeded=false` for failure. Ready follows it: True
	// only for a completed transfer, False with the same reason for a
	// failed one.
	OwnershipTransferConditionSucceeded OwnershipTransferConditionType = "Succeeded"

	OwnershipTransferReasonInProgress            OwnershipTransferConditionReason = "InProgress"
	OwnershipTransferReasonTransferred           OwnershipTransferConditionReason = "Transferred"
	OwnershipTransferReasonRequesterNotOwner     OwnershipTransferConditionReason = "RequesterNotOwner"
	OwnershipTransferReasonNewOwnerIsOwner       OwnershipTransferConditionReason = "NewOwnerIsOwner"
	OwnershipTransferReasonNewOwnerNotFound      OwnershipTransferConditionReason = "NewOwnerNotFound"
	OwnershipTransferReasonNewOwnerHasNoEmail    OwnershipTransferConditionReason = "NewOwnerHasNoEmail"
	OwnershipTransferReasonAccountHasNoNamespace OwnershipTransferConditionReason = "AccountHasNoNamespace"
	OwnershipTransferReasonOwnerChangedMeanwhile OwnershipTransferConditionReason = "OwnerChangedMeanwhile"
)

// PriceListConditionReason is a reason of a PriceList's Ready condition, its
// only condition: True when it is in use, False (TLDPricedTwice) when a
// top-level domain it prices is priced by another list too: then that
// domain has no price until one list keeps it (I5).
type PriceListConditionReason string

// PriceListReasonTLDPricedTwice is the reason of a PriceList's Ready=False.
const PriceListReasonTLDPricedTwice PriceListConditionReason = "TLDPricedTwice"

// Permission is one word of the membership vocabulary (M1). Each word maps to a
// ClusterRole shipped in config/rbac that is bound in the account namespace.
// +kubebuilder:validation:Enum=Invoices;Domains;Contacts;Members;All
type Permission string

const (
	// PermissionInvoices lets a member read the account's invoices ("only invoices").
	PermissionInvoices Permission = "Invoices"
	// PermissionDomains lets a member manage the account's domains, read the
	// contacts that hold them and the domains' login passwords ("only domains").
	PermissionDomains Permission = "Domains"
	// PermissionContacts lets a member manage the account's contacts.
	PermissionContacts Permission = "Contacts"
	// PermissionMembers lets a member see who else has access to the account.
	PermissionMembers Permission = "Members"
	// PermissionAll gives a member everything the owner can do in the account
	// namespace except managing memberships ("everything").
	PermissionAll Permission = "All"
)

// Role is the part a user plays in an account.
// +kubebuilder:validation:Enum=Owner;Member
type Role string

const (
	// RoleOwner is the single owner of an account.
	RoleOwner Role = "Owner"
	// RoleMember is a user given permissions by a Membership.
	RoleMember Role = "Member"
)
