package eppregistry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHandshakeRefusedWithoutClientCertificate(t *testing.T) {
	r, _ := newRegistry(t, nil)

	// No certificate: the server refuses at the handshake; with TLS 1.3
	// the client learns it at its first read.
	conn, err := tls.Dial("tcp", r.Addr(), tlsConfig(t, r, nil, nil))
	if err == nil {
		c := &client{t: t, conn: conn}
		if _, err = c.read(); err == nil {
			t.Fatal("got a greeting without a client certificate")
		}
		_ = conn.Close()
	}

	// A certificate from another CA is refused the same way.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: clA},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	conn, err = tls.Dial("tcp", r.Addr(), tlsConfig(t, r, certPEM, keyPEM))
	if err == nil {
		c := &client{t: t, conn: conn}
		if _, err = c.read(); err == nil {
			t.Fatal("got a greeting with a foreign client certificate")
		}
		_ = conn.Close()
	}
}

func TestGreeting(t *testing.T) {
	r, _ := newRegistry(t, nil)
	c := connect(t, r, clA)
	g := c.send(`<?xml version="1.0"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`)
	if !strings.Contains(g, "<svDate>2030-03-10T12:00:00.0Z</svDate>") || strings.Contains(g, nsHost) ||
		!strings.Contains(g, "<extURI>"+nsRGP+"</extURI>") || !strings.Contains(g, "<dcp>") {
		t.Fatalf("unexpected greeting: %s", g)
	}
	r2, _ := newRegistry(t, func(c *Config) { c.HostObjects = true })
	g = connect(t, r2, clA).send(`<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`)
	if !strings.Contains(g, "<objURI>"+nsHost+"</objURI>") {
		t.Fatalf("host objects not offered: %s", g)
	}
}

func TestLoginFailuresAndLockout(t *testing.T) {
	r, _ := newRegistry(t, nil)

	c := connect(t, r, clA)
	for i := range 2 {
		if code, _ := c.login(clA, "wrong-password", false); code != 2200 {
			t.Fatalf("wrong password %d: got %d", i, code)
		}
	}
	// The third failure locks the client and closes the connection.
	if code, _ := c.login(clA, "wrong-password", false); code != 2200 || !c.closed() {
		t.Fatalf("third failure: got %d (or the connection stayed open)", code)
	}
	c = connect(t, r, clA)
	if code, resp := c.login(clA, pwA, false); code != 2200 || !c.closed() {
		t.Fatalf("locked client with the right password: %d\n%s", code, resp)
	}
	r.UnlockAccount(clA)
	login(t, r, clA, pwA)

	// A valid certificate of another client does not log in as this one.
	c = connect(t, r, clB)
	if code, _ := c.login(clA, pwA, false); code != 2200 {
		t.Fatalf("certificate CN mismatch: got %d", code)
	}
	// Unknown client.
	if code, _ := connect(t, r, "nobody").login("nobody", "whatever-1", false); code != 2200 {
		t.Fatalf("unknown client: got %d", code)
	}

	r.RefuseLogins(true)
	c = connect(t, r, clB)
	if code, _ := c.login(clB, pwB, false); code != 2501 || !c.closed() {
		t.Fatalf("refused login: got %d", code)
	}
	r.RefuseLogins(false)
	login(t, r, clB, pwB)
}

func TestLoginProtocolChecks(t *testing.T) {
	r, _ := newRegistry(t, nil)
	c := connect(t, r, clA)
	c.expect(2002, domainCheck("example.com"))
	c.expect(2307, `<login><clID>registrar-a</clID><pw>secret-a-123</pw><options><version>1.0</version><lang>en</lang></options><svcs><objURI>`+nsHost+`</objURI></svcs></login>`)
	c.expect(2100, `<login><clID>registrar-a</clID><pw>secret-a-123</pw><options><version>2.0</version><lang>en</lang></options><svcs><objURI>`+nsDomain+`</objURI></svcs></login>`)
	c.expect(2103, `<login><clID>registrar-a</clID><pw>secret-a-123</pw><options><version>1.0</version><lang>en</lang></options><svcs><objURI>`+nsDomain+`</objURI><svcExtension><extURI>urn:ietf:params:xml:ns:secDNS-1.1</extURI></svcExtension></svcs></login>`)
	if code, _ := c.login(clA, pwA, false); code != 1000 {
		t.Fatalf("login: %d", code)
	}
	if code, _ := c.login(clA, pwA, false); code != 2002 {
		t.Fatalf("second login: %d", code)
	}
	c.expect(1000, domainCheck("example.com"))
	if got := r.Commands(clA); !slices.Equal(got, []string{"login", "login", "login", "login", "login", "domain:check"}) {
		t.Fatalf("commands: %v", got)
	}
	if got := r.Commands(""); !slices.Equal(got, []string{"domain:check"}) {
		t.Fatalf("commands before login: %v", got)
	}
	c.expect(1500, `<logout/>`)
	if !c.closed() {
		t.Fatal("logout did not close")
	}
}

