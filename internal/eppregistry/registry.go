package eppregistry

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"
	"time"
)

// Clock is the registry's source of time; k8s.io/utils/clock/testing's
// FakePassiveClock satisfies it.
type Clock interface{ Now() time.Time }

// Account is a registrar account (EPP clID and password).
type Account struct{ ClientID, Password string }

// Config configures a registry. Zero durations and counts take the defaults
// documented on each field.
type Config struct {
	Clock                 Clock     // required; the test moves it
	Accounts              []Account // registrar accounts; each gets its own client certificate (CN = ClientID)
	MaxSessionsPerAccount int       // default 4; one more login -> 2502 and the connection is closed
	// MaxFailedLogins: default 3 failed logins (in a row) for a clID lock it
	// out: 2200 for any later login, even with the right password, and the
	// connection is closed, until UnlockAccount.
	MaxFailedLogins int
	// AutoRenewGracePeriod: default 45 days. At expiry the registry renews
	// for one year (RGP status autoRenewPeriod); a domain:delete within this
	// period refunds that year.
	AutoRenewGracePeriod time.Duration
	// RedemptionPeriod: default 30 days. A deleted domain stays in
	// pendingDelete/redemptionPeriod for this long (not available), then it
	// is purged and available again.
	RedemptionPeriod time.Duration
	// TransferPeriod: default 5 days. A pending transfer is approved by the
	// server (serverApproved) after this, unless the losing registrar
	// approves or rejects earlier.
	TransferPeriod time.Duration
	// HostObjects selects the host model. True: the greeting offers
	// host-1.0, domain:ns takes domain:hostObj, and every name server must
	// exist as a host object (host:create) or the command fails with 2303.
	// False: no host-1.0 in the greeting and domain:ns takes
	// domain:hostAttr; the wrong form is refused with 2306.
	HostObjects bool
	// PollAutoRenew, when true, queues a poll message (domain:renData) to
	// the sponsor at every auto-renewal. Off by default so that tests that
	// count poll messages see only the ones they caused.
	PollAutoRenew bool
	// Listen is the address to listen on; empty means 127.0.0.1:0, a free
	// port on loopback.
	Listen string
}

// DomainRecord is a snapshot of a domain for tests.
type DomainRecord struct {
	Name, ROID, Sponsor, Registrant string
	Contacts                        map[string]string // admin/tech/billing -> id (optional ones)
	NameServers                     []string
	// Statuses holds the EPP status values (ok, inactive, client*, server*,
	// pendingCreate, pendingTransfer, pendingDelete) followed by the RGP
	// status (autoRenewPeriod, redemptionPeriod) if any.
	Statuses         []string
	Created, Expires time.Time
	AuthInfo         string
	// Counts of what the registry executed, for "exactly once" tests.
	Creates, Renewals, AutoRenewals, Deletes int
}

// ContactRecord is a snapshot of a contact for tests. The postal fields come
// from the "int" postalInfo if present, else from "loc"; Street joins the
// street lines with "\n".
type ContactRecord struct {
	ID, Sponsor, Name, Org, Email, Voice, Street, City, PostalCode, CountryCode string
	Updates                                                                     int
}

// Charge is one entry of a registrar's billing ledger. Op is one of
// "create", "renew", "autoRenew", "transfer", "refund" (Years > 0 in every
// case; a refund gives those years back) or "restore" (Years 0).
type Charge struct {
	Domain string
	Op     string
	Years  int
	At     time.Time
}

// Fault makes the registry misbehave on the next matching command(s).
type Fault struct {
	// Command is a logged command name ("domain:create", "login",
	// "poll req", ...), an object-less prefix of one ("poll" matches
	// "poll req" and "poll ack"), or "*" for any command (hello is not a
	// command).
	Command          string
	DropAfterCommit  bool          // execute and commit the command, then close the connection without answering
	DropBeforeCommit bool          // close the connection without executing
	Delay            time.Duration // execute, then answer only after this long (slow registry)
	Times            int           // how many commands it applies to (0 = once)
}

type account struct {
	password string
	failed   int
	locked   bool
	sessions int
	certPEM  []byte
	keyPEM   []byte
}

// Registry is a running test registry. All state sits behind one mutex;
// sessions take it for the duration of one command.
type Registry struct {
	cfg  Config
	pki  *pki
	ln   net.Listener
	tls  *tls.Config
	done chan struct{}
	wg   sync.WaitGroup

	mu             sync.Mutex
	closed         bool
	accounts       map[string]*account
	extraCerts     map[string][2][]byte // certificates issued on demand for unknown client IDs
	domains        map[string]*domain
	contacts       map[string]*contact
	hosts          map[string]*host
	charges        map[string][]Charge
	polls          map[string][]*pollMsg
	commands       map[string][]string
	conns          map[*session]struct{}
	faults         []*Fault
	pendingCreates bool
	refuseLogins   bool
	seq            int64 // ROIDs, svTRIDs and poll message ids
}

