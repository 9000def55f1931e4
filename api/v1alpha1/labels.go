package v1alpha1

// Labels and annotations the operator puts on the objects it makes and on
// the objects of this API. They are part of the API: people and tools select
// by them (`kubectl get domains -l clientarea.dev/holder=<contact>`), and a
// client reads them without importing controller code.
const (
	// ManagedByLabel marks every object the operator creates, so that its
	// caches hold only its own objects; its value is ManagedByValue.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of ManagedByLabel.
	ManagedByValue = "clientarea-operator"

	// AccountLabel names the Account an object (its namespace, an Invoice)
	// belongs to.
	AccountLabel = "clientarea.dev/account"
	// ArchivedLabel marks the namespace of a deleted Account that is kept
	// because it holds invoices, which are never deleted (A8). Its value is
	// "true".
	ArchivedLabel = "clientarea.dev/archived"

	// HolderLabel on a Domain names its holder Contact (D6), so that
	// `kubectl get domains -A -l clientarea.dev/holder=<contact>` lists one
	// holder's domains. An admission policy keeps it equal to
	// spec.holderRef.name.
	HolderLabel = "clientarea.dev/holder"

	// GrantLabel on a RoleBinding says why the operator made it: GrantOperator,
	// GrantOwner, GrantMembership or GrantDomainLogin.
	GrantLabel = "clientarea.dev/grant"
	// MembershipUIDLabel on a RoleBinding is the UID of the Membership it
	// grants (a UID, not the name: a label value has at most 63 characters).
	MembershipUIDLabel = "clientarea.dev/membership-uid"
	// ClaimUserUIDLabel on an EmailClaim is the UID of the User that holds it.
	ClaimUserUIDLabel = "clientarea.dev/user-uid"

	// SequenceLabel on a NumberClaim names its sequence ("customer",
	// "invoice"), SeriesLabel its series ("customer", "invoice-2026"), and
	// HolderKeyLabel whose number it is: the holder's UID, or the
	// idempotency key of a billable event, which an Invoice carries too.
	SequenceLabel  = "clientarea.dev/sequence"
	SeriesLabel    = "clientarea.dev/series"
	HolderKeyLabel = "clientarea.dev/holder-key"

	// TransferAnnotation on an Account names the OwnershipTransfer that set
	// its owner; the admission policy of A4 lets the operator change
	// spec.owner only together with it.
	TransferAnnotation = "clientarea.dev/ownership-transfer"
)

// Values of GrantLabel.
const (
	GrantOperator    = "operator"
	GrantOwner       = "owner"
	GrantMembership  = "membership"
	GrantDomainLogin = "domain-login"
)