func TestSessionLimit(t *testing.T) {
	r, _ := newRegistry(t, func(c *Config) { c.MaxSessionsPerAccount = 2 })
	first := login(t, r, clA, pwA)
	login(t, r, clA, pwA)
	c := connect(t, r, clA)
	if code, _ := c.login(clA, pwA, false); code != 2502 || !c.closed() {
		t.Fatalf("third session: %d", code)
	}
	if n := r.Sessions(clA); n != 2 {
		t.Fatalf("Sessions = %d", n)
	}
	first.expect(1500, `<logout/>`)
	deadline := time.Now().Add(5 * time.Second)
	for r.Sessions(clA) != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	login(t, r, clA, pwA)
	login(t, r, clB, pwB) // the limit is per account
}

func TestFramingAndSyntax(t *testing.T) {
	r, _ := newRegistry(t, nil)
	c := login(t, r, clA, pwA)

	for name, doc := range map[string]string{
		"garbage":         `this is not xml <<<`,
		"wrong namespace": `<epp xmlns="urn:example"><hello/></epp>`,
		"no clTRID":       `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/></command></epp>`,
		"short clTRID":    `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/><clTRID>ab</clTRID></command></epp>`,
		"long clTRID":     `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><logout/><clTRID>` + strings.Repeat("x", 65) + `</clTRID></command></epp>`,
		"doctype":         `<!DOCTYPE epp [<!ENTITY x "y">]><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`,
		"two roots":       `<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/></epp>`,
	} {
		if code := resultCode(t, c.send(doc)); code != 2001 {
			t.Errorf("%s: got %d", name, code)
		}
	}
	c.expect(2307, `<check><x:check xmlns:x="urn:example:obj"><x:name>a</x:name></x:check></check>`)
	c.expect(2000, `<frobnicate/>`)
	c.expect(2001, `<check><domain:check `+dNS+`><domain:name>example.com</domain:name><domain:bogus/></domain:check></check>`)
	c.expect(2005, domainCheck("Example.COM"))
	c.expect(2005, domainCheck("-bad-.com"))
	c.expect(2005, domainCheck("nodot"))
	// The session survived all of that.
	resp := c.expect(1000, domainCheck("example.com"))
	if attrOf(resp, "domain:name", "avail") != "1" {
		t.Fatalf("check: %s", resp)
	}
	if got := field(resp, "clTRID"); got == "" || field(resp, "svTRID") == "" {
		t.Fatalf("trID missing: %s", resp)
	}

	// An oversized frame closes the connection.
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], maxFrameSize+1)
	_, _ = c.conn.Write(hdr[:])
	if !c.closed() {
		t.Fatal("oversized frame did not close the connection")
	}
}