// Start generates the CA and certificates, listens on 127.0.0.1:0 and
// serves until Close.
func Start(cfg Config) (*Registry, error) {
	if cfg.Clock == nil {
		return nil, errors.New("eppregistry: Config.Clock is required")
	}
	if cfg.MaxSessionsPerAccount <= 0 {
		cfg.MaxSessionsPerAccount = 4
	}
	if cfg.MaxFailedLogins <= 0 {
		cfg.MaxFailedLogins = 3
	}
	if cfg.AutoRenewGracePeriod <= 0 {
		cfg.AutoRenewGracePeriod = 45 * 24 * time.Hour
	}
	if cfg.RedemptionPeriod <= 0 {
		cfg.RedemptionPeriod = 30 * 24 * time.Hour
	}
	if cfg.TransferPeriod <= 0 {
		cfg.TransferPeriod = 5 * 24 * time.Hour
	}
	p, err := newPKI()
	if err != nil {
		return nil, fmt.Errorf("eppregistry: certificates: %w", err)
	}
	r := &Registry{
		cfg:        cfg,
		pki:        p,
		tls:        p.tlsConfig(),
		done:       make(chan struct{}),
		accounts:   map[string]*account{},
		extraCerts: map[string][2][]byte{},
		domains:    map[string]*domain{},
		contacts:   map[string]*contact{},
		hosts:      map[string]*host{},
		charges:    map[string][]Charge{},
		polls:      map[string][]*pollMsg{},
		commands:   map[string][]string{},
		conns:      map[*session]struct{}{},
	}
	for _, a := range cfg.Accounts {
		if a.ClientID == "" {
			return nil, errors.New("eppregistry: an account has no ClientID")
		}
		if _, dup := r.accounts[a.ClientID]; dup {
			return nil, fmt.Errorf("eppregistry: duplicate account %q", a.ClientID)
		}
		certPEM, keyPEM, err := p.issue(a.ClientID, false)
		if err != nil {
			return nil, err
		}
		r.accounts[a.ClientID] = &account{password: a.Password, certPEM: certPEM, keyPEM: keyPEM}
	}
	listen := cfg.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("eppregistry: listen: %w", err)
	}
	r.ln = ln
	r.wg.Add(1)
	go r.acceptLoop()
	return r, nil
}

// Addr is the listening address, "127.0.0.1:port".
func (r *Registry) Addr() string { return r.ln.Addr().String() }

// CACertPEM is the CA that signed the server certificate (SANs 127.0.0.1,
// ::1 and localhost) and the client certificates.
func (r *Registry) CACertPEM() []byte { return append([]byte(nil), r.pki.caPEM...) }

// ClientCertificate returns the client certificate and PKCS#8 key for a
// clientID (CN = clientID). For an ID that is not an account, a certificate
// is issued on demand (signed by the same CA), so that tests can present a
// valid certificate whose CN does not match the clID they log in with.
func (r *Registry) ClientCertificate(clientID string) (certPEM, keyPEM []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.accounts[clientID]; ok {
		return a.certPEM, a.keyPEM
	}
	if c, ok := r.extraCerts[clientID]; ok {
		return c[0], c[1]
	}
	certPEM, keyPEM, err := r.pki.issue(clientID, false)
	if err != nil {
		return nil, nil
	}
	r.extraCerts[clientID] = [2][]byte{certPEM, keyPEM}
	return certPEM, keyPEM
}

// Close closes the listener and every session, and waits for them.
func (r *Registry) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	close(r.done)
	conns := make([]*session, 0, len(r.conns))
	for s := range r.conns {
		conns = append(conns, s)
	}
	r.mu.Unlock()
	err := r.ln.Close()
	for _, s := range conns {
		_ = s.conn.Close()
	}
	r.wg.Wait()
	return err
}

func (r *Registry) now() time.Time { return r.cfg.Clock.Now().UTC() }

// nextID returns a registry-wide sequence number (caller holds r.mu).
func (r *Registry) nextID() int64 {
	r.seq++
	return r.seq
}

// randomAuthInfo makes a fresh transfer password, as registries do when a
// domain changes hands so that the old code cannot be replayed.
func randomAuthInfo() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "A1-" + string(b)
}

// ---- inspection ----

