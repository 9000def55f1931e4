package eppregistry

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// validHostName accepts lowercase LDH names with at least two labels: each
// label 1..63 characters of a-z, 0-9 and '-', not starting or ending with
// '-', "--" in positions 3-4 only for "xn--" (IDNA A-labels), a TLD that
// starts with a letter, 253 characters at most. Uppercase is refused: this
// registry wants the canonical form rather than folding case for the client.
func validHostName(name string) bool {
	if len(name) == 0 || len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
		if len(l) >= 4 && l[2:4] == "--" && !strings.HasPrefix(l, "xn--") {
			return false
		}
	}
	tld := labels[len(labels)-1]
	return tld[0] >= 'a' && tld[0] <= 'z'
}

// validDomainName is a host name; every TLD is served.
func validDomainName(name string) bool { return validHostName(name) }

// isSubordinate reports whether host is below domain (ns1.example.com
// under example.com).
func isSubordinate(host, domainName string) bool {
	return strings.HasSuffix(host, "."+domainName)
}

// parsePeriod reads a <period unit="y|m"> element: whole years 1..10 (a
// month count is accepted when it is whole years). A missing element gives
// the default of one year.
func parsePeriod(el *node) (int, *response) {
	if el == nil {
		return 1, nil
	}
	unit, hasUnit := el.attr("unit")
	if !hasUnit {
		return 0, errp(2003, "period needs a unit attribute")
	}
	v, err := strconv.Atoi(el.text())
	if err != nil {
		return 0, errp(2005, "period must be an integer")
	}
	switch unit {
	case "y":
	case "m":
		if v%12 != 0 {
			return 0, errp(2004, "period must be whole years")
		}
		v /= 12
	default:
		return 0, errp(2005, `period unit must be "y" or "m"`)
	}
	if v < 1 || v > 10 {
		return 0, errp(2004, "period must be 1 to 10 years")
	}
	return v, nil
}

// parseAuthInfo reads <authInfo><pw>..</pw></authInfo> in the object's
// namespace. Registry policy: 6 to 64 characters. The <ext> form is not
// implemented (2102).
func parseAuthInfo(el *node, ns string) (string, *response) {
	if el == nil {
		return "", errp(2003, "authInfo is required")
	}
	if el.child(ns, "ext") != nil {
		return "", errp(2102, "only authInfo pw is implemented")
	}
	pw := el.child(ns, "pw")
	if pw == nil || len(el.Children) != 1 {
		return "", errp(2003, "authInfo needs pw")
	}
	v := pw.Text
	if v == "" {
		return "", errp(2003, "authInfo pw is empty")
	}
	if n := len([]rune(v)); n < 6 || n > 64 {
		return "", errp(2306, "authInfo pw must be 6 to 64 characters")
	}
	return v, nil
}

// parseAddr validates one host address element (ip attribute v4 by
// default, as in RFC 5731/5732).
func parseAddr(el *node) (hostAddr, *response) {
	ip, has := el.attr("ip")
	if !has {
		ip = "v4"
	}
	a, err := netip.ParseAddr(el.text())
	switch {
	case ip != "v4" && ip != "v6":
		return hostAddr{}, errp(2005, `address ip must be "v4" or "v6"`)
	case err != nil || a.Zone() != "":
		return hostAddr{}, errp(2005, "invalid IP address "+el.text())
	case ip == "v4" && !a.Is4():
		return hostAddr{}, errp(2005, el.text()+" is not an IPv4 address")
	case ip == "v6" && (!a.Is6() || a.Is4In6()):
		return hostAddr{}, errp(2005, el.text()+" is not an IPv6 address")
	}
	return hostAddr{ip: ip, addr: a.String()}, nil
}

var (
	voiceRE = regexp.MustCompile(`^\+[0-9]{1,3}\.[0-9]{1,14}$`)
	emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	ccRE    = regexp.MustCompile(`^[A-Z]{2}$`)
)

// clientStatuses are the statuses a client may add or remove on a domain.
var clientStatuses = map[string]bool{
	"clientDeleteProhibited":   true,
	"clientHold":               true,
	"clientRenewProhibited":    true,
	"clientTransferProhibited": true,
	"clientUpdateProhibited":   true,
}

// serverOrPendingStatuses are valid RFC 5731/5732/5733 status values that
// only the server sets: naming one in an update is a policy error, not a
// syntax error.
var serverOrPendingStatuses = map[string]bool{
	"ok": true, "inactive": true, "linked": true,
	"pendingCreate": true, "pendingDelete": true, "pendingRenew": true,
	"pendingTransfer": true, "pendingUpdate": true,
	"serverDeleteProhibited": true, "serverHold": true, "serverRenewProhibited": true,
	"serverTransferProhibited": true, "serverUpdateProhibited": true,
}

// errp is fail as a pointer, for parse helpers that return (value, *response).
func errp(code int, reason string) *response {
	r := fail(code, reason)
	return &r
}
