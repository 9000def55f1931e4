package epp

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"fmt"
	"math/big"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeRegistry is a minimal EPP server for the client's unit tests: it
// records every request and answers with what the test's answer func
// returns (an empty answer drops the connection).
type fakeRegistry struct {
	t        *testing.T
	ln       net.Listener
	greeting string
	answer   func(req fakeRequest) string
	wg       sync.WaitGroup

	mu       sync.Mutex
	requests []fakeRequest
	open     int
	maxOpen  int
	conns    []net.Conn
}

// fakeRequest is a request as the fake registry read it.
type fakeRequest struct {
	Raw     string
	Hello   bool
	Command string // "login", "logout", "poll", "domain:create", ...
	ClTRID  string
	Login   *struct {
		ClientID string   `xml:"clID"`
		Password string   `xml:"pw"`
		ObjURIs  []string `xml:"svcs>objURI"`
		ExtURIs  []string `xml:"svcs>svcExtension>extURI"`
	}
}

const fakeGreeting = `<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><greeting><svID>fake</svID><svDate>2026-01-02T03:04:05.0Z</svDate>
<svcMenu><version>1.0</version><lang>en</lang>
<objURI>urn:ietf:params:xml:ns:domain-1.0</objURI><objURI>urn:ietf:params:xml:ns:contact-1.0</objURI>
<objURI>urn:example:params:xml:ns:other-1.0</objURI>
<svcExtension><extURI>urn:ietf:params:xml:ns:rgp-1.0</extURI><extURI>urn:example:ext-1.0</extURI></svcExtension>
</svcMenu></greeting></epp>`

// startFake serves until the test ends; its client side trusts it and
// presents a certificate. greeting replaces fakeGreeting.
func startFake(t *testing.T, answer func(fakeRequest) string, greeting ...string) (*fakeRegistry, Config) {
	t.Helper()
	serverCert, serverPool := testCertificate(t, "127.0.0.1")
	clientCert, _ := testCertificate(t, "client")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientAuth:   tls.RequireAnyClientCert,
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeRegistry{t: t, ln: ln, greeting: fakeGreeting, answer: answer}
	if len(greeting) > 0 {
		f.greeting = greeting[0]
	}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.close)
	cfg := Config{
		Address:        ln.Addr().String(),
		TLS:            &tls.Config{RootCAs: serverPool, Certificates: []tls.Certificate{clientCert}},
		ClientID:       "reg-a",
		Password:       "secret-pw",
		CommandTimeout: 5 * time.Second,
		KeepAlive:      -1,
	}
	return f, cfg
}

func (f *fakeRegistry) close() {
	_ = f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *fakeRegistry) accept() {
	defer f.wg.Done()
	for {
		conn, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, conn)
		f.open++
		f.maxOpen = max(f.maxOpen, f.open)
		f.mu.Unlock()
		f.wg.Add(1)
		go f.serve(conn)
	}
}

func (f *fakeRegistry) serve(conn net.Conn) {
	defer f.wg.Done()
	defer func() {
		_ = conn.Close()
		f.mu.Lock()
		f.open--
		f.mu.Unlock()
	}()
	if WriteFrame(conn, []byte(f.greeting)) != nil {
		return
	}
	for {
		data, err := ReadFrame(conn, DefaultMaxFrameSize)
		if err != nil {
			return
		}
		req := parseFakeRequest(data)
		f.mu.Lock()
		f.requests = append(f.requests, req)
		f.mu.Unlock()
		out := f.respond(req)
		if out == "" || WriteFrame(conn, []byte(out)) != nil {
			return
		}
	}
}

func (f *fakeRegistry) respond(req fakeRequest) string {
	if f.answer != nil {
		if out := f.answer(req); out != "-" {
			return out
		}
	}
	switch {
	case req.Hello:
		return f.greeting
	case req.Command == "logout":
		return reply(req, 1500, "")
	}
	return reply(req, 1000, "")
}

// reply is a response with the result code, whatever follows the result
// (msgQ, resData, extension) and the request's clTRID.
func reply(req fakeRequest, code int, rest string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><response>`+
		`<result code="%d"><msg>result %d</msg></result>%s<trID><clTRID>%s</clTRID><svTRID>SV-1</svTRID></trID></response></epp>`,
		code, code, rest, req.ClTRID)
}

func parseFakeRequest(data []byte) fakeRequest {
	var doc struct {
		Hello   *struct{} `xml:"hello"`
		Command *struct {
			Login *struct {
				ClientID string   `xml:"clID"`
				Password string   `xml:"pw"`
				ObjURIs  []string `xml:"svcs>objURI"`
				ExtURIs  []string `xml:"svcs>svcExtension>extURI"`
			} `xml:"login"`
			Any []struct {
				XMLName xml.Name
				Objects []struct {
					XMLName xml.Name
				} `xml:",any"`
			} `xml:",any"`
			ClTRID string `xml:"clTRID"`
		} `xml:"command"`
	}
	req := fakeRequest{Raw: string(data)}
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		req.Command = "unparsable"
		return req
	}
	req.Hello = doc.Hello != nil
	if c := doc.Command; c != nil {
		req.ClTRID = c.ClTRID
		req.Login = c.Login
		if c.Login != nil {
			req.Command = "login"
		}
		for _, a := range c.Any {
			req.Command = a.XMLName.Local
			if len(a.Objects) > 0 {
				o := a.Objects[0].XMLName
				req.Command = map[string]string{NSDomain: "domain", NSContact: "contact", NSHost: "host"}[o.Space] + ":" + o.Local
			}
		}
	}
	return req
}

// commands lists the recorded command names (hello as "hello").
func (f *fakeRegistry) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests {
		if r.Hello {
			out = append(out, "hello")
		} else {
			out = append(out, r.Command)
		}
	}
	return out
}

func (f *fakeRegistry) last() fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[len(f.requests)-1]
}

func (f *fakeRegistry) request(i int) fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[i]
}

func (f *fakeRegistry) all() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func (f *fakeRegistry) count(command string) int {
	n := 0
	for _, c := range f.commands() {
		if c == command {
			n++
		}
	}
	return n
}

// testCertificate is a self-signed certificate for name (an IP address
// gets it as its SAN) and a pool that trusts it.
func testCertificate(t *testing.T, name string) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
