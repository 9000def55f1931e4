package controller

import (
	"context"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// DefaultNamespacePrefix is prepended to an Account's name to name its
// namespace (A2).
const DefaultNamespacePrefix = "account-"

// accountNamespaces is the one place that maps an Account to its namespace
// and back (A2): the namespace is the account's name behind a configurable
// prefix.
type accountNamespaces struct{ prefix string }

// of is the name of the account's namespace.
func (n accountNamespaces) of(account string) string { return n.prefix + account }

// accountOf is the account whose namespace this would be; false when the
// name does not have the prefix. Whether the namespace really belongs to
// that account is for its owner reference to say.
func (n accountNamespaces) accountOf(namespace string) (string, bool) {
	account, ok := strings.CutPrefix(namespace, n.prefix)
	return account, ok && account != ""
}

// accountOfNamespace is the Account a namespace belongs to: the one its
// AccountLabel names, if that Account controls it (A2); nil for any other
// namespace. The namespace is read from the cache, which holds only the
// operator's own.
func accountOfNamespace(ctx context.Context, reader client.Reader, namespace string) (*clientareav1alpha1.Account, error) {
	return accountOf(ctx, reader, reader, namespace)
}

// accountOf is accountOfNamespace with the namespace and the Account read
// from their own readers.
func accountOf(ctx context.Context, namespaces, accounts client.Reader, namespace string) (*clientareav1alpha1.Account, error) {
	ns := &corev1.Namespace{}
	if err := namespaces.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	account := &clientareav1alpha1.Account{}
	if err := accounts.Get(ctx, client.ObjectKey{Name: ns.Labels[clientareav1alpha1.AccountLabel]}, account); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	if !metav1.IsControlledBy(ns, account) {
		return nil, nil
	}
	return account, nil
}

// accountDeleting tells whether the Account a namespace belongs to is being
// deleted: its access is revoked at once, and nothing grants any again (A8).
func accountDeleting(ctx context.Context, reader client.Reader, namespace string) (bool, error) {
	account, err := accountOfNamespace(ctx, reader, namespace)
	return account != nil && !account.DeletionTimestamp.IsZero(), err
}

// accountDeletingLive is accountDeleting with the Account read from the API
// server (the namespace, whose account never changes, from the cache). A
// grant about to be created asks it: a cache that has not seen the
// Account's deletion yet would otherwise create again what the deletion
// has just revoked (A8).
func accountDeletingLive(ctx context.Context, cache, live client.Reader, namespace string) (bool, error) {
	account, err := accountOf(ctx, cache, live, namespace)
	return account != nil && !account.DeletionTimestamp.IsZero(), err
}
