package controller

import (
	"context"
	"fmt"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// The field indexes of the manager's cache, their extractors, and the watch
// mappings that use them: one place for every "which objects does this
// event concern", so that a watch never lists more than it needs.
const (
	indexAccountOwner          = "spec.owner"
	indexAccountBillingTarget  = "spec.billingContactRef"
	indexAccountBillingAccount = "spec.billingContactRef.account"
	indexMembershipUser        = "spec.user"
	indexUserEmail             = "spec.email.lower"
	indexDomainHolder          = "spec.holderRef.name"
	indexDomainName            = "status.domainName"
	indexDomainBillingHeld     = "status.billingHeld"
)

// fieldIndex is one index: the kind, the field name, the extractor.
type fieldIndex struct {
	obj     client.Object
	field   string
	extract client.IndexerFunc
}

var fieldIndexes = []fieldIndex{
	{&clientareav1alpha1.Account{}, indexAccountOwner, func(obj client.Object) []string {
		return []string{string(obj.(*clientareav1alpha1.Account).Spec.Owner)}
	}},
	{&clientareav1alpha1.Account{}, indexAccountBillingTarget, func(obj client.Object) []string {
		return billingTarget(obj.(*clientareav1alpha1.Account))
	}},
	{&clientareav1alpha1.Account{}, indexAccountBillingAccount, func(obj client.Object) []string {
		return billingAccount(obj.(*clientareav1alpha1.Account))
	}},
	{&clientareav1alpha1.Membership{}, indexMembershipUser, func(obj client.Object) []string {
		return []string{string(obj.(*clientareav1alpha1.Membership).Spec.User)}
	}},
	{&clientareav1alpha1.User{}, indexUserEmail, func(obj client.Object) []string {
		return []string{normalizedEmail(obj.(*clientareav1alpha1.User))}
	}},
	{&clientareav1alpha1.Domain{}, indexDomainHolder, func(obj client.Object) []string {
		return []string{string(obj.(*clientareav1alpha1.Domain).Spec.HolderRef.Name)}
	}},
	{&clientareav1alpha1.Domain{}, indexDomainName, func(obj client.Object) []string {
		return []string{domainNameOf(obj.(*clientareav1alpha1.Domain))}
	}},
	{&clientareav1alpha1.Domain{}, indexDomainBillingHeld, func(obj client.Object) []string {
		if billingHeld(obj.(*clientareav1alpha1.Domain)) {
			return []string{"true"}
		}
		return nil
	}},
}

// setupIndexes registers every field index with the manager's cache.
func setupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	for _, index := range fieldIndexes {
		if err := mgr.GetFieldIndexer().IndexField(ctx, index.obj, index.field, index.extract); err != nil {
			return fmt.Errorf("indexing %T by %s: %w", index.obj, index.field, err)
		}
	}
	return nil
}

// billingTarget is the "<account>/<contact>" an Account bills to (A7).
func billingTarget(account *clientareav1alpha1.Account) []string {
	ref := account.Spec.BillingContactRef
	if ref == nil {
		return nil
	}
	target := string(ref.Account)
	if target == "" {
		target = account.Name
	}
	return []string{target + "/" + string(ref.Name)}
}

// billingAccount is the other account whose Contact an Account bills to.
func billingAccount(account *clientareav1alpha1.Account) []string {
	ref := account.Spec.BillingContactRef
	if ref == nil || ref.Account == "" || string(ref.Account) == account.Name {
		return nil
	}
	return []string{string(ref.Account)}
}

// normalizedEmail is the form in which addresses are compared, claimed and
// granted: case-insensitively (U1), as lower case.
func normalizedEmail(user *clientareav1alpha1.User) string {
	return strings.ToLower(string(user.Spec.Email))
}

// lookup maps an event on one object to the reconcile requests of the
// objects it concerns, through the indexes above.
type lookup struct {
	reader     client.Reader
	namespaces accountNamespaces
}

// accountsOwnedBy maps a User to the Accounts it owns.
func (l lookup) accountsOwnedBy(ctx context.Context, user client.Object) []reconcile.Request {
	return listRequests(ctx, l.reader, &clientareav1alpha1.AccountList{}, client.MatchingFields{indexAccountOwner: user.GetName()})
}

// accountsBillingTo maps a Contact to the Accounts that bill to it (A7).
func (l lookup) accountsBillingTo(ctx context.Context, contact client.Object) []reconcile.Request {
	account, ok := l.namespaces.accountOf(contact.GetNamespace())
	if !ok {
		return nil
	}
	return listRequests(ctx, l.reader, &clientareav1alpha1.AccountList{}, client.MatchingFields{indexAccountBillingTarget: account + "/" + contact.GetName()})
}

