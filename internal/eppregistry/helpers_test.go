package eppregistry

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable Clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var t0 = time.Date(2030, 3, 10, 12, 0, 0, 0, time.UTC)

const (
	clA, pwA = "registrar-a", "secret-a-123"
	clB, pwB = "registrar-b", "secret-b-123"
)

// newRegistry starts a registry with two accounts and a fake clock.
func newRegistry(t *testing.T, mod func(*Config)) (*Registry, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: t0}
	cfg := Config{
		Clock:    clk,
		Accounts: []Account{{ClientID: clA, Password: pwA}, {ClientID: clB, Password: pwB}},
	}
	if mod != nil {
		mod(&cfg)
	}
	r, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, clk
}

// client is a raw EPP client over TLS: frames in, frames out.
type client struct {
	t    *testing.T
	conn *tls.Conn
	n    int
}

func tlsConfig(t *testing.T, r *Registry, certPEM, keyPEM []byte) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(r.CACertPEM()) {
		t.Fatal("bad CA PEM")
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certPEM != nil {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// connect dials with the client certificate of certID and reads the
// greeting.
func connect(t *testing.T, r *Registry, certID string) *client {
	t.Helper()
	certPEM, keyPEM := r.ClientCertificate(certID)
	conn, err := tls.Dial("tcp", r.Addr(), tlsConfig(t, r, certPEM, keyPEM))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := &client{t: t, conn: conn}
	g, err := c.read()
	if err != nil {
		t.Fatalf("greeting: %v", err)
	}
	if !strings.Contains(g, "<greeting>") {
		t.Fatalf("no greeting: %s", g)
	}
	return c
}

// login connects as clientID and logs in, failing the test unless 1000.
func login(t *testing.T, r *Registry, clientID, password string) *client {
	t.Helper()
	c := connect(t, r, clientID)
	if code, resp := c.login(clientID, password, r.cfg.HostObjects); code != 1000 {
		t.Fatalf("login %s: %d\n%s", clientID, code, resp)
	}
	return c
}

func (c *client) read() (string, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := readFrame(c.conn)
	return string(b), err
}

func (c *client) sendRaw(xmlText string) (string, error) {
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := writeFrame(c.conn, []byte(xmlText)); err != nil {
		return "", err
	}
	return c.read()
}

// send sends a whole document and fails the test if no answer comes.
func (c *client) send(xmlText string) string {
	c.t.Helper()
	resp, err := c.sendRaw(xmlText)
	if err != nil {
		c.t.Fatalf("no response: %v", err)
	}
	return resp
}

// cmd wraps a command element (and optional extension) with a clTRID.
func (c *client) cmd(inner string) (int, string) {
	c.t.Helper()
	resp := c.send(c.wrap(inner))
	return resultCode(c.t, resp), resp
}

// cmdNoFatal is cmd for other goroutines (no t.Fatal there): -1 on a
// transport error.
func (c *client) cmdNoFatal(inner string) (int, string) {
	resp, err := c.sendRaw(c.wrap(inner))
	if err != nil {
		return -1, err.Error()
	}
	m := codeRE.FindStringSubmatch(resp)
	if m == nil {
		return -1, resp
	}
	n, _ := strconv.Atoi(m[1])
	return n, resp
}

func (c *client) wrap(inner string) string {
	c.n++
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command>%s<clTRID>TEST-%04d</clTRID></command></epp>`, inner, c.n)
}

// expect runs a command and fails the test unless the code matches.
func (c *client) expect(code int, inner string) string {
	c.t.Helper()
	got, resp := c.cmd(inner)
	if got != code {
		c.t.Fatalf("want %d, got %d for\n%s\nresponse:\n%s", code, got, inner, resp)
	}
	return resp
}

// closed reports whether the server closed the connection.
func (c *client) closed() bool {
	_ = c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	var b [1]byte
	_, err := c.conn.Read(b[:])
	return err != nil
}

func (c *client) login(clID, pw string, hostObjects bool) (int, string) {
	c.t.Helper()
	uris := `<objURI>` + nsDomain + `</objURI><objURI>` + nsContact + `</objURI>`
	if hostObjects {
		uris += `<objURI>` + nsHost + `</objURI>`
	}
	return c.cmd(`<login><clID>` + clID + `</clID><pw>` + pw + `</pw><options><version>1.0</version><lang>en</lang></options><svcs>` +
		uris + `<svcExtension><extURI>` + nsRGP + `</extURI></svcExtension></svcs></login>`)
}

var codeRE = regexp.MustCompile(`<result code="(\d{4})">`)

func resultCode(t *testing.T, resp string) int {
	t.Helper()
	m := codeRE.FindStringSubmatch(resp)
	if m == nil {
		t.Fatalf("no result code in %s", resp)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// field returns the text of the first element with the given (prefixed)
// name in a response.
func field(resp, name string) string {
	re := regexp.MustCompile(`<` + regexp.QuoteMeta(name) + `(?:\s[^>]*)?>([^<]*)</` + regexp.QuoteMeta(name) + `>`)
	m := re.FindStringSubmatch(resp)
	if m == nil {
		return ""
	}
	return m[1]
}

func attrOf(resp, element, attr string) string {
	re := regexp.MustCompile(`<` + regexp.QuoteMeta(element) + `\s[^>]*` + attr + `="([^"]*)"`)
	m := re.FindStringSubmatch(resp)
	if m == nil {
		return ""
	}
	return m[1]
}

