package registrar_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"clientarea.dev/clientarea-operator/internal/eppregistry"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

// The two registrar accounts of the test registry: "us" and a competitor.
const (
	us       = "registrar-a"
	usPW     = "secret-a-1"
	them     = "registrar-b"
	themPW   = "secret-b-1"
	testYear = 365 * 24 * time.Hour
)

// world is a test registry with a fake clock.
type world struct {
	t     *testing.T
	clock *clocktesting.FakePassiveClock
	reg   *eppregistry.Registry
}

func newWorld(t *testing.T, hostObjects bool, mods ...func(*eppregistry.Config)) *world {
	t.Helper()
	clock := clocktesting.NewFakePassiveClock(time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC))
	cfg := eppregistry.Config{
		Clock:       clock,
		Accounts:    []eppregistry.Account{{ClientID: us, Password: usPW}, {ClientID: them, Password: themPW}},
		HostObjects: hostObjects,
	}
	for _, m := range mods {
		m(&cfg)
	}
	reg, err := eppregistry.Start(cfg)
	if err != nil {
		t.Fatalf("starting the registry: %v", err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	return &world{t: t, clock: clock, reg: reg}
}

// registrar connects clientID (us unless told) with its certificate.
func (w *world) registrar(clientID, password string, mods ...func(*registrar.EPPConfig)) *registrar.EPP {
	w.t.Helper()
	certPEM, keyPEM := w.reg.ClientCertificate(clientID)
	cfg := registrar.EPPConfig{
		Name:           "testreg",
		Address:        w.reg.Addr(),
		CAPEM:          w.reg.CACertPEM(),
		ClientID:       clientID,
		Password:       password,
		CertPEM:        certPEM,
		KeyPEM:         keyPEM,
		CommandTimeout: 5 * time.Second,
		Clock:          w.clock,
	}
	for _, m := range mods {
		m(&cfg)
	}
	r, err := registrar.NewEPP(cfg)
	if err != nil {
		w.t.Fatalf("NewEPP: %v", err)
	}
	w.t.Cleanup(func() { _ = r.Close() })
	return r
}

func (w *world) step(d time.Duration) { w.clock.SetTime(w.clock.Now().Add(d)) }

func (w *world) us() *registrar.EPP { return w.registrar(us, usPW) }

func (w *world) domain(name string) eppregistry.DomainRecord {
	w.t.Helper()
	d, ok := w.reg.Domain(name)
	if !ok {
		w.t.Fatalf("the registry has no domain %s", name)
	}
	return d
}

// count counts the commands we sent.
func (w *world) count(command string) int {
	n := 0
	for _, c := range w.reg.Commands(us) {
		if c == command {
			n++
		}
	}
	return n
}

func holder(id string) registrar.Contact {
	return registrar.Contact{
		ID:          id,
		Name:        "Erika Mustermann",
		Email:       "erika@example.org",
		Phone:       "+49.301234567",
		Street:      []string{"Heidestrasse 17"},
		City:        "Berlin",
		PostalCode:  "10557",
		CountryCode: "de",
	}
}

func testDomain(name string) registrar.Domain {
	return registrar.Domain{
		Name:        name,
		Years:       1,
		Holder:      holder("CA-H1"),
		NameServers: []string{"ns1.dns.example", "NS2.dns.example."},
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantReason checks the reason and code (0: any) of a *registrar.Error and
// returns its message.
func wantReason(t *testing.T, err error, reason registrar.Reason, code int) string {
	t.Helper()
	e, ok := errors.AsType[*registrar.Error](err)
	if !ok {
		t.Fatalf("error %v is not a *registrar.Error", err)
	}
	if e.Reason != reason || (code != 0 && e.Code != code) {
		t.Fatalf("error %v: want reason %s code %d", err, reason, code)
	}
	if !strings.Contains(e.Error(), "testreg") {
		t.Errorf("error %q does not name the registry", e.Error())
	}
	return e.Error()
}

func TestEPPRegister(t *testing.T) {
	for _, tc := range []struct {
		name        string
		hostObjects bool
	}{
		{"host attributes", false},
		{"host objects", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.hostObjects)
			r := w.us()
			d := testDomain("Shop.Example")
			d.Years = 2
			d.Locked = true
			reg, err := r.Register(ctx(t), d)
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			now := w.clock.Now()
			if !reg.RegisteredAt.Equal(now) || !reg.ExpiresAt.Equal(now.AddDate(2, 0, 0)) || reg.Pending {
				t.Errorf("registration %+v, want from %s for 2 years", reg, now)
			}
			rec := w.domain("shop.example")
			if rec.Sponsor != us || rec.Registrant != "CA-H1" || rec.Creates != 1 {
				t.Errorf("record %+v", rec)
			}
			if !slices.Equal(rec.NameServers, []string{"ns1.dns.example", "ns2.dns.example"}) {
				t.Errorf("name servers %v", rec.NameServers)
			}
			if !slices.Contains(rec.Statuses, "clientTransferProhibited") {
				t.Errorf("statuses %v lack the lock", rec.Statuses)
			}
			ct, ok := w.reg.Contact("CA-H1")
			if !ok || ct.Sponsor != us || ct.Name != "Erika Mustermann" || ct.CountryCode != "DE" || ct.Voice != "+49.301234567" {
				t.Errorf("contact %+v", ct)
			}
			if got := w.count("host:create"); tc.hostObjects != (got == 2) {
				t.Errorf("%d host:create commands", got)
			}

			again, err := r.Register(ctx(t), d)
			if err != nil || again != reg {
				t.Errorf("repeated Register: %+v, %v; want %+v", again, err, reg)
			}
			if rec := w.domain("shop.example"); rec.Creates != 1 {
				t.Errorf("Creates = %d after a repeated Register", rec.Creates)
			}
		})
	}
}

func TestEPPRegisterAfterLostAnswer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault eppregistry.Fault
	}{
		{"domain:create committed", eppregistry.Fault{Command: "domain:create", DropAfterCommit: true}},
		{"domain:create not sent", eppregistry.Fault{Command: "domain:create", DropBeforeCommit: true}},
		{"contact:create committed", eppregistry.Fault{Command: "contact:create", DropAfterCommit: true}},
		{"contact:create not sent", eppregistry.Fault{Command: "contact:create", DropBeforeCommit: true}},
		{"slow domain:create", eppregistry.Fault{Command: "domain:create", Delay: 2 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, false)
			r := w.registrar(us, usPW, func(c *registrar.EPPConfig) { c.CommandTimeout = time.Second })
			w.reg.Inject(tc.fault)
			reg, err := r.Register(ctx(t), testDomain("shop.example"))
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			if reg.ExpiresAt.IsZero() || reg.Pending {
				t.Errorf("registration %+v", reg)
			}
			if rec := w.domain("shop.example"); rec.Creates != 1 || rec.Sponsor != us {
				t.Errorf("record %+v, want one create by us", rec)
			}
			creates := 0
			for _, c := range w.reg.Charges(us) {
				if c.Op == "create" {
					creates++
				}
			}
			if creates != 1 {
				t.Errorf("%d create charges", creates)
			}
		})
	}
}