func TestCreateRenewAndLimits(t *testing.T) {
	r, clk := newRegistry(t, nil)
	a := setupDomain(t, r, "example.com")
	a.expect(2302, domainCreate("example.com", 1, "jd1", "", "domain-pw-1"))
	a.expect(2004, domainCreate("eleven.com", 11, "jd1", "", "domain-pw-1"))
	a.expect(2004, domainCreate("zero.com", 0, "jd1", "", "domain-pw-1"))
	a.expect(2003, domainCreate("noauth.com", 1, "jd1", "", ""))
	a.expect(2303, domainCreate("nocontact.com", 1, "nobody", "", "domain-pw-1"))
	a.expect(2005, domainCreate("UPPER.com", 1, "jd1", "", "domain-pw-1"))
	var ns strings.Builder
	for i := range 14 {
		ns.WriteString("<domain:hostAttr><domain:hostName>ns" + string(rune('a'+i)) + ".example.net</domain:hostName></domain:hostAttr>")
	}
	a.expect(2004, domainCreate("manyns.com", 1, "jd1", ns.String(), "domain-pw-1"))

	// Another registrar's contact cannot be the registrant.
	b := login(t, r, clB, pwB)
	b.expect(2201, domainCreate("theirs.com", 1, "jd1", "", "domain-pw-1"))

	d, ok := r.Domain("example.com")
	if !ok || d.Creates != 1 || d.Sponsor != clA || !d.Expires.Equal(t0.AddDate(1, 0, 0)) {
		t.Fatalf("domain: %+v", d)
	}
	if !slices.Equal(d.Statuses, []string{"ok", "inactive"}) {
		t.Fatalf("statuses: %v", d.Statuses)
	}

	resp := a.expect(2306, domainRenew("example.com", "2030-03-11", 1))
	if !strings.Contains(resp, "<reason>") {
		t.Fatalf("no reason: %s", resp)
	}
	clk.Step(24 * time.Hour)
	b.expect(2201, domainRenew("example.com", "2031-03-10", 1))
	a.expect(1000, domainRenew("example.com", "2031-03-10", 1))
	d, _ = r.Domain("example.com")
	if d.Renewals != 1 || !d.Expires.Equal(t0.AddDate(2, 0, 0)) {
		t.Fatalf("after renew: %+v", d)
	}
	a.expect(2306, domainRenew("example.com", "2031-03-10", 1)) // stale date
	a.expect(2306, domainRenew("example.com", "2032-03-10", 9)) // beyond 10 years from now
	a.expect(2004, domainRenew("example.com", "2032-03-10", 11))
	resp = a.expect(1000, domainRenew("example.com", "2032-03-10", 8))
	if field(resp, "domain:exDate") != "2040-03-10T12:00:00.0Z" {
		t.Fatalf("renew exDate: %s", resp)
	}
	charges := r.Charges(clA)
	if len(charges) != 3 || charges[0].Op != "create" || charges[1] != (Charge{Domain: "example.com", Op: "renew", Years: 1, At: t0.Add(24 * time.Hour)}) || charges[2].Years != 8 {
		t.Fatalf("charges: %+v", charges)
	}
}

func TestDomainInfoVisibility(t *testing.T) {
	r, _ := newRegistry(t, nil)
	a := setupDomain(t, r, "example.com")
	resp := a.expect(1000, domainInfo("example.com", ""))
	if field(resp, "domain:pw") != "domain-pw-1" || field(resp, "domain:registrant") != "jd1" || field(resp, "domain:clID") != clA {
		t.Fatalf("sponsor info: %s", resp)
	}
	b := login(t, r, clB, pwB)
	resp = b.expect(1000, domainInfo("example.com", ""))
	if strings.Contains(resp, "domain:registrant") || strings.Contains(resp, "domain:pw") || field(resp, "domain:exDate") == "" {
		t.Fatalf("limited info: %s", resp)
	}
	resp = b.expect(1000, domainInfo("example.com", "domain-pw-1"))
	if field(resp, "domain:registrant") != "jd1" || strings.Contains(resp, "domain:pw") {
		t.Fatalf("info with authInfo: %s", resp)
	}
	b.expect(2202, domainInfo("example.com", "wrong-pw-1"))
	b.expect(2303, domainInfo("missing.com", ""))
	b.expect(2201, `<info><contact:info `+cNS+`><contact:id>jd1</contact:id></contact:info></info>`)
	resp = a.expect(1000, `<info><contact:info `+cNS+`><contact:id>jd1</contact:id></contact:info></info>`)
	if !strings.Contains(resp, `<contact:status s="linked"/>`) || field(resp, "contact:email") != "jane@example.net" {
		t.Fatalf("contact info: %s", resp)
	}
}

func TestHostAttrModeStrictness(t *testing.T) {
	r, _ := newRegistry(t, nil) // HostObjects false
	a := login(t, r, clA, pwA)
	a.expect(1000, contactCreate("jd1"))
	a.expect(2306, domainCreate("obj.com", 1, "jd1", "<domain:hostObj>ns1.example.net</domain:hostObj>", "domain-pw-1"))
	// In-domain name servers need glue, others may not have it.
	a.expect(2003, domainCreate("glue.com", 1, "jd1", "<domain:hostAttr><domain:hostName>ns1.glue.com</domain:hostName></domain:hostAttr>", "domain-pw-1"))
	a.expect(2306, domainCreate("glue.com", 1, "jd1", `<domain:hostAttr><domain:hostName>ns1.example.net</domain:hostName><domain:hostAddr ip="v4">192.0.2.1</domain:hostAddr></domain:hostAttr>`, "domain-pw-1"))
	a.expect(2005, domainCreate("glue.com", 1, "jd1", `<domain:hostAttr><domain:hostName>ns1.glue.com</domain:hostName><domain:hostAddr ip="v4">2001:db8::1</domain:hostAddr></domain:hostAttr>`, "domain-pw-1"))
	a.expect(1000, domainCreate("glue.com", 1, "jd1", `<domain:hostAttr><domain:hostName>ns1.glue.com</domain:hostName><domain:hostAddr ip="v4">192.0.2.1</domain:hostAddr></domain:hostAttr><domain:hostAttr><domain:hostName>ns.example.net</domain:hostName></domain:hostAttr>`, "domain-pw-1"))
	d, _ := r.Domain("glue.com")
	if !slices.Equal(d.NameServers, []string{"ns1.glue.com", "ns.example.net"}) || !slices.Equal(d.Statuses, []string{"ok"}) {
		t.Fatalf("domain: %+v", d)
	}
	resp := a.expect(1000, domainInfo("glue.com", ""))
	if !strings.Contains(resp, `<domain:hostAddr ip="v4">192.0.2.1</domain:hostAddr>`) {
		t.Fatalf("info: %s", resp)
	}
	// Host commands do not exist in this mode.
	a.expect(2307, hostCreate("ns2.example.net"))
}