// ---- command builders ----

const (
	dNS = `xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"`
	cNS = `xmlns:contact="urn:ietf:params:xml:ns:contact-1.0"`
	hNS = `xmlns:host="urn:ietf:params:xml:ns:host-1.0"`
)

func contactCreate(id string) string {
	return `<create><contact:create ` + cNS + `><contact:id>` + id + `</contact:id>` +
		`<contact:postalInfo type="int"><contact:name>Jane Doe</contact:name><contact:org>Example Ltd</contact:org>` +
		`<contact:addr><contact:street>1 Main Street</contact:street><contact:city>Berlin</contact:city>` +
		`<contact:pc>10115</contact:pc><contact:cc>DE</contact:cc></contact:addr></contact:postalInfo>` +
		`<contact:voice>+49.301234567</contact:voice><contact:email>jane@example.net</contact:email>` +
		`<contact:authInfo><contact:pw>contact-pw-1</contact:pw></contact:authInfo></contact:create></create>`
}

// domainCreate builds a domain:create; ns is the raw content of domain:ns
// (empty for none).
func domainCreate(name string, years int, registrant, ns, authInfo string) string {
	s := `<create><domain:create ` + dNS + `><domain:name>` + name + `</domain:name>` +
		fmt.Sprintf(`<domain:period unit="y">%d</domain:period>`, years)
	if ns != "" {
		s += `<domain:ns>` + ns + `</domain:ns>`
	}
	s += `<domain:registrant>` + registrant + `</domain:registrant>` +
		`<domain:contact type="admin">` + registrant + `</domain:contact>`
	if authInfo != "" {
		s += `<domain:authInfo><domain:pw>` + authInfo + `</domain:pw></domain:authInfo>`
	}
	return s + `</domain:create></create>`
}

func domainInfo(name, authInfo string) string {
	s := `<info><domain:info ` + dNS + `><domain:name>` + name + `</domain:name>`
	if authInfo != "" {
		s += `<domain:authInfo><domain:pw>` + authInfo + `</domain:pw></domain:authInfo>`
	}
	return s + `</domain:info></info>`
}

func domainCheck(names ...string) string {
	s := `<check><domain:check ` + dNS + `>`
	for _, n := range names {
		s += `<domain:name>` + n + `</domain:name>`
	}
	return s + `</domain:check></check>`
}

func domainRenew(name, curExpDate string, years int) string {
	return `<renew><domain:renew ` + dNS + `><domain:name>` + name + `</domain:name><domain:curExpDate>` + curExpDate +
		fmt.Sprintf(`</domain:curExpDate><domain:period unit="y">%d</domain:period></domain:renew></renew>`, years)
}

func domainDelete(name string) string {
	return `<delete><domain:delete ` + dNS + `><domain:name>` + name + `</domain:name></domain:delete></delete>`
}

func domainUpdate(name, inner string) string {
	return `<update><domain:update ` + dNS + `><domain:name>` + name + `</domain:name>` + inner + `</domain:update></update>`
}

func domainTransfer(op, name, authInfo string) string {
	s := `<transfer op="` + op + `"><domain:transfer ` + dNS + `><domain:name>` + name + `</domain:name>`
	if authInfo != "" {
		s += `<domain:authInfo><domain:pw>` + authInfo + `</domain:pw></domain:authInfo>`
	}
	return s + `</domain:transfer></transfer>`
}

func hostCreate(name string, addrs ...string) string {
	s := `<create><host:create ` + hNS + `><host:name>` + name + `</host:name>`
	for _, a := range addrs {
		s += `<host:addr ip="v4">` + a + `</host:addr>`
	}
	return s + `</host:create></create>`
}

const (
	pollReq = `<poll op="req"/>`
)

func pollAck(id string) string { return `<poll op="ack" msgID="` + id + `"/>` }

// setupDomain logs in as registrar A, creates contact "jd1" and the domain.
func setupDomain(t *testing.T, r *Registry, name string) *client {
	t.Helper()
	a := login(t, r, clA, pwA)
	if _, ok := r.Contact("jd1"); !ok {
		a.expect(1000, contactCreate("jd1"))
	}
	a.expect(1000, domainCreate(name, 1, "jd1", "", "domain-pw-1"))
	return a
}
