package epp

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// commandBody is the command element of a raw request, without the
// envelope and the clTRID.
func commandBody(t *testing.T, raw string) string {
	t.Helper()
	start, end := strings.Index(raw, "<command>"), strings.Index(raw, "<clTRID>")
	if start < 0 || end < start {
		t.Fatalf("not a command: %s", raw)
	}
	return raw[start+len("<command>") : end]
}

const (
	xd = `xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"`
	xc = `xmlns:contact="urn:ietf:params:xml:ns:contact-1.0"`
	xh = `xmlns:host="urn:ietf:params:xml:ns:host-1.0"`
)

// TestRequestXML pins the XML of every command: RFC 5731-5733 element
// names and the schemas' element order, which strict registries check.
func TestRequestXML(t *testing.T) {
	f, cfg := startFake(t, nil)
	c := newTestClient(t, cfg)
	berlin := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		name string
		call func(ctx context.Context) error
		want string
	}{
		{"domain:check", func(ctx context.Context) error {
			_, err := c.DomainCheck(ctx, "a.example", "b.example")
			return err
		}, `<check><domain:check ` + xd + `><domain:name>a.example</domain:name><domain:name>b.example</domain:name></domain:check></check>`},
		{"domain:info with authInfo", func(ctx context.Context) error {
			_, err := c.DomainInfo(ctx, "a.example", "pw<&>1")
			if errors.Is(err, ErrProtocol) {
				err = nil // the fake answers without infData
			}
			return err
		}, `<info><domain:info ` + xd + `><domain:name hosts="all">a.example</domain:name><domain:authInfo><domain:pw>pw&lt;&amp;&gt;1</domain:pw></domain:authInfo></domain:info></info>`},
		{"domain:create with host objects", func(ctx context.Context) error {
			_, err := c.DomainCreate(ctx, DomainCreate{
				Name: "a.example", Years: 2, NameServers: []string{"ns1.x.example", "ns2.x.example"},
				Registrant: "H1", Contacts: []DomainContact{{Type: "admin", ID: "A1"}}, AuthInfo: "code-1234",
			})
			return err
		}, `<create><domain:create ` + xd + `><domain:name>a.example</domain:name><domain:period unit="y">2</domain:period>` +
			`<domain:ns><domain:hostObj>ns1.x.example</domain:hostObj><domain:hostObj>ns2.x.example</domain:hostObj></domain:ns>` +
			`<domain:registrant>H1</domain:registrant><domain:contact type="admin">A1</domain:contact>` +
			`<domain:authInfo><domain:pw>code-1234</domain:pw></domain:authInfo></domain:create></create>`},
		{"domain:create with host attributes", func(ctx context.Context) error {
			_, err := c.DomainCreate(ctx, DomainCreate{
				Name: "a.example", NameServers: []string{"ns1.x.example"}, HostAttr: true, Registrant: "H1", AuthInfo: "code-1234",
			})
			return err
		}, `<create><domain:create ` + xd + `><domain:name>a.example</domain:name>` +
			`<domain:ns><domain:hostAttr><domain:hostName>ns1.x.example</domain:hostName></domain:hostAttr></domain:ns>` +
			`<domain:registrant>H1</domain:registrant><domain:authInfo><domain:pw>code-1234</domain:pw></domain:authInfo></domain:create></create>`},
		{"domain:renew takes the UTC date", func(ctx context.Context) error {
			_, err := c.DomainRenew(ctx, "a.example", time.Date(2027, 3, 11, 0, 30, 0, 0, berlin), 1)
			return err
		}, `<renew><domain:renew ` + xd + `><domain:name>a.example</domain:name><domain:curExpDate>2027-03-10</domain:curExpDate><domain:period unit="y">1</domain:period></domain:renew></renew>`},
		{"domain:update", func(ctx context.Context) error {
			_, err := c.DomainUpdate(ctx, DomainUpdate{
				Name: "a.example", AddNameServers: []string{"ns3.x.example"}, RemoveNameServers: []string{"ns1.x.example"},
				AddStatuses: []string{StatusClientTransferProhibited}, Registrant: "H2", AuthInfo: "new-code-1",
			})
			return err
		}, `<update><domain:update ` + xd + `><domain:name>a.example</domain:name>` +
			`<domain:add><domain:ns><domain:hostObj>ns3.x.example</domain:hostObj></domain:ns><domain:status s="clientTransferProhibited"></domain:status></domain:add>` +
			`<domain:rem><domain:ns><domain:hostObj>ns1.x.example</domain:hostObj></domain:ns></domain:rem>` +
			`<domain:chg><domain:registrant>H2</domain:registrant><domain:authInfo><domain:pw>new-code-1</domain:pw></domain:authInfo></domain:chg></domain:update></update>`},
		{"domain:update of the status only", func(ctx context.Context) error {
			_, err := c.DomainUpdate(ctx, DomainUpdate{Name: "a.example", RemoveStatuses: []string{StatusClientTransferProhibited}})
			return err
		}, `<update><domain:update ` + xd + `><domain:name>a.example</domain:name><domain:rem><domain:status s="clientTransferProhibited"></domain:status></domain:rem></domain:update></update>`},
		{"domain:delete", func(ctx context.Context) error {
			_, err := c.DomainDelete(ctx, "a.example")
			return err
		}, `<delete><domain:delete ` + xd + `><domain:name>a.example</domain:name></domain:delete></delete>`},
		{"domain:transfer request", func(ctx context.Context) error {
			_, err := c.DomainTransfer(ctx, TransferRequest, "a.example", "their-code", 1)
			return err
		}, `<transfer op="request"><domain:transfer ` + xd + `><domain:name>a.example</domain:name><domain:period unit="y">1</domain:period><domain:authInfo><domain:pw>their-code</domain:pw></domain:authInfo></domain:transfer></transfer>`},
		{"domain:transfer query", func(ctx context.Context) error {
			_, err := c.DomainTransfer(ctx, TransferQuery, "a.example", "", 1)
			return err
		}, `<transfer op="query"><domain:transfer ` + xd + `><domain:name>a.example</domain:name></domain:transfer></transfer>`},
		{"contact:create", func(ctx context.Context) error {
			return c.ContactCreate(ctx, Contact{
				ID: "H1", Name: "Erika Mustermann", Street: []string{"Heidestr. 17", "Hof", "3. OG", "too many"},
				City: "Berlin", PostalCode: "10557", CountryCode: "DE", Voice: "+49.301234", Email: "e@example.org", AuthInfo: "ct-code-1",
			})
		}, `<create><contact:create ` + xc + `><contact:id>H1</contact:id><contact:postalInfo type="int"><contact:name>Erika Mustermann</contact:name>` +
			`<contact:addr><contact:street>Heidestr. 17</contact:street><contact:street>Hof</contact:street><contact:street>3. OG</contact:street>` +
			`<contact:city>Berlin</contact:city><contact:pc>10557</contact:pc><contact:cc>DE</contact:cc></contact:addr></contact:postalInfo>` +
			`<contact:voice>+49.301234</contact:voice><contact:email>e@example.org</contact:email><contact:authInfo><contact:pw>ct-code-1</contact:pw></contact:authInfo></contact:create></create>`},
		{"contact:update", func(ctx context.Context) error {
			return c.ContactUpdate(ctx, Contact{
				ID: "H1", Name: "Erika", Organization: "Ex GmbH", Street: []string{"Markt 1"}, City: "Potsdam", CountryCode: "DE", Email: "e@example.org",
			})
		}, `<update><contact:update ` + xc + `><contact:id>H1</contact:id><contact:chg><contact:postalInfo type="int"><contact:name>Erika</contact:name><contact:org>Ex GmbH</contact:org>` +
			`<contact:addr><contact:street>Markt 1</contact:street><contact:city>Potsdam</contact:city><contact:cc>DE</contact:cc></contact:addr></contact:postalInfo>` +
			`<contact:email>e@example.org</contact:email></contact:chg></contact:update></update>`},
		{"host:create", func(ctx context.Context) error {
			return c.HostCreate(ctx, "ns1.a.example", netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"))
		}, `<create><host:create ` + xh + `><host:name>ns1.a.example</host:name><host:addr ip="v4">192.0.2.1</host:addr><host:addr ip="v6">2001:db8::1</host:addr></host:create></create>`},
		{"host:check", func(ctx context.Context) error {
			_, err := c.HostCheck(ctx, "ns1.a.example")
			return err
		}, `<check><host:check ` + xh + `><host:name>ns1.a.example</host:name></host:check></check>`},
		{"poll ack", func(ctx context.Context) error { return c.Ack(ctx, "12345") }, `<poll op="ack" msgID="12345"></poll>`},
		{"poll req", func(ctx context.Context) error {
			_, err := c.Poll(ctx)
			return err
		}, `<poll op="req"></poll>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			if got := commandBody(t, f.last().Raw); got != tc.want {
				t.Errorf("request\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestLoginAndTransactionIDs(t *testing.T) {
	f, cfg := startFake(t, nil)
	c := newTestClient(t, cfg)
	for range 3 {
		if _, err := c.DomainDelete(testCtx(t), "a.example"); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.commands(); !slices.Equal(got, []string{"login", "domain:delete", "domain:delete", "domain:delete"}) {
		t.Fatalf("commands %v: one login, then the session is reused", got)
	}
	login := f.request(0)
	want := `<login><clID>reg-a</clID><pw>secret-pw</pw><options><version>1.0</version><lang>en</lang></options>` +
		`<svcs><objURI>urn:ietf:params:xml:ns:domain-1.0</objURI><objURI>urn:ietf:params:xml:ns:contact-1.0</objURI>` +
		`<svcExtension><extURI>urn:ietf:params:xml:ns:rgp-1.0</extURI></svcExtension></svcs></login>`
	if got := commandBody(t, login.Raw); got != want {
		t.Errorf("login\n got %s\nwant %s", got, want)
	}
	seen := map[string]bool{}
	for _, r := range f.all() {
		if n := len(r.ClTRID); n < 3 || n > 64 || seen[r.ClTRID] {
			t.Errorf("clTRID %q: not unique or not 3..64 characters", r.ClTRID)
		}
		seen[r.ClTRID] = true
	}
	if !strings.HasPrefix(login.Raw, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %s", login.Raw)
	}
	g, err := c.Greeting(testCtx(t))
	if err != nil || g.ServerID != "fake" || !g.Offers(NSRGP) || g.Offers(NSHost) ||
		!g.ServerDate.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("greeting %+v, %v", g, err)
	}
}

func TestLoginWithHostObjects(t *testing.T) {
	f, cfg := startFake(t, nil, strings.Replace(fakeGreeting, "<objURI>urn:example",
		"<objURI>urn:ietf:params:xml:ns:host-1.0</objURI><objURI>urn:example", 1))
	c := newTestClient(t, cfg)
	g, err := c.Greeting(testCtx(t))
	if err != nil || !g.Offers(NSHost) {
		t.Fatalf("greeting %+v, %v", g, err)
	}
	if objs := f.request(0).Login.ObjURIs; !slices.Equal(objs, []string{NSDomain, NSContact, NSHost}) {
		t.Errorf("login objURIs %v", objs)
	}
}

// The responses below use the RFC examples, with the prefixes declared in
// different places, since a registry may declare them anywhere.
const domainInfData = `<resData><domain:infData xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
<domain:name>example.com</domain:name><domain:roid>EXAMPLE1-REP</domain:roid>
<domain:status s="ok"/><domain:status s="clientTransferProhibited">locked</domain:status>
<domain:registrant>jd1234</domain:registrant><domain:contact type="admin">sh8013</domain:contact>
<domain:ns><domain:hostObj>ns1.example.com</domain:hostObj><domain:hostObj> ns1.example.net </domain:hostObj></domain:ns>
<domain:host>ns1.example.com</domain:host><domain:clID>ClientX</domain:clID><domain:crID>ClientY</domain:crID>
<domain:crDate>1999-04-03T22:00:00.0Z</domain:crDate><domain:upDate>1999-12-03T09:00:00.0Z</domain:upDate>
<domain:exDate>2005-04-03T22:00:00.0Z</domain:exDate><domain:trDate>2000-04-08T09:00:00Z</domain:trDate>
<domain:authInfo><domain:pw>2fooBAR</domain:pw></domain:authInfo></domain:infData></resData>
<extension><rgp:infData xmlns:rgp="urn:ietf:params:xml:ns:rgp-1.0"><rgp:rgpStatus s="redemptionPeriod"/></rgp:infData></extension>`

func TestResponseParsing(t *testing.T) {
	var rest string
	code := 1000
	_, cfg := startFake(t, func(req fakeRequest) string {
		if req.Command == "login" {
			return "-"
		}
		return reply(req, code, rest)
	})
	c := newTestClient(t, cfg)
	ctx := testCtx(t)
	date := func(s string) time.Time {
		v, _ := time.Parse(time.RFC3339, s)
		return v
	}

	rest = domainInfData
	info, err := c.DomainInfo(ctx, "example.com", "")
	want := DomainInfo{
		Name: "example.com", ROID: "EXAMPLE1-REP", Statuses: []string{"ok", "clientTransferProhibited"},
		RGPStatuses: []string{"redemptionPeriod"}, Registrant: "jd1234", Contacts: []DomainContact{{"admin", "sh8013"}},
		NameServers: []string{"ns1.example.com", "ns1.example.net"}, Hosts: []string{"ns1.example.com"},
		ClientID: "ClientX", CreatorID: "ClientY", Created: date("1999-04-03T22:00:00Z"), Updated: date("1999-12-03T09:00:00Z"),
		Expires: date("2005-04-03T22:00:00Z"), Transferred: date("2000-04-08T09:00:00Z"), AuthInfo: "2fooBAR",
	}
	if err != nil || !equalInfo(info, want) {
		t.Errorf("domain:info\n got %+v, %v\nwant %+v", info, err, want)
	}

	rest = `<resData><infData xmlns="urn:ietf:params:xml:ns:domain-1.0"><name>a.example</name><ns><hostAttr><hostName>ns1.b.example</hostName>` +
		`<hostAddr ip="v4">192.0.2.1</hostAddr></hostAttr></ns><clID>me</clID><exDate>2030-01-01T00:00:00</exDate></infData></resData>`
	info, err = c.DomainInfo(ctx, "a.example", "")
	if err != nil || !slices.Equal(info.NameServers, []string{"ns1.b.example"}) || !info.Expires.Equal(date("2030-01-01T00:00:00Z")) {
		t.Errorf("domain:info with host attributes in the default namespace: %+v, %v", info, err)
	}

	rest = `<resData><infData xmlns="urn:example:not-domain"><name>a.example</name></infData></resData>`
	if _, err = c.DomainInfo(ctx, "a.example", ""); !errors.Is(err, ErrProtocol) {
		t.Errorf("an infData of another namespace: %v", err)
	}

	rest = `<resData><contact:infData xmlns:contact="urn:ietf:params:xml:ns:contact-1.0"><contact:id>sh8013</contact:id><contact:roid>SH8013-REP</contact:roid>` +
		`<contact:status s="linked"/><contact:postalInfo type="loc"><contact:name>Lokal</contact:name><contact:addr><contact:city>Ort</contact:city><contact:cc>DE</contact:cc></contact:addr></contact:postalInfo>` +
		`<contact:postalInfo type="int"><contact:name>John Doe</contact:name><contact:org>Example Inc.</contact:org><contact:addr><contact:street>123 Example Dr.</contact:street>` +
		`<contact:street>Suite 100</contact:street><contact:city>Dulles</contact:city><contact:sp>VA</contact:sp><contact:pc>20166-6503</contact:pc><contact:cc>US</contact:cc></contact:addr></contact:postalInfo>` +
		`<contact:voice x="1234">+1.7035555555</contact:voice><contact:email>jdoe@example.com</contact:email><contact:clID>ClientY</contact:clID>` +
		`<contact:crDate>1999-04-03T22:00:00.0Z</contact:crDate><contact:authInfo><contact:pw>2fooBAR</contact:pw></contact:authInfo></contact:infData></resData>`
	ci, err := c.ContactInfo(ctx, "sh8013", "")
	wantContact := Contact{ID: "sh8013", Name: "John Doe", Organization: "Example Inc.", Street: []string{"123 Example Dr.", "Suite 100"},
		City: "Dulles", Province: "VA", PostalCode: "20166-6503", CountryCode: "US", Voice: "+1.7035555555", Email: "jdoe@example.com", AuthInfo: "2fooBAR"}
	if err != nil || !equalContact(ci.Contact, wantContact) || ci.ClientID != "ClientY" || ci.ROID != "SH8013-REP" {
		t.Errorf("contact:info: %+v, %v", ci, err)
	}

	rest = `<resData><domain:chkData xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:cd><domain:name avail="1">a.example</domain:name></domain:cd>` +
		`<domain:cd><domain:name avail="0">b.example</domain:name><domain:reason>In use</domain:reason></domain:cd></domain:chkData></resData>`
	avail, err := c.DomainCheck(ctx, "a.example", "b.example")
	if err != nil || !slices.Equal(avail, []Availability{{"a.example", true, ""}, {"b.example", false, "In use"}}) {
		t.Errorf("domain:check: %+v, %v", avail, err)
	}

	rest = `<resData><host:infData xmlns:host="urn:ietf:params:xml:ns:host-1.0"><host:name>ns1.example.com</host:name><host:roid>NS1_EXAMPLE1-REP</host:roid>` +
		`<host:status s="linked"/><host:addr ip="v4">192.0.2.2</host:addr><host:addr ip="v6">1080::8:800:200C:417A</host:addr><host:clID>ClientY</host:clID></host:infData></resData>`
	host, err := c.HostInfo(ctx, "ns1.example.com")
	if err != nil || host.Name != "ns1.example.com" || host.ClientID != "ClientY" || !slices.Equal(host.Addresses, []string{"192.0.2.2", "1080::8:800:200C:417A"}) ||
		!slices.Equal(host.Statuses, []string{"linked"}) {
		t.Errorf("host:info: %+v, %v", host, err)
	}

	code = 1001
	rest = `<resData><domain:trnData xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name>a.example</domain:name><domain:trStatus>pending</domain:trStatus>` +
		`<domain:reID>ClientX</domain:reID><domain:reDate>2000-06-08T22:00:00.0Z</domain:reDate><domain:acID>ClientY</domain:acID>` +
		`<domain:acDate>2000-06-13T22:00:00.0Z</domain:acDate><domain:exDate>2002-09-08T22:00:00.0Z</domain:exDate></domain:trnData></resData>`
	trn, err := c.DomainTransfer(ctx, TransferRequest, "a.example", "code-1234", 1)
	if err != nil || trn.Code != 1001 || trn.Status != TransferPending || trn.RequestingID != "ClientX" || trn.ActingID != "ClientY" ||
		!trn.Expires.Equal(date("2002-09-08T22:00:00Z")) {
		t.Errorf("domain:transfer: %+v, %v", trn, err)
	}

	rest = `<resData><domain:creData xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name>a.example</domain:name>` +
		`<domain:crDate>1999-04-03T22:00:00.0Z</domain:crDate><domain:exDate>2001-04-03T22:00:00.0Z</domain:exDate></domain:creData></resData>`
	created, err := c.DomainCreate(ctx, DomainCreate{Name: "a.example", AuthInfo: "code-1234"})
	if err != nil || created.Code != 1001 || !created.Created.Equal(date("1999-04-03T22:00:00Z")) || !created.Expires.Equal(date("2001-04-03T22:00:00Z")) {
		t.Errorf("domain:create: %+v, %v", created, err)
	}
}

func TestPollParsing(t *testing.T) {
	var code int
	var rest string
	_, cfg := startFake(t, func(req fakeRequest) string {
		if req.Command == "login" {
			return "-"
		}
		return reply(req, code, rest)
	})
	c := newTestClient(t, cfg)
	ctx := testCtx(t)

	code, rest = 1300, ""
	if m, err := c.Poll(ctx); err != nil || m != nil {
		t.Errorf("empty queue: %+v, %v", m, err)
	}

	code = 1301
	rest = `<msgQ count="5" id="12345"><qDate>2000-06-08T22:10:00.0Z</qDate><msg lang="en">Pending action completed successfully.</msg></msgQ>` +
		`<resData><domain:panData xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name paResult="1">example.com</domain:name>` +
		`<domain:paTRID><clTRID>ABC-12345</clTRID><svTRID>54321-XYZ</svTRID></domain:paTRID><domain:paDate>1999-04-04T22:00:00.0Z</domain:paDate></domain:panData></resData>`
	m, err := c.Poll(ctx)
	if err != nil || m == nil || m.ID != "12345" || m.Count != 5 || m.Domain != "example.com" || m.Text != "Pending action completed successfully." ||
		m.Pending == nil || !m.Pending.Approved || m.Pending.ClTRID != "ABC-12345" {
		t.Errorf("panData message: %+v (%+v), %v", m, m.Pending, err)
	}

	rest = `<msgQ count="1" id="7"><qDate>2000-06-08T22:10:00.0Z</qDate><msg>Transfer requested.</msg></msgQ>` +
		`<resData><domain:trnData xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name>example.com</domain:name><domain:trStatus>clientApproved</domain:trStatus>` +
		`<domain:reID>ClientX</domain:reID><domain:reDate>2000-06-08T22:00:00.0Z</domain:reDate><domain:acID>ClientY</domain:acID><domain:acDate>2000-06-13T22:00:00.0Z</domain:acDate></domain:trnData></resData>`
	m, err = c.Poll(ctx)
	if err != nil || m == nil || m.Transfer == nil || m.Transfer.Status != TransferClientApproved || m.Transfer.RequestingID != "ClientX" || m.Domain != "example.com" {
		t.Errorf("trnData message: %+v, %v", m, err)
	}

	rest = `<msgQ count="1" id="8"><msg>Registry notice</msg></msgQ>` +
		`<resData><domain:somethingData xmlns:domain="urn:ietf:params:xml:ns:domain-1.0"><domain:name>other.example</domain:name></domain:somethingData></resData>`
	m, err = c.Poll(ctx)
	if err != nil || m == nil || m.Domain != "other.example" || m.Pending != nil || m.Transfer != nil {
		t.Errorf("unknown message: %+v, %v", m, err)
	}

	code, rest = 2303, ""
	if err := c.Ack(ctx, "8"); err != nil {
		t.Errorf("Ack of a message gone already: %v", err)
	}
}

func TestTimeParsing(t *testing.T) {
	want := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, in := range []string{"2026-05-01T12:00:00Z", "2026-05-01T12:00:00.0Z", "2026-05-01T14:00:00+02:00", "2026-05-01T12:00:00", " 2026-05-01T12:00:00.000Z "} {
		var v Time
		if err := v.UnmarshalText([]byte(in)); err != nil || !v.Equal(want) || v.Location() != time.UTC {
			t.Errorf("%q: %s, %v", in, v.Time, err)
		}
	}
	var v Time
	if err := v.UnmarshalText([]byte("2026-05-01")); err != nil || !v.Equal(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date only: %s, %v", v.Time, err)
	}
	if err := v.UnmarshalText([]byte("")); err != nil || !v.IsZero() {
		t.Errorf("empty: %s, %v", v.Time, err)
	}
	if err := v.UnmarshalText([]byte("yesterday")); err == nil {
		t.Error("garbage parsed")
	}
}

func equalInfo(a, b DomainInfo) bool {
	return a.Name == b.Name && a.ROID == b.ROID && slices.Equal(a.Statuses, b.Statuses) && slices.Equal(a.RGPStatuses, b.RGPStatuses) &&
		a.Registrant == b.Registrant && slices.Equal(a.Contacts, b.Contacts) && slices.Equal(a.NameServers, b.NameServers) &&
		slices.Equal(a.Hosts, b.Hosts) && a.ClientID == b.ClientID && a.CreatorID == b.CreatorID && a.Created.Equal(b.Created) &&
		a.Updated.Equal(b.Updated) && a.Expires.Equal(b.Expires) && a.Transferred.Equal(b.Transferred) && a.AuthInfo == b.AuthInfo
}

func equalContact(a, b Contact) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Organization == b.Organization && slices.Equal(a.Street, b.Street) && a.City == b.City &&
		a.Province == b.Province && a.PostalCode == b.PostalCode && a.CountryCode == b.CountryCode && a.Voice == b.Voice &&
		a.Email == b.Email && a.AuthInfo == b.AuthInfo
}