func TestHostObjModeStrictness(t *testing.T) {
	r, _ := newRegistry(t, func(c *Config) { c.HostObjects = true })
	a := login(t, r, clA, pwA)
	a.expect(1000, contactCreate("jd1"))
	a.expect(2306, domainCreate("attr.com", 1, "jd1", "<domain:hostAttr><domain:hostName>ns1.example.net</domain:hostName></domain:hostAttr>", "domain-pw-1"))
	a.expect(2303, domainCreate("obj.com", 1, "jd1", "<domain:hostObj>ns1.example.net</domain:hostObj>", "domain-pw-1"))
	a.expect(2306, hostCreate("ns1.example.net", "192.0.2.1")) // external: no addresses
	a.expect(1000, hostCreate("ns1.example.net"))
	a.expect(2302, hostCreate("ns1.example.net"))
	a.expect(1000, domainCreate("obj.com", 1, "jd1", "<domain:hostObj>ns1.example.net</domain:hostObj>", "domain-pw-1"))
	// Subordinate hosts need the parent to be yours and an address.
	a.expect(2003, hostCreate("ns1.obj.com"))
	a.expect(1000, hostCreate("ns1.obj.com", "192.0.2.53"))
	b := login(t, r, clB, pwB)
	b.expect(2201, hostCreate("ns2.obj.com", "192.0.2.54"))
	// Linked hosts and parents of hosts cannot be deleted.
	a.expect(2305, `<delete><host:delete `+hNS+`><host:name>ns1.example.net</host:name></host:delete></delete>`)
	a.expect(2305, domainDelete("obj.com"))
	resp := a.expect(1000, domainInfo("obj.com", ""))
	if field(resp, "domain:hostObj") != "ns1.example.net" || field(resp, "domain:host") != "ns1.obj.com" {
		t.Fatalf("info: %s", resp)
	}
	a.expect(1000, `<delete><host:delete `+hNS+`><host:name>ns1.obj.com</host:name></host:delete></delete>`)
	a.expect(1001, domainDelete("obj.com"))
}

