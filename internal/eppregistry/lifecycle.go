package eppregistry

import (
	"sort"
	"strconv"
	"time"
)

// hostAddr is a glue address: ip is "v4" or "v6".
type hostAddr struct{ ip, addr string }

// nsEntry is one name server of a domain. In host-object mode only the name
// is kept (the addresses live on the host object).
type nsEntry struct {
	name  string
	addrs []hostAddr
}

// transfer is a domain's pending or most recent transfer; RFC 5731 lets
// transfer query report the last one after it completed.
type transfer struct {
	gaining, losing string
	reDate, acDate  time.Time
	period          int
	status          string // pending, clientApproved, clientRejected, clientCancelled, serverApproved
	exDate          time.Time
}

type domain struct {
	name, roid                      string
	sponsor, creator, updater       string
	registrant                      string
	contacts                        map[string]string
	ns                              []nsEntry
	statuses                        map[string]bool // client* and server* statuses only
	created, expires                time.Time
	updated, transferred            time.Time
	authInfo                        string
	creates, renewals, autoRenewals int
	deletes                         int

	pendingCreate bool
	createYears   int
	createTRID    [2]string // clTRID, svTRID of the create, for the panData poll message

	autoRenewEnd time.Time // end of the autoRenewPeriod grace; zero when none
	deleted      bool      // pendingDelete + redemptionPeriod
	purgeAt      time.Time

	transfer *transfer
}

func (d *domain) pendingTransfer() bool { return d.transfer != nil && d.transfer.status == "pending" }

// statusList is the RFC 5731 status set: stored client/server statuses plus
// the server-managed pending ones; "ok" when there is nothing else, and
// "inactive" (which "ok" may accompany) when there are no name servers.
func (d *domain) statusList(now time.Time) []string {
	_ = now
	var st []string
	for s := range d.statuses {
		st = append(st, s)
	}
	if d.pendingCreate {
		st = append(st, "pendingCreate")
	}
	if d.pendingTransfer() {
		st = append(st, "pendingTransfer")
	}
	if d.deleted {
		st = append(st, "pendingDelete")
	}
	sort.Strings(st)
	if len(st) == 0 {
		st = []string{"ok"}
	}
	if len(d.ns) == 0 && !d.deleted {
		st = append(st, "inactive")
	}
	return st
}

// has reports whether any of the statuses is set (stored ones only).
func (d *domain) has(statuses ...string) bool {
	for _, s := range statuses {
		if d.statuses[s] {
			return true
		}
	}
	return false
}

// rgpStatus is the RFC 3915 status in force, if any.
func (d *domain) rgpStatus(now time.Time) string {
	switch {
	case d.deleted:
		return "redemptionPeriod"
	case now.Before(d.autoRenewEnd):
		return "autoRenewPeriod"
	}
	return ""
}

// pollMsg is one queued service message.
type pollMsg struct {
	id      string
	qDate   time.Time
	msg     string
	resData string
}

func (r *Registry) queuePoll(clientID string, at time.Time, msg, resData string) {
	r.polls[clientID] = append(r.polls[clientID], &pollMsg{
		id: strconv.FormatInt(r.nextID(), 10), qDate: at, msg: msg, resData: resData,
	})
}

func (r *Registry) charge(clientID, domainName, op string, years int, at time.Time) {
	r.charges[clientID] = append(r.charges[clientID], Charge{Domain: domainName, Op: op, Years: years, At: at})
}

// advance applies everything the clock has passed (caller holds r.mu).
// Domains are visited in name order and each domain's events in time order,
// so that ledgers and poll queues come out the same on every run.
func (r *Registry) advance(now time.Time) {
	names := make([]string, 0, len(r.domains))
	for n := range r.domains {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r.advanceDomain(r.domains[n], now)
	}
}

func (r *Registry) advanceDomain(d *domain, now time.Time) {
	// Bounded: a test that jumps a century ahead renews a hundred times,
	// not forever.
	for range 10000 {
		const (
			none = iota
			purge
			autoRenew
			autoApprove
		)
		kind, next := none, time.Time{}
		switch {
		case d.deleted:
			kind, next = purge, d.purgeAt
		case d.pendingCreate:
			// nothing happens to a domain that does not exist yet
		default:
			kind, next = autoRenew, d.expires
			if d.pendingTransfer() && d.transfer.acDate.Before(next) {
				kind, next = autoApprove, d.transfer.acDate
			}
		}
		if kind == none || next.After(now) {
			return
		}
		switch kind {
		case purge:
			delete(r.domains, d.name)
			return
		case autoRenew:
			r.autoRenew(d)
		case autoApprove:
			r.completeTransfer(d, "serverApproved", d.transfer.acDate)
		}
	}
}

// autoRenew renews an expired domain for one year at its expiry, as gTLD
// registries do; the sponsor is charged and may get the year back by
// deleting the domain within the grace period.
func (r *Registry) autoRenew(d *domain) {
	at := d.expires
	d.expires = d.expires.AddDate(1, 0, 0)
	d.autoRenewals++
	d.autoRenewEnd = at.Add(r.cfg.AutoRenewGracePeriod)
	r.charge(d.sponsor, d.name, "autoRenew", 1, at)
	if r.cfg.PollAutoRenew {
		var w xw
		w.open("domain:renData", "xmlns:domain", nsDomain)
		w.leaf("domain:name", d.name)
		w.leaf("domain:exDate", d.expires.Format(eppTime))
		w.close("domain:renData")
		r.queuePoll(d.sponsor, at, "Domain auto-renewed.", w.String())
	}
}

