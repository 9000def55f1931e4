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
	indexAccountOwner          = "spec.owner" // also the Account's selectable field: the API server selects by it
	indexAccountBillingTarget  = "spec.billingContactRef"
	indexAccountBillingAccount = "spec.billingContactRef.account"
	indexMembershipUser        = "spec.user"
	indexMembershipEmail       = "spec.email.lower"
	indexUserEmail             = "spec.email.lower"
	indexDomainHolder          = "spec.holderRef.name"
	indexDomainName            = "status.domainName"
	indexDomainBillingHeld     = "status.billingHeld"
	indexClaimUserUID          = "spec.userUID"
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
		return nonEmpty(string(obj.(*clientareav1alpha1.Membership).Spec.User))
	}},
	{&clientareav1alpha1.Membership{}, indexMembershipEmail, func(obj client.Object) []string {
		return nonEmpty(invitedEmail(obj.(*clientareav1alpha1.Membership)))
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
	// A User's own claims, which each of its reconciles looks for: by
	// index, not by listing every claim of the cluster and filtering (which
	// made the Users' reconciles together cost the square of their number).
	{&clientareav1alpha1.EmailClaim{}, indexClaimUserUID, func(obj client.Object) []string {
		return nonEmpty(obj.(*clientareav1alpha1.EmailClaim).Spec.UserUID)
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

// invitedEmail is the address an invitation by e-mail names (M6), in the
// form addresses are claimed in; "" for a membership by user name.
func invitedEmail(membership *clientareav1alpha1.Membership) string {
	return strings.ToLower(string(membership.Spec.Email))
}

// nonEmpty is the index value of a field, and none for an empty one.
func nonEmpty(value string) []string {
	if value == "" {
		return nil
	}
	return []string{value}
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

// usersOfAccount maps an Account to its owner and to the Users of its
// active memberships, whose status.accounts show the account (U2, A6).
func (l lookup) usersOfAccount(ctx context.Context, obj client.Object) []reconcile.Request {
	account := obj.(*clientareav1alpha1.Account)
	requests := []reconcile.Request{{NamespacedName: client.ObjectKey{Name: string(account.Spec.Owner)}}}
	if account.Status.Namespace == "" {
		return requests
	}
	memberships := &clientareav1alpha1.MembershipList{}
	if err := l.reader.List(ctx, memberships, client.InNamespace(account.Status.Namespace)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing an account's memberships for a watch")
		return requests
	}
	for _, membership := range memberships.Items {
		if membership.Status.State == clientareav1alpha1.MembershipActive && membership.Status.User != "" {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKey{Name: membership.Status.User}})
		}
	}
	return requests
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

// membershipsOfUser maps a User to its Memberships in every account: those
// that name it and the invitations to the address it holds (M6).
func (l lookup) membershipsOfUser(ctx context.Context, user client.Object) []reconcile.Request {
	requests := listRequests(ctx, l.reader, &clientareav1alpha1.MembershipList{}, client.MatchingFields{indexMembershipUser: user.GetName()})
	if email := user.(*clientareav1alpha1.User).Status.Email; email != "" {
		requests = append(requests, listRequests(ctx, l.reader, &clientareav1alpha1.MembershipList{}, client.MatchingFields{indexMembershipEmail: email})...)
	}
	return requests
}

// membershipsInvitingClaimed maps an EmailClaim to the invitations to its
// address in every account: a claim that appears activates them, one that
// goes makes them pending again (M6).
func (l lookup) membershipsInvitingClaimed(ctx context.Context, claim client.Object) []reconcile.Request {
	email := string(claim.(*clientareav1alpha1.EmailClaim).Spec.Email)
	return listRequests(ctx, l.reader, &clientareav1alpha1.MembershipList{}, client.MatchingFields{indexMembershipEmail: email})
}

// membershipsOfSameUser maps a Membership to every Membership of the same
// person in its account, by user name or by address (M6): which of them
// counts (M4) depends on the others.
func (l lookup) membershipsOfSameUser(ctx context.Context, membership client.Object) []reconcile.Request {
	same, err := membershipsOfSamePerson(ctx, l.reader, membership.(*clientareav1alpha1.Membership))
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing the memberships of one person for a watch")
		return nil
	}
	requests := make([]reconcile.Request, 0, len(same))
	for i := range same {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&same[i])})
	}
	return requests
}

// person is whom a Membership is for: a User's name, the address it names
// or the User holds, or both once an invitation's address is claimed (M6).
type person struct {
	user  string
	email string
}

// invitee resolves whom a Membership is for, from the cache: a membership by
// user name is that User's, with the address the User holds; an invitation
// by e-mail is the address's, and the User's that claimed it (M6).
func invitee(ctx context.Context, reader client.Reader, membership *clientareav1alpha1.Membership) (person, error) {
	if membership.Spec.User != "" {
		p := person{user: string(membership.Spec.User)}
		user := &clientareav1alpha1.User{}
		if err := reader.Get(ctx, client.ObjectKey{Name: p.user}, user); err != nil {
			return p, client.IgnoreNotFound(err)
		}
		p.email = user.Status.Email
		return p, nil
	}
	p := person{email: invitedEmail(membership)}
	claim := &clientareav1alpha1.EmailClaim{}
	if err := reader.Get(ctx, client.ObjectKey{Name: clientareav1alpha1.EmailClaimName(p.email)}, claim); err != nil {
		return p, client.IgnoreNotFound(err)
	}
	p.user = string(claim.Spec.User)
	return p, nil
}

// membershipsOfSamePerson lists the Memberships in the namespace of
// membership that are for the same person: by its user name, or by its
// address (M4, M6). membership itself is among them once it is cached.
func membershipsOfSamePerson(ctx context.Context, reader client.Reader, membership *clientareav1alpha1.Membership) ([]clientareav1alpha1.Membership, error) {
	p, err := invitee(ctx, reader, membership)
	if err != nil {
		return nil, err
	}
	var same []clientareav1alpha1.Membership
	seen := map[string]bool{}
	for _, field := range []struct{ index, value string }{{indexMembershipUser, p.user}, {indexMembershipEmail, p.email}} {
		if field.value == "" {
			continue
		}
		list := &clientareav1alpha1.MembershipList{}
		if err := reader.List(ctx, list, client.InNamespace(membership.Namespace), client.MatchingFields{field.index: field.value}); err != nil {
			return nil, err
		}
		for _, m := range list.Items {
			if !seen[m.Name] {
				seen[m.Name] = true
				same = append(same, m)
			}
		}
	}
	return same, nil
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