func TestDomainUpdate(t *testing.T) {
	r, _ := newRegistry(t, nil)
	a := setupDomain(t, r, "example.com")
	ns1 := `<domain:ns><domain:hostAttr><domain:hostName>ns1.example.net</domain:hostName></domain:hostAttr></domain:ns>`
	a.expect(1000, domainUpdate("example.com", `<domain:add>`+ns1+`<domain:status s="clientTransferProhibited"/></domain:add>`))
	a.expect(2306, domainUpdate("example.com", `<domain:add>`+ns1+`</domain:add>`))
	a.expect(2306, domainUpdate("example.com", `<domain:rem><domain:status s="clientHold"/></domain:rem>`))
	a.expect(2306, domainUpdate("example.com", `<domain:add><domain:status s="serverHold"/></domain:add>`))
	a.expect(2005, domainUpdate("example.com", `<domain:add><domain:status s="bogus"/></domain:add>`))
	a.expect(2003, domainUpdate("example.com", ``))
	a.expect(1000, domainUpdate("example.com", `<domain:add><domain:status s="clientUpdateProhibited"/></domain:add>`))
	a.expect(2304, domainUpdate("example.com", `<domain:chg><domain:authInfo><domain:pw>new-pw-123</domain:pw></domain:authInfo></domain:chg>`))
	a.expect(1000, domainUpdate("example.com", `<domain:rem><domain:status s="clientUpdateProhibited"/></domain:rem><domain:chg><domain:authInfo><domain:pw>new-pw-123</domain:pw></domain:authInfo></domain:chg>`))
	a.expect(2306, domainUpdate("example.com", `<domain:chg><domain:authInfo><domain:pw>short</domain:pw></domain:authInfo></domain:chg>`))
	b := login(t, r, clB, pwB)
	b.expect(2201, domainUpdate("example.com", `<domain:rem>`+ns1+`</domain:rem>`))
	d, _ := r.Domain("example.com")
	if d.AuthInfo != "new-pw-123" || !slices.Equal(d.NameServers, []string{"ns1.example.net"}) ||
		!slices.Equal(d.Statuses, []string{"clientTransferProhibited"}) {
		t.Fatalf("domain: %+v", d)
	}
	b.expect(2304, domainTransfer("request", "example.com", "new-pw-123"))
	a.expect(2305, `<delete><contact:delete `+cNS+`><contact:id>jd1</contact:id></contact:delete></delete>`)
	a.expect(1000, `<update><contact:update `+cNS+`><contact:id>jd1</contact:id><contact:chg><contact:email>new@example.net</contact:email></contact:chg></contact:update></update>`)
	if c, _ := r.Contact("jd1"); c.Email != "new@example.net" || c.Updates != 1 || c.CountryCode != "DE" {
		t.Fatalf("contact: %+v", c)
	}
}

func TestContactValidation(t *testing.T) {
	r, _ := newRegistry(t, nil)
	a := login(t, r, clA, pwA)
	a.expect(1000, contactCreate("jd1"))
	a.expect(2302, contactCreate("jd1"))
	a.expect(2005, contactCreate("j"))
	a.expect(2005, strings.Replace(contactCreate("jd2"), "+49.301234567", "030 1234567", 1))
	a.expect(2005, strings.Replace(contactCreate("jd2"), "jane@example.net", "not-an-email", 1))
	a.expect(2005, strings.Replace(contactCreate("jd2"), ">DE<", ">de<", 1))
	a.expect(2003, strings.Replace(contactCreate("jd2"), "<contact:email>jane@example.net</contact:email>", "", 1))
	a.expect(2003, strings.Replace(contactCreate("jd2"), "<contact:authInfo><contact:pw>contact-pw-1</contact:pw></contact:authInfo>", "", 1))
	resp := a.expect(1000, `<check><contact:check `+cNS+`><contact:id>jd1</contact:id><contact:id>jd2</contact:id></contact:check></check>`)
	if !strings.Contains(resp, `<contact:id avail="0">jd1</contact:id>`) || !strings.Contains(resp, `<contact:id avail="1">jd2</contact:id>`) {
		t.Fatalf("check: %s", resp)
	}
}