// Domain returns a snapshot of the domain, after applying the clock.
func (r *Registry) Domain(name string) (DomainRecord, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.advance(now)
	d, ok := r.domains[name]
	if !ok {
		return DomainRecord{}, false
	}
	rec := DomainRecord{
		Name: d.name, ROID: d.roid, Sponsor: d.sponsor, Registrant: d.registrant,
		Contacts: map[string]string{}, Statuses: d.statusList(now),
		Created: d.created, Expires: d.expires, AuthInfo: d.authInfo,
		Creates: d.creates, Renewals: d.renewals, AutoRenewals: d.autoRenewals, Deletes: d.deletes,
	}
	for k, v := range d.contacts {
		rec.Contacts[k] = v
	}
	for _, ns := range d.ns {
		rec.NameServers = append(rec.NameServers, ns.name)
	}
	if s := d.rgpStatus(now); s != "" {
		rec.Statuses = append(rec.Statuses, s)
	}
	return rec, true
}

// Contact returns a snapshot of the contact.
func (r *Registry) Contact(id string) (ContactRecord, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.contacts[id]
	if !ok {
		return ContactRecord{}, false
	}
	rec := ContactRecord{ID: c.id, Sponsor: c.sponsor, Email: c.email, Voice: c.voice, Updates: c.updates}
	if p := c.primaryPostal(); p != nil {
		rec.Name, rec.Org, rec.City, rec.PostalCode, rec.CountryCode = p.name, p.org, p.city, p.pc, p.cc
		for i, s := range p.street {
			if i > 0 {
				rec.Street += "\n"
			}
			rec.Street += s
		}
	}
	return rec, true
}

// Charges returns the billing ledger of a registrar, oldest first.
func (r *Registry) Charges(clientID string) []Charge {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(r.now())
	return append([]Charge(nil), r.charges[clientID]...)
}

// Sessions is the number of open, logged-in sessions of a registrar.
func (r *Registry) Sessions(clientID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.accounts[clientID]; ok {
		return a.sessions
	}
	return 0
}

// Commands is the log of command names a registrar sent, oldest first:
// "login", "logout", "poll req", "poll ack", "domain:check",
// "domain:transfer", ... (hello is not logged). Commands sent before login
// are logged under "" and a login under the clID it names.
func (r *Registry) Commands(clientID string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.commands[clientID]...)
}

// PollQueue returns the ids of the registrar's unacknowledged poll messages,
// oldest first.
func (r *Registry) PollQueue(clientID string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(r.now())
	var ids []string
	for _, m := range r.polls[clientID] {
		ids = append(ids, m.id)
	}
	return ids
}

// DomainNames lists every domain the registry holds (including those in
// pendingDelete), sorted.
func (r *Registry) DomainNames() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.advance(r.now())
	names := make([]string, 0, len(r.domains))
	for n := range r.domains {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ---- test controls ----

// AddDomain preloads a domain sponsored by clientID, created now for the
// given years (e.g. the old registrar's domain in a transfer-in story). It
// has no registrant and no name servers, and it is not charged.
func (r *Registry) AddDomain(clientID string, name string, years int, authInfo string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.advance(now)
	if years <= 0 {
		years = 1
	}
	r.domains[name] = &domain{
		name: name, roid: fmt.Sprintf("D%d-EPPREG", r.nextID()), sponsor: clientID, creator: clientID,
		contacts: map[string]string{}, statuses: map[string]bool{},
		created: now, expires: now.AddDate(years, 0, 0), authInfo: authInfo,
	}
}

// SetPendingCreates: while on, domain:create answers 1001 and the domain
// carries pendingCreate until ResolvePendingCreate.
func (r *Registry) SetPendingCreates(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pendingCreates = on
}

// RefuseLogins: while on, every login is answered 2501 (authentication
// error; server closing connection) and the connection is closed.
func (r *Registry) RefuseLogins(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refuseLogins = on
}

// UnlockAccount lifts a failed-login lock-out and resets the counter.
func (r *Registry) UnlockAccount(clientID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.accounts[clientID]; ok {
		a.locked = false
		a.failed = 0
	}
}

// SetDomainStatus sets or clears a status on a domain as the registry
// operator would (e.g. serverTransferProhibited, serverHold); any status
// value is accepted here.
func (r *Registry) SetDomainStatus(name, status string, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d, ok := r.domains[name]; ok {
		if on {
			d.statuses[status] = true
		} else {
			delete(d.statuses, status)
		}
	}
}

// Inject queues a fault; faults apply in the order injected, each to its
// first Times matching commands.
func (r *Registry) Inject(f Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	r.faults = append(r.faults, &f)
}