// accountsBillingToAccount maps an Account to the other Accounts that bill
// to one of its Contacts: whether they may depends on its owner (A7).
func (l lookup) accountsBillingToAccount(ctx context.Context, account client.Object) []reconcile.Request {
	return listRequests(ctx, l.reader, &clientareav1alpha1.AccountList{}, client.MatchingFields{indexAccountBillingAccount: account.GetName()})
}

// usersWithEmailOf maps an EmailClaim to every User with its address, so
// that when the holder lets go, a waiting User takes it over (U1).
func (l lookup) usersWithEmailOf(ctx context.Context, claim client.Object) []reconcile.Request {
	email := string(claim.(*clientareav1alpha1.EmailClaim).Spec.Email)
	return listRequests(ctx, l.reader, &clientareav1alpha1.UserList{}, client.MatchingFields{indexUserEmail: email})
}

// membershipsOfUser maps a User to its Memberships in every account.
func (l lookup) membershipsOfUser(ctx context.Context, user client.Object) []reconcile.Request {
	return listRequests(ctx, l.reader, &clientareav1alpha1.MembershipList{}, client.MatchingFields{indexMembershipUser: user.GetName()})
}

// membershipsOfSameUser maps a Membership to every Membership of its user in
// its account: which of them counts (M4) depends on the others.
func (l lookup) membershipsOfSameUser(ctx context.Context, membership client.Object) []reconcile.Request {
	user := string(membership.(*clientareav1alpha1.Membership).Spec.User)
	return listRequests(ctx, l.reader, &clientareav1alpha1.MembershipList{}, client.InNamespace(membership.GetNamespace()),
		client.MatchingFields{indexMembershipUser: user})
}

// membershipsOfAccount maps an Account to the Memberships in its namespace,
// since whether a membership counts depends on the account's owner (M4).
func (l lookup) membershipsOfAccount(ctx context.Context, account client.Object) []reconcile.Request {
	namespace := account.(*clientareav1alpha1.Account).Status.Namespace
	if namespace == "" {
		return nil
	}
	return listRequests(ctx, l.reader, &clientareav1alpha1.MembershipList{}, client.InNamespace(namespace))
}

// domainsHeldBy maps a Contact to the Domains it holds, whose holder it
// resolves (D1).
func (l lookup) domainsHeldBy(ctx context.Context, contact client.Object) []reconcile.Request {
	return listRequests(ctx, l.reader, &clientareav1alpha1.DomainList{}, client.InNamespace(contact.GetNamespace()),
		client.MatchingFields{indexDomainHolder: contact.GetName()})
}

// domainsNamed maps a DomainClaim to the Domains of its name: when a name
// is released, a Domain waiting for it takes it (D2).
func (l lookup) domainsNamed(ctx context.Context, claim client.Object) []reconcile.Request {
	return listRequests(ctx, l.reader, &clientareav1alpha1.DomainList{}, client.MatchingFields{indexDomainName: claim.GetName()})
}

// domainsWaitingForBilling maps a PriceList to every Domain whose billable
// event waits for its invoice: a price that appears releases them (I5).
func (l lookup) domainsWaitingForBilling(ctx context.Context, _ client.Object) []reconcile.Request {
	return listRequests(ctx, l.reader, &clientareav1alpha1.DomainList{}, client.MatchingFields{indexDomainBillingHeld: "true"})
}

// accountDomainsWaitingForBilling maps an Account to its Domains whose
// billable event waits: an invoice recipient that appears releases them (A7).
func (l lookup) accountDomainsWaitingForBilling(ctx context.Context, account client.Object) []reconcile.Request {
	return listRequests(ctx, l.reader, &clientareav1alpha1.DomainList{}, client.InNamespace(l.namespaces.of(account.GetName())),
		client.MatchingFields{indexDomainBillingHeld: "true"})
}

// accountOfNamespace maps an object in an account namespace to its Account.
func (l lookup) accountOfNamespace(_ context.Context, obj client.Object) []reconcile.Request {
	account, ok := l.namespaces.accountOf(obj.GetNamespace())
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: account}}}
}

// deletingAccountOfNamespace is accountOfNamespace for an Account being
// deleted, and nothing otherwise: only its deletion waits for its domains.
func (l lookup) deletingAccountOfNamespace(ctx context.Context, obj client.Object) []reconcile.Request {
	deleting, err := accountDeleting(ctx, l.reader, obj.GetNamespace())
	if err != nil || !deleting {
		return nil
	}
	return l.accountOfNamespace(ctx, obj)
}