func TestEPPRegisterNameTaken(t *testing.T) {
	w := newWorld(t, false)
	w.reg.AddDomain(them, "taken.example", 1, "Their-Code-1")
	_, err := w.us().Register(ctx(t), testDomain("taken.example"))
	wantReason(t, err, registrar.ReasonNameTaken, 2302)
	if rec := w.domain("taken.example"); rec.Sponsor != them {
		t.Errorf("sponsor %s", rec.Sponsor)
	}
}

func TestEPPRegisterForeignContactID(t *testing.T) {
	w := newWorld(t, false)
	d := testDomain("shop.example")
	if _, err := w.registrar(them, themPW).Register(ctx(t), d); err != nil {
		t.Fatalf("their Register: %v", err)
	}
	d.Name = "other.example"
	_, err := w.us().Register(ctx(t), d)
	wantReason(t, err, registrar.ReasonRefused, 0)
}

func TestEPPRenew(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault *eppregistry.Fault
	}{
		{"answered", nil},
		{"answer lost after commit", &eppregistry.Fault{Command: "domain:renew", DropAfterCommit: true}},
		{"dropped before commit", &eppregistry.Fault{Command: "domain:renew", DropBeforeCommit: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, false)
			r := w.us()
			reg, err := r.Register(ctx(t), testDomain("shop.example"))
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			if tc.fault != nil {
				w.reg.Inject(*tc.fault)
			}
			want := reg.ExpiresAt.AddDate(2, 0, 0)
			for i := range 2 {
				renewed, err := r.Renew(ctx(t), "shop.example", reg.ExpiresAt, 2)
				if err != nil {
					t.Fatalf("Renew #%d: %v", i+1, err)
				}
				if !renewed.ExpiresAt.Equal(want) {
					t.Errorf("Renew #%d: expires %s, want %s", i+1, renewed.ExpiresAt, want)
				}
			}
			if rec := w.domain("shop.example"); rec.Renewals != 1 || !rec.Expires.Equal(want) {
				t.Errorf("record: %d renewals, expires %s", rec.Renewals, rec.Expires)
			}
		})
	}
}