// completeTransfer ends a pending transfer with the given status at time
// at. On approval the sponsor changes, the expiry is extended by the
// transfer period (after undoing an auto-renew still in its grace period,
// refunded to the losing registrar, as registries do), the authInfo is
// replaced, subordinate hosts move along, and the gaining registrar is
// charged. Both registrars get a poll message, except for a cancel, which
// only the losing one hears about (the gaining one did it).
func (r *Registry) completeTransfer(d *domain, status string, at time.Time) {
	t := d.transfer
	t.status = status
	t.acDate = at
	if status == "clientApproved" || status == "serverApproved" {
		if at.Before(d.autoRenewEnd) {
			d.expires = d.expires.AddDate(-1, 0, 0)
			r.charge(t.losing, d.name, "refund", 1, at)
		}
		d.autoRenewEnd = time.Time{}
		d.expires = d.expires.AddDate(t.period, 0, 0)
		d.sponsor = t.gaining
		d.transferred = at
		d.authInfo = randomAuthInfo()
		for _, h := range r.hosts {
			if r.superordinate(h.name) == d {
				h.sponsor = t.gaining
			}
		}
		r.charge(t.gaining, d.name, "transfer", t.period, at)
	}
	t.exDate = d.expires
	msg := map[string]string{
		"clientApproved":  "Transfer approved.",
		"serverApproved":  "Transfer auto-approved by the registry.",
		"clientRejected":  "Transfer rejected.",
		"clientCancelled": "Transfer cancelled.",
	}[status]
	data := trnData(d)
	r.queuePoll(t.losing, at, msg, data)
	if status != "clientCancelled" {
		r.queuePoll(t.gaining, at, msg, data)
	}
}

// trnData renders <domain:trnData> for the domain's current transfer.
func trnData(d *domain) string {
	t := d.transfer
	var w xw
	w.open("domain:trnData", "xmlns:domain", nsDomain)
	w.leaf("domain:name", d.name)
	w.leaf("domain:trStatus", t.status)
	w.leaf("domain:reID", t.gaining)
	w.leaf("domain:reDate", t.reDate.Format(eppTime))
	w.leaf("domain:acID", t.losing)
	w.leaf("domain:acDate", t.acDate.Format(eppTime))
	if !t.exDate.IsZero() {
		w.leaf("domain:exDate", t.exDate.Format(eppTime))
	}
	w.close("domain:trnData")
	return w.String()
}

// ---- test controls on the domain lifecycle ----

// ApproveTransfer approves a pending transfer as the losing registrar would
// (trStatus clientApproved); both registrars get a poll message.
func (r *Registry) ApproveTransfer(name string) {
	r.resolveTransfer(name, "clientApproved")
}

// RejectTransfer rejects a pending transfer as the losing registrar would
// (trStatus clientRejected); both registrars get a poll message.
func (r *Registry) RejectTransfer(name string) {
	r.resolveTransfer(name, "clientRejected")
}

func (r *Registry) resolveTransfer(name, status string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.advance(now)
	if d, ok := r.domains[name]; ok && d.pendingTransfer() {
		r.completeTransfer(d, status, now)
	}
}

// ResolvePendingCreate ends a pendingCreate: on approval the status goes
// away, on rejection the domain is removed and the create refunded. The
// sponsor gets a poll message with domain:panData (paResult 1 or 0, the
// create's clTRID/svTRID in paTRID).
func (r *Registry) ResolvePendingCreate(name string, approve bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.advance(now)
	d, ok := r.domains[name]
	if !ok || !d.pendingCreate {
		return
	}
	result, msg := "1", "Pending create approved."
	if approve {
		d.pendingCreate = false
	} else {
		result, msg = "0", "Pending create rejected."
		delete(r.domains, name)
		r.charge(d.sponsor, name, "refund", d.createYears, now)
	}
	var w xw
	w.open("domain:panData", "xmlns:domain", nsDomain)
	w.leaf("domain:name", name, "paResult", result)
	w.open("domain:paTRID")
	if d.createTRID[0] != "" {
		w.leaf("clTRID", d.createTRID[0])
	}
	w.leaf("svTRID", d.createTRID[1])
	w.close("domain:paTRID")
	w.leaf("domain:paDate", now.Format(eppTime))
	w.close("domain:panData")
	r.queuePoll(d.sponsor, now, msg, w.String())
}

// ---- poll ----

// poll implements RFC 5730 section 2.9.2.3: req returns the oldest
// unacknowledged message (1301) or 1300; ack removes one by id.
func (s *session) poll(c *cmdCtx) response {
	r := s.r
	if len(c.cmd.Children) != 0 {
		return fail(2001, "<poll> must be empty")
	}
	op, hasOp := c.cmd.attr("op")
	queue := r.polls[s.clID]
	switch {
	case !hasOp:
		return fail(2003, "poll needs op")
	case op == "req":
		if len(queue) == 0 {
			return response{code: 1300}
		}
		m := queue[0]
		var w xw
		w.open("msgQ", "count", strconv.Itoa(len(queue)), "id", m.id)
		w.leaf("qDate", m.qDate.Format(eppTime))
		w.leaf("msg", m.msg)
		w.close("msgQ")
		return response{code: 1301, msgQ: w.String(), resData: m.resData}
	case op == "ack":
		id, hasID := c.cmd.attr("msgID")
		if !hasID || id == "" {
			return fail(2003, "poll ack needs msgID")
		}
		for i, m := range queue {
			if m.id == id {
				r.polls[s.clID] = append(queue[:i:i], queue[i+1:]...)
				var w xw
				w.empty("msgQ", "count", strconv.Itoa(len(queue)-1), "id", id)
				return response{code: 1000, msgQ: w.String()}
			}
		}
		return fail(2303, "no message "+id+" in your queue")
	}
	return fail(2005, "poll op must be req or ack")
}