func TestTransferApproveWithPollMessages(t *testing.T) {
	r, clk := newRegistry(t, nil)
	a := setupDomain(t, r, "example.com")
	b := login(t, r, clB, pwB)
	a.expect(1300, pollReq)

	a.expect(2106, domainTransfer("request", "example.com", "domain-pw-1"))
	b.expect(2202, domainTransfer("request", "example.com", "wrong-pw-1"))
	resp := b.expect(1001, domainTransfer("request", "example.com", "domain-pw-1"))
	if field(resp, "domain:trStatus") != "pending" || field(resp, "domain:reID") != clB || field(resp, "domain:acID") != clA ||
		field(resp, "domain:acDate") != "2030-03-15T12:00:00.0Z" || field(resp, "domain:exDate") != "2032-03-10T12:00:00.0Z" {
		t.Fatalf("request: %s", resp)
	}
	b.expect(2300, domainTransfer("request", "example.com", "domain-pw-1"))
	a.expect(2304, domainDelete("example.com"))
	if d, _ := r.Domain("example.com"); !slices.Contains(d.Statuses, "pendingTransfer") {
		t.Fatalf("statuses: %v", d.Statuses)
	}

	// The losing registrar hears about the request.
	resp = a.expect(1301, pollReq)
	reqMsg := attrOf(resp, "msgQ", "id")
	if attrOf(resp, "msgQ", "count") != "1" || field(resp, "domain:trStatus") != "pending" {
		t.Fatalf("poll: %s", resp)
	}
	// Unacknowledged messages come back.
	if again := a.expect(1301, pollReq); attrOf(again, "msgQ", "id") != reqMsg {
		t.Fatalf("poll again: %s", again)
	}
	a.expect(2303, pollAck("999999"))
	b.expect(2303, pollAck(reqMsg)) // not B's message
	b.expect(2201, domainTransfer("approve", "example.com", ""))

	clk.Step(time.Hour)
	resp = a.expect(1000, domainTransfer("approve", "example.com", ""))
	if field(resp, "domain:trStatus") != "clientApproved" {
		t.Fatalf("approve: %s", resp)
	}
	d, _ := r.Domain("example.com")
	if d.Sponsor != clB || d.AuthInfo == "domain-pw-1" || !d.Expires.Equal(t0.AddDate(2, 0, 0)) || slices.Contains(d.Statuses, "pendingTransfer") {
		t.Fatalf("after approve: %+v", d)
	}
	// A: request message + approval message; B: approval message.
	resp = a.expect(1000, pollAck(reqMsg))
	if attrOf(resp, "msgQ", "count") != "1" {
		t.Fatalf("ack: %s", resp)
	}
	resp = a.expect(1301, pollReq)
	if field(resp, "domain:trStatus") != "clientApproved" {
		t.Fatalf("A poll: %s", resp)
	}
	a.expect(1000, pollAck(attrOf(resp, "msgQ", "id")))
	a.expect(1300, pollReq)
	resp = b.expect(1301, pollReq)
	if field(resp, "domain:trStatus") != "clientApproved" || field(resp, "domain:name") != "example.com" {
		t.Fatalf("B poll: %s", resp)
	}
	b.expect(1000, pollAck(attrOf(resp, "msgQ", "id")))
	b.expect(1300, pollReq)

	if ch := r.Charges(clB); len(ch) != 1 || ch[0] != (Charge{Domain: "example.com", Op: "transfer", Years: 1, At: t0.Add(time.Hour)}) {
		t.Fatalf("B charges: %+v", ch)
	}
	resp = a.expect(1000, domainTransfer("query", "example.com", ""))
	if field(resp, "domain:trStatus") != "clientApproved" {
		t.Fatalf("query: %s", resp)
	}
	// The new sponsor renews; the old one cannot.
	a.expect(2201, domainRenew("example.com", "2032-03-10", 1))
	b.expect(1000, domainRenew("example.com", "2032-03-10", 1))
}

func TestTransferAutoApproveRejectAndCancel(t *testing.T) {
	r, clk := newRegistry(t, nil)
	r.AddDomain(clA, "old.com", 2, "old-pw-123")
	r.AddDomain(clA, "rej.com", 2, "rej-pw-123")
	b := login(t, r, clB, pwB)
	b.expect(1001, domainTransfer("request", "old.com", "old-pw-123"))
	b.expect(1001, domainTransfer("request", "rej.com", "rej-pw-123"))
	r.RejectTransfer("rej.com")
	if d, _ := r.Domain("rej.com"); d.Sponsor != clA {
		t.Fatalf("rejected transfer moved the domain: %+v", d)
	}
	b.expect(1001, domainTransfer("request", "rej.com", "rej-pw-123"))
	b.expect(1000, domainTransfer("cancel", "rej.com", ""))
	b.expect(2301, domainTransfer("cancel", "rej.com", ""))

	clk.Step(5*24*time.Hour - time.Second)
	if d, _ := r.Domain("old.com"); d.Sponsor != clA {
		t.Fatal("approved too early")
	}
	clk.Step(time.Second)
	resp := b.expect(1000, domainInfo("old.com", ""))
	if field(resp, "domain:clID") != clB || field(resp, "domain:exDate") != "2033-03-10T12:00:00.0Z" {
		t.Fatalf("after auto-approve: %s", resp)
	}
	b.expect(1000, domainRenew("old.com", "2033-03-10", 1))
	// B: rejected, auto-approved (a cancel only notifies the losing side).
	var statuses []string
	for {
		code, resp := b.cmd(pollReq)
		if code == 1300 {
			break
		}
		statuses = append(statuses, field(resp, "domain:name")+" "+field(resp, "domain:trStatus"))
		b.expect(1000, pollAck(attrOf(resp, "msgQ", "id")))
	}
	if !slices.Equal(statuses, []string{"rej.com clientRejected", "old.com serverApproved"}) {
		t.Fatalf("B poll messages: %v", statuses)
	}
	if got := r.PollQueue(clA); len(got) != 6 { // 3 requests, reject, cancel, auto-approve
		t.Fatalf("A queue: %v", got)
	}
}