func TestEPPRenewWrongExpiry(t *testing.T) {
	w := newWorld(t, false)
	r := w.us()
	reg, err := r.Register(ctx(t), testDomain("shop.example"))
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	_, err = r.Renew(ctx(t), "shop.example", reg.ExpiresAt.AddDate(0, 0, -40), 1)
	wantReason(t, err, registrar.ReasonRefused, 2306)
}

func TestEPPPendingCreate(t *testing.T) {
	for _, tc := range []struct {
		approve bool
		want    registrar.MessageKind
	}{
		{true, registrar.MessageRegistrationCompleted},
		{false, registrar.MessageRegistrationRejected},
	} {
		t.Run(string(tc.want), func(t *testing.T) {
			w := newWorld(t, false)
			r := w.us()
			w.reg.SetPendingCreates(true)
			d := testDomain("slow.example")
			d.Locked = true
			reg, err := r.Register(ctx(t), d)
			if err != nil || !reg.Pending {
				t.Fatalf("Register: %+v, %v; want pending", reg, err)
			}
			st, err := r.Info(ctx(t), "slow.example")
			if err != nil || !st.Pending || !st.Ours {
				t.Fatalf("Info: %+v, %v", st, err)
			}
			if again, err := r.Register(ctx(t), d); err != nil || !again.Pending {
				t.Errorf("repeated Register: %+v, %v", again, err)
			}
			if msg, err := r.Poll(ctx(t)); err != nil || msg != nil {
				t.Fatalf("Poll before the registry decided: %+v, %v", msg, err)
			}
			w.reg.ResolvePendingCreate("slow.example", tc.approve)
			msg, err := r.Poll(ctx(t))
			if err != nil || msg == nil {
				t.Fatalf("Poll: %+v, %v", msg, err)
			}
			if msg.Kind != tc.want || msg.Domain != "slow.example" || msg.ID == "" {
				t.Errorf("message %+v", msg)
			}
			for range 2 { // a repeated Ack is harmless
				if err := r.Ack(ctx(t), msg.ID); err != nil {
					t.Fatalf("Ack: %v", err)
				}
			}
			if msg, err := r.Poll(ctx(t)); err != nil || msg != nil {
				t.Errorf("Poll after Ack: %+v, %v", msg, err)
			}
			if tc.approve {
				if err := r.Update(ctx(t), d); err != nil {
					t.Fatalf("Update after completion: %v", err)
				}
				if rec := w.domain("slow.example"); !slices.Contains(rec.Statuses, "clientTransferProhibited") {
					t.Errorf("statuses %v: the lock was not applied", rec.Statuses)
				}
			}
		})
	}
}

