package controller

import "strings"

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