func TestAutoRenewAndDeleteRefund(t *testing.T) {
	r, clk := newRegistry(t, func(c *Config) { c.PollAutoRenew = true })
	a := setupDomain(t, r, "example.com")
	a.expect(1000, domainCreate("keep.com", 1, "jd1", "", "domain-pw-1"))

	clk.Set(t0.AddDate(1, 0, 0).Add(time.Hour)) // an hour past expiry
	d, _ := r.Domain("example.com")
	if d.AutoRenewals != 1 || !d.Expires.Equal(t0.AddDate(2, 0, 0)) || !slices.Contains(d.Statuses, "autoRenewPeriod") {
		t.Fatalf("after expiry: %+v", d)
	}
	resp := a.expect(1000, domainInfo("example.com", ""))
	if !strings.Contains(resp, `<rgp:rgpStatus s="autoRenewPeriod"/>`) {
		t.Fatalf("no rgp status: %s", resp)
	}
	resp = a.expect(1301, pollReq)
	if !strings.Contains(resp, "domain:renData") {
		t.Fatalf("no auto-renew message: %s", resp)
	}

	a.expect(1001, domainDelete("example.com"))
	d, _ = r.Domain("example.com")
	if d.Deletes != 1 || !d.Expires.Equal(t0.AddDate(1, 0, 0)) ||
		!slices.Equal(d.Statuses, []string{"pendingDelete", "redemptionPeriod"}) {
		t.Fatalf("after delete: %+v", d)
	}
	var ops []string
	for _, c := range r.Charges(clA) {
		if c.Domain == "example.com" {
			ops = append(ops, c.Op)
		}
	}
	if !slices.Equal(ops, []string{"create", "autoRenew", "refund"}) {
		t.Fatalf("charges: %v", ops)
	}
	resp = a.expect(1000, domainCheck("example.com"))
	if attrOf(resp, "domain:name", "avail") != "0" {
		t.Fatalf("check during redemption: %s", resp)
	}
	a.expect(2302, domainCreate("example.com", 1, "jd1", "", "domain-pw-1"))
	a.expect(2304, domainRenew("example.com", "2031-03-10", 1))

	// Past the grace period a delete refunds nothing.
	clk.Set(t0.AddDate(1, 0, 0).Add(46 * 24 * time.Hour))
	a.expect(1001, domainDelete("keep.com"))
	refunds := 0
	for _, c := range r.Charges(clA) {
		if c.Domain == "keep.com" && c.Op == "refund" {
			refunds++
		}
	}
	if refunds != 0 {
		t.Fatal("refund after the grace period")
	}

	// After the redemption period the name is free again.
	clk.Set(t0.AddDate(1, 0, 0).Add(time.Hour + 30*24*time.Hour))
	if _, ok := r.Domain("example.com"); ok {
		t.Fatal("not purged")
	}
	resp = a.expect(1000, domainCheck("example.com"))
	if attrOf(resp, "domain:name", "avail") != "1" {
		t.Fatalf("check after purge: %s", resp)
	}
}

func TestRestore(t *testing.T) {
	r, clk := newRegistry(t, nil)
	a := setupDomain(t, r, "restore.com")
	a.expect(1001, domainDelete("restore.com"))
	clk.Step(24 * time.Hour)
	restore := domainUpdate("restore.com", `<domain:chg/>`) // + extension below
	restore = strings.Replace(restore, `</update>`, `</update><extension><rgp:update xmlns:rgp="urn:ietf:params:xml:ns:rgp-1.0"><rgp:restore op="request"/></rgp:update></extension>`, 1)
	a.expect(1000, restore)
	d, _ := r.Domain("restore.com")
	if !slices.Equal(d.Statuses, []string{"ok", "inactive"}) {
		t.Fatalf("after restore: %+v", d)
	}
	a.expect(2304, restore)
}

func TestDropAfterCommit(t *testing.T) {
	r, _ := newRegistry(t, nil)
	a := login(t, r, clA, pwA)
	a.expect(1000, contactCreate("jd1"))
	r.Inject(Fault{Command: "domain:create", DropAfterCommit: true})
	if _, err := a.sendRaw(a.wrap(domainCreate("example.com", 1, "jd1", "", "domain-pw-1"))); err == nil {
		t.Fatal("got an answer despite DropAfterCommit")
	}
	d, ok := r.Domain("example.com")
	if !ok || d.Creates != 1 {
		t.Fatalf("domain after dropped answer: %+v %v", d, ok)
	}
	// The client reconnects and retries: the registry says it exists.
	a = login(t, r, clA, pwA)
	a.expect(2302, domainCreate("example.com", 1, "jd1", "", "domain-pw-1"))
	if d, _ := r.Domain("example.com"); d.Creates != 1 {
		t.Fatalf("Creates = %d", d.Creates)
	}
	if n := len(r.Charges(clA)); n != 1 {
		t.Fatalf("charges: %d", n)
	}
}