func TestEPPUpdate(t *testing.T) {
	for _, hostObjects := range []bool{false, true} {
		t.Run(map[bool]string{false: "host attributes", true: "host objects"}[hostObjects], func(t *testing.T) {
			w := newWorld(t, hostObjects)
			r := w.us()
			d := testDomain("shop.example")
			if _, err := r.Register(ctx(t), d); err != nil {
				t.Fatalf("Register: %v", err)
			}
			updates := func() int { return w.count("domain:update") }

			if err := r.Update(ctx(t), d); err != nil || updates() != 0 {
				t.Fatalf("Update without changes: %v, %d domain:update sent", err, updates())
			}

			d.NameServers = []string{"ns2.dns.example", "ns3.other.example"}
			d.Locked = true
			if err := r.Update(ctx(t), d); err != nil {
				t.Fatalf("Update name servers and lock: %v", err)
			}
			rec := w.domain("shop.example")
			if !slices.Equal(rec.NameServers, []string{"ns2.dns.example", "ns3.other.example"}) ||
				!slices.Contains(rec.Statuses, "clientTransferProhibited") || updates() != 1 {
				t.Errorf("after update: ns %v, statuses %v, %d updates", rec.NameServers, rec.Statuses, updates())
			}

			d.Holder.City = "Potsdam"
			d.Holder.Street = []string{"Am Neuen Markt 1", "Hinterhaus"}
			if err := r.Update(ctx(t), d); err != nil {
				t.Fatalf("Update holder details: %v", err)
			}
			if ct, _ := w.reg.Contact("CA-H1"); ct.City != "Potsdam" || ct.Street != "Am Neuen Markt 1\nHinterhaus" {
				t.Errorf("contact %+v", ct)
			}
			if updates() != 1 {
				t.Errorf("%d domain:update for a contact change", updates())
			}

			d.Holder = holder("CA-H2")
			d.Holder.Name = "Max Mustermann"
			d.Locked = false
			if err := r.Update(ctx(t), d); err != nil {
				t.Fatalf("Update holder and unlock: %v", err)
			}
			rec = w.domain("shop.example")
			if rec.Registrant != "CA-H2" || slices.Contains(rec.Statuses, "clientTransferProhibited") {
				t.Errorf("after holder change: registrant %s, statuses %v", rec.Registrant, rec.Statuses)
			}
			if ct, ok := w.reg.Contact("CA-H2"); !ok || ct.Name != "Max Mustermann" {
				t.Errorf("new holder contact %+v", ct)
			}

			before := updates()
			if err := r.Update(ctx(t), d); err != nil || updates() != before {
				t.Errorf("repeated Update: %v, %d domain:update sent", err, updates()-before)
			}
		})
	}
}

func TestEPPUpdateNotOurs(t *testing.T) {
	w := newWorld(t, false)
	w.reg.AddDomain(them, "theirs.example", 1, "Their-Code-1")
	wantReason(t, w.us().Update(ctx(t), testDomain("theirs.example")), registrar.ReasonRefused, 0)
}

