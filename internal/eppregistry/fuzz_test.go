package eppregistry

import (
	"strings"
	"testing"
)

// FuzzHandle feeds arbitrary frames to a logged-in session: whatever comes
// in, the registry answers with a well-formed result or closes; it never
// panics or hangs.
func FuzzHandle(f *testing.F) {
	c := &client{n: 0}
	for _, seed := range []string{
		`<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`,
		c.wrap(contactCreate("jd1")),
		c.wrap(domainCreate("example.com", 1, "jd1", "<domain:hostAttr><domain:hostName>ns1.example.com</domain:hostName><domain:hostAddr>192.0.2.1</domain:hostAddr></domain:hostAttr>", "domain-pw-1")),
		c.wrap(domainUpdate("example.com", `<domain:add><domain:status s="clientHold"/></domain:add><domain:chg><domain:registrant>jd1</domain:registrant></domain:chg>`)),
		c.wrap(domainTransfer("request", "example.com", "domain-pw-1")),
		c.wrap(domainRenew("example.com", "2031-03-10", 1)),
		c.wrap(pollReq),
		c.wrap(pollAck("1")),
		c.wrap(`<info><domain:info ` + dNS + `><domain:name hosts="sub">example.com</domain:name></domain:info></info>`),
		c.wrap(hostCreate("ns1.example.com", "192.0.2.1")),
		c.wrap(`<logout/>`),
	} {
		f.Add([]byte(seed))
	}
	r, err := Start(Config{Clock: &fakeClock{t: t0}, Accounts: []Account{{ClientID: clA, Password: pwA}}, HostObjects: true})
	if err != nil {
		f.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &session{r: r, cn: clA, clID: clA,
			objURIs: map[string]bool{nsDomain: true, nsContact: true, nsHost: true},
			extURIs: map[string]bool{nsRGP: true}}
		out, _ := s.handle(data)
		if out == nil {
			return
		}
		if !strings.Contains(string(out), "<greeting>") && !codeRE.Match(out) {
			t.Fatalf("no result in %s", out)
		}
		// run turns a handler panic into 2400; here it is a bug.
		if strings.Contains(string(out), "internal error") {
			t.Fatalf("handler panicked: %s", out)
		}
		if _, err := parseXML(out); err != nil {
			t.Fatalf("response is not well-formed: %s", out)
		}
	})
}