func TestDropBeforeCommitAndDelay(t *testing.T) {
	r, _ := newRegistry(t, nil)
	a := login(t, r, clA, pwA)
	a.expect(1000, contactCreate("jd1"))
	r.Inject(Fault{Command: "domain:create", DropBeforeCommit: true, Times: 2})
	for range 2 {
		if _, err := a.sendRaw(a.wrap(domainCreate("example.com", 1, "jd1", "", "domain-pw-1"))); err == nil {
			t.Fatal("got an answer despite DropBeforeCommit")
		}
		if _, ok := r.Domain("example.com"); ok {
			t.Fatal("executed despite DropBeforeCommit")
		}
		a = login(t, r, clA, pwA)
	}
	r.Inject(Fault{Command: "*", Delay: 300 * time.Millisecond})
	start := time.Now()
	a.expect(1000, domainCreate("example.com", 1, "jd1", "", "domain-pw-1"))
	if time.Since(start) < 300*time.Millisecond {
		t.Fatal("not delayed")
	}
	r.Inject(Fault{Command: "poll", DropAfterCommit: true})
	if _, err := a.sendRaw(a.wrap(pollReq)); err == nil {
		t.Fatal("poll fault did not match")
	}
}

func TestPendingCreate(t *testing.T) {
	r, _ := newRegistry(t, nil)
	a := login(t, r, clA, pwA)
	a.expect(1000, contactCreate("jd1"))
	r.SetPendingCreates(true)
	a.expect(1001, domainCreate("pending.com", 1, "jd1", "", "domain-pw-1"))
	a.expect(1001, domainCreate("rejected.com", 1, "jd1", "", "domain-pw-1"))
	d, _ := r.Domain("pending.com")
	if !slices.Contains(d.Statuses, "pendingCreate") {
		t.Fatalf("statuses: %v", d.Statuses)
	}
	a.expect(2304, domainUpdate("pending.com", `<domain:add><domain:status s="clientHold"/></domain:add>`))
	r.ResolvePendingCreate("pending.com", true)
	r.ResolvePendingCreate("rejected.com", false)
	if d, _ := r.Domain("pending.com"); slices.Contains(d.Statuses, "pendingCreate") {
		t.Fatalf("still pending: %v", d.Statuses)
	}
	if _, ok := r.Domain("rejected.com"); ok {
		t.Fatal("rejected domain exists")
	}
	resp := a.expect(1301, pollReq)
	if attrOf(resp, "domain:name", "paResult") != "1" || field(resp, "clTRID") == "" || !strings.Contains(resp, "<domain:paTRID>") {
		t.Fatalf("panData: %s", resp)
	}
	a.expect(1000, pollAck(attrOf(resp, "msgQ", "id")))
	resp = a.expect(1301, pollReq)
	if attrOf(resp, "domain:name", "paResult") != "0" {
		t.Fatalf("panData: %s", resp)
	}
	var ops []string
	for _, c := range r.Charges(clA) {
		ops = append(ops, c.Domain+" "+c.Op)
	}
	if !slices.Equal(ops, []string{"pending.com create", "rejected.com create", "rejected.com refund"}) {
		t.Fatalf("charges: %v", ops)
	}
}

func TestCloseEndsSessions(t *testing.T) {
	r, _ := newRegistry(t, nil)
	a := login(t, r, clA, pwA)
	r.Inject(Fault{Command: "*", Delay: time.Hour})
	done := make(chan error, 1)
	go func() {
		_, err := a.sendRaw(a.wrap(domainCheck("example.com")))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("answer after Close")
	}
}

func TestConcurrentSessions(t *testing.T) {
	r, clk := newRegistry(t, nil)
	a := login(t, r, clA, pwA)
	a.expect(1000, contactCreate("jd1"))
	a.expect(1500, `<logout/>`)
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for w := range 4 {
		c := login(t, r, clA, pwA)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				name := fmt.Sprintf("w%d-%d.com", w, i)
				if code, resp := c.cmdNoFatal(domainCreate(name, 1, "jd1", "", "domain-pw-1")); code != 1000 {
					errs <- resp
				}
				clk.Step(time.Minute)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(r.DomainNames()); n != 40 {
		t.Fatalf("%d domains", n)
	}
}