func TestEPPDelete(t *testing.T) {
	w := newWorld(t, false)
	r := w.us()
	if _, err := r.Register(ctx(t), testDomain("shop.example")); err != nil {
		t.Fatalf("Register: %v", err)
	}
	w.reg.AddDomain(them, "theirs.example", 1, "Their-Code-1")
	w.reg.Inject(eppregistry.Fault{Command: "domain:delete", DropAfterCommit: true})
	for i := range 2 {
		if err := r.Delete(ctx(t), "shop.example"); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if rec := w.domain("shop.example"); rec.Deletes != 1 || !slices.Contains(rec.Statuses, "pendingDelete") {
		t.Errorf("record %+v", rec)
	}
	if st, err := r.Info(ctx(t), "shop.example"); err != nil || st.Exists {
		t.Errorf("Info of a deleted domain: %+v, %v", st, err)
	}
	for _, name := range []string{"never.example", "theirs.example"} {
		if err := r.Delete(ctx(t), name); err != nil {
			t.Errorf("Delete %s: %v", name, err)
		}
	}
	if rec := w.domain("theirs.example"); rec.Deletes != 0 {
		t.Errorf("their domain was deleted")
	}
}

func TestEPPInfo(t *testing.T) {
	w := newWorld(t, false)
	r := w.us()
	d := testDomain("shop.example")
	d.Locked = true
	reg, err := r.Register(ctx(t), d)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	w.reg.AddDomain(them, "theirs.example", 1, "Their-Code-1")
	for _, tc := range []struct {
		name string
		want registrar.Status
	}{
		{"shop.example", registrar.Status{Exists: true, Ours: true, Locked: true, Registration: reg}},
		{"theirs.example", registrar.Status{Exists: true, Registration: registrar.Registration{
			RegisteredAt: w.clock.Now(), ExpiresAt: w.clock.Now().AddDate(1, 0, 0),
		}}},
		{"free.example", registrar.Status{}},
	} {
		got, err := r.Info(ctx(t), tc.name)
		if err != nil || got != tc.want {
			t.Errorf("Info %s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestEPPTransferIn(t *testing.T) {
	w := newWorld(t, false)
	r := w.us()
	const code = "Their-Code-1"
	w.reg.AddDomain(them, "moving.example", 1, code)
	d := testDomain("moving.example")

	_, err := r.TransferIn(ctx(t), d, "Wrong-Code-1")
	if msg := wantReason(t, err, registrar.ReasonRefused, 2202); !strings.Contains(msg, "the transfer code was refused") {
		t.Errorf("error %q", msg)
	}

	w.reg.Inject(eppregistry.Fault{Command: "domain:transfer", DropAfterCommit: true})
	for i := range 2 {
		reg, err := r.TransferIn(ctx(t), d, code)
		if err != nil || !reg.Pending {
			t.Fatalf("TransferIn #%d: %+v, %v; want pending", i+1, reg, err)
		}
	}
	if st, err := r.Info(ctx(t), "moving.example"); err != nil || !st.Pending || st.Ours {
		t.Errorf("Info while pending: %+v, %v", st, err)
	}

	expires := w.domain("moving.example").Expires
	w.reg.ApproveTransfer("moving.example")
	msg, err := r.Poll(ctx(t))
	if err != nil || msg == nil || msg.Kind != registrar.MessageTransferCompleted || msg.Domain != "moving.example" {
		t.Fatalf("Poll: %+v, %v", msg, err)
	}
	if err := r.Ack(ctx(t), msg.ID); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	st, err := r.Info(ctx(t), "moving.example")
	if err != nil || !st.Ours || st.Pending || !st.ExpiresAt.Equal(expires.AddDate(1, 0, 0)) {
		t.Errorf("Info after the transfer: %+v, %v", st, err)
	}
	reg, err := r.TransferIn(ctx(t), d, code)
	if err != nil || reg.Pending || !reg.ExpiresAt.Equal(st.ExpiresAt) {
		t.Errorf("TransferIn after completion: %+v, %v", reg, err)
	}
}

func TestEPPTransferRejected(t *testing.T) {
	w := newWorld(t, false)
	r := w.us()
	w.reg.AddDomain(them, "moving.example", 1, "Their-Code-1")
	if reg, err := r.TransferIn(ctx(t), testDomain("moving.example"), "Their-Code-1"); err != nil || !reg.Pending {
		t.Fatalf("TransferIn: %+v, %v", reg, err)
	}
	w.reg.RejectTransfer("moving.example")
	msg, err := r.Poll(ctx(t))
	if err != nil || msg == nil || msg.Kind != registrar.MessageTransferRejected {
		t.Fatalf("Poll: %+v, %v", msg, err)
	}
}

func TestEPPTransferAway(t *testing.T) {
	w := newWorld(t, false)
	r, b := w.us(), w.registrar(them, themPW)
	d := testDomain("leaving.example")
	d.Locked = true
	if _, err := r.Register(ctx(t), d); err != nil {
		t.Fatalf("Register: %v", err)
	}
	const code = "Leave-Code-1"
	if err := r.SetTransferCode(ctx(t), "leaving.example", code); err != nil {
		t.Fatalf("SetTransferCode: %v", err)
	}
	if w.domain("leaving.example").AuthInfo != code {
		t.Fatalf("authInfo not set")
	}
	_, err := b.TransferIn(ctx(t), d, code)
	wantReason(t, err, registrar.ReasonRefused, 2304) // locked

	d.Locked = false
	if err := r.Update(ctx(t), d); err != nil {
		t.Fatalf("unlocking: %v", err)
	}
	if reg, err := b.TransferIn(ctx(t), d, code); err != nil || !reg.Pending {
		t.Fatalf("their TransferIn: %+v, %v", reg, err)
	}
	msg, err := r.Poll(ctx(t))
	if err != nil || msg == nil || msg.Kind != registrar.MessageOther || msg.Domain != "leaving.example" {
		t.Fatalf("Poll for the request: %+v, %v", msg, err)
	}
	if err := r.Ack(ctx(t), msg.ID); err != nil {
		t.Fatal(err)
	}
	w.reg.ApproveTransfer("leaving.example")
	msg, err = r.Poll(ctx(t))
	if err != nil || msg == nil || msg.Kind != registrar.MessageTransferredAway || msg.Domain != "leaving.example" {
		t.Fatalf("Poll after approval: %+v, %v", msg, err)
	}
	if st, err := r.Info(ctx(t), "leaving.example"); err != nil || st.Ours || !st.Exists {
		t.Errorf("Info: %+v, %v", st, err)
	}
}

func TestEPPLoginFailed(t *testing.T) {
	w := newWorld(t, false, func(c *eppregistry.Config) { c.MaxFailedLogins = 100 })
	r := w.registrar(us, "wrong-password")
	start := time.Now()
	for range 5 {
		_, err := r.Info(ctx(t), "shop.example")
		wantReason(t, err, registrar.ReasonLoginFailed, 2200)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("five failed calls took %s", elapsed)
	}
	if n := w.count("login"); n != 1 {
		t.Errorf("%d login attempts during the back-off, want 1", n)
	}
	w.step(1500 * time.Millisecond) // past the first back-off (1s)
	_, err := r.Info(ctx(t), "shop.example")
	wantReason(t, err, registrar.ReasonLoginFailed, 2200)
	w.step(1500 * time.Millisecond) // within the second (2s)
	_, err = r.Info(ctx(t), "shop.example")
	wantReason(t, err, registrar.ReasonLoginFailed, 2200)
	if n := w.count("login"); n != 2 {
		t.Errorf("%d login attempts, want 2", n)
	}
}

func TestEPPLoginRefused(t *testing.T) {
	w := newWorld(t, false)
	w.reg.RefuseLogins(true)
	r := w.us()
	_, err := r.Info(ctx(t), "shop.example")
	wantReason(t, err, registrar.ReasonLoginFailed, 2501)
	w.reg.RefuseLogins(false)
	w.step(2 * time.Second)
	if _, err := r.Info(ctx(t), "shop.example"); err != nil {
		t.Errorf("Info after the back-off: %v", err)
	}
}

func TestEPPCertificateRefused(t *testing.T) {
	w := newWorld(t, false)
	certPEM, keyPEM := selfSigned(t, us)
	r := w.registrar(us, usPW, func(c *registrar.EPPConfig) { c.CertPEM, c.KeyPEM = certPEM, keyPEM })
	_, err := r.Info(ctx(t), "shop.example")
	wantReason(t, err, registrar.ReasonLoginFailed, 0)
}

func TestEPPSessionLimit(t *testing.T) {
	w := newWorld(t, false, func(c *eppregistry.Config) { c.MaxSessionsPerAccount = 2 })
	r := w.registrar(us, usPW, func(c *registrar.EPPConfig) { c.MaxSessions = 2 })
	w.reg.Inject(eppregistry.Fault{Command: "domain:info", Delay: 50 * time.Millisecond, Times: 8})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := r.Info(ctx(t), "free.example")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Info: %v", err)
		}
	}
	if n := w.count("login"); n > 2 {
		t.Errorf("%d logins for at most 2 sessions", n)
	}
	if n := w.reg.Sessions(us); n > 2 {
		t.Errorf("%d sessions open", n)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// The registry counts a session closed once its goroutine ends, a
	// moment after it answered the logout.
	deadline := time.Now().Add(5 * time.Second)
	for w.reg.Sessions(us) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := w.reg.Sessions(us); n != 0 {
		t.Errorf("%d sessions open after Close", n)
	}
	if w.count("logout") == 0 {
		t.Errorf("no logout on Close")
	}
}

func TestEPPCommandTimeout(t *testing.T) {
	w := newWorld(t, false)
	r := w.registrar(us, usPW, func(c *registrar.EPPConfig) { c.CommandTimeout = 300 * time.Millisecond })
	if _, err := r.Info(ctx(t), "free.example"); err != nil {
		t.Fatalf("Info: %v", err)
	}
	w.reg.Inject(eppregistry.Fault{Command: "domain:info", Delay: 3 * time.Second})
	start := time.Now()
	_, err := r.Info(ctx(t), "free.example")
	wantReason(t, err, registrar.ReasonUnavailable, 0)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("the timed-out call took %s", elapsed)
	}
	if _, err := r.Info(ctx(t), "free.example"); err != nil {
		t.Errorf("Info after the timeout: %v", err)
	}
}

func TestNewEPPValidates(t *testing.T) {
	w := newWorld(t, false)
	certPEM, keyPEM := w.reg.ClientCertificate(us)
	otherCert, otherKey := selfSigned(t, "other")
	valid := registrar.EPPConfig{
		Name: "testreg", Address: w.reg.Addr(), ClientID: us, Password: usPW,
		CertPEM: certPEM, KeyPEM: keyPEM, CAPEM: w.reg.CACertPEM(),
	}
	for _, tc := range []struct {
		field  string
		modify func(*registrar.EPPConfig)
	}{
		{"Name", func(c *registrar.EPPConfig) { c.Name = "" }},
		{"Address", func(c *registrar.EPPConfig) { c.Address = "no-port" }},
		{"ClientID", func(c *registrar.EPPConfig) { c.ClientID = "" }},
		{"Password", func(c *registrar.EPPConfig) { c.Password = "" }},
		{"CertPEM", func(c *registrar.EPPConfig) { c.CertPEM = []byte("garbage") }},
		{"KeyPEM", func(c *registrar.EPPConfig) { c.KeyPEM = []byte("garbage") }},
		{"KeyPEM", func(c *registrar.EPPConfig) { c.CertPEM, c.KeyPEM = otherCert, keyPEM }},
		{"CAPEM", func(c *registrar.EPPConfig) { c.CAPEM = otherKey }},
	} {
		cfg := valid
		tc.modify(&cfg)
		_, err := registrar.NewEPP(cfg)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: error %v does not name the field", tc.field, err)
		}
	}
	r, err := registrar.NewEPP(valid)
	if err != nil {
		t.Fatalf("valid config: %v", err)
	}
	_ = r.Close()
	if n := w.count("login"); n != 0 {
		t.Errorf("NewEPP connected (%d logins)", n)
	}
}

// selfSigned is a client certificate the registry's CA did not sign.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(testYear),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}
