package web

import (
	"context"
	"sync"

	authorizationv1 "k8s.io/api/authorization/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// check is one question to the API server: may the customer do verb on a
// clientarea.dev resource in the account namespace, or, with Account, on
// the Account itself (cluster-scoped, accounts/<account>).
type check struct {
	Verb     string
	Resource string
	Account  bool
}

// The checks behind the navigation: what a customer may list, they are
// shown a link to.
var (
	canListMembers  = check{Verb: "list", Resource: "memberships"}
	canListContacts = check{Verb: "list", Resource: "contacts"}
	canListDomains  = check{Verb: "list", Resource: "domains"}
	canListInvoices = check{Verb: "list", Resource: "invoices"}
	// canUpdateAccount is the owner's right to change the account's profile
	// (A7): asked about this one Account, by name.
	canUpdateAccount = check{Verb: "update", Resource: "accounts", Account: true}
	navChecks        = []check{canListMembers, canListContacts, canListDomains, canListInvoices, canUpdateAccount}
)

// access answers what a customer may do in one account, by asking the API
// server as the customer (SelfSubjectAccessReview), so that a page shows
// only what the API server would allow (W5); it never decides anything the
// API server does not decide again. Answers are kept for one request.
type access struct {
	kube      client.Client
	ctx       context.Context // acts as the customer
	account   string
	namespace string

	mu      sync.Mutex
	answers map[check]bool
	pending sync.WaitGroup
}

func newAccess(ctx context.Context, kube client.Client, account, namespace string) *access {
	return &access{kube: kube, ctx: ctx, account: account, namespace: namespace, answers: map[check]bool{}}
}

// start asks the API server the checks at once, in parallel with whatever
// the page reads meanwhile.
func (a *access) start(checks ...check) {
	for _, c := range checks {
		a.pending.Go(func() { a.store(c, a.ask(c)) })
	}
}

// can answers one check, from this request's answers when it was asked.
func (a *access) can(c check) bool {
	a.pending.Wait()
	a.mu.Lock()
	answer, ok := a.answers[c]
	a.mu.Unlock()
	if ok {
		return answer
	}
	answer = a.ask(c)
	a.store(c, answer)
	return answer
}

func (a *access) store(c check, answer bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.answers[c] = answer
}

// ask sends one SelfSubjectAccessReview as the customer. An error is a no:
// what cannot be confirmed is not shown.
func (a *access) ask(c check) bool {
	attributes := &authorizationv1.ResourceAttributes{
		Namespace: a.namespace, Verb: c.Verb, Group: clientareav1alpha1.GroupVersion.Group, Resource: c.Resource,
	}
	if c.Account {
		attributes.Namespace, attributes.Name = "", a.account
	}
	review := &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: attributes},
	}
	if err := a.kube.Create(a.ctx, review); err != nil {
		return false
	}
	return review.Status.Allowed
}

// navigation is which sections the header links to.
type navigation struct {
	Members, Contacts, Domains, Invoices bool
	// Profile is the account's profile, which only its owner may change.
	Profile bool
}

func (a *access) navigation() navigation {
	return navigation{
		Members:  a.can(canListMembers),
		Contacts: a.can(canListContacts),
		Domains:  a.can(canListDomains),
		Invoices: a.can(canListInvoices),
		Profile:  a.can(canUpdateAccount),
	}
}
