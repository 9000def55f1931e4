package eppregistry

import (
	"fmt"
	"time"
)

// domainChange is a validated domain:update, applied only when every part
// of it passed, so that a refused update changes nothing.
type domainChange struct {
	ns         []nsEntry
	contacts   map[string]string
	statuses   map[string]bool
	registrant string
	authInfo   string
}

// domainUpdate: sponsor only; add/rem ns, contact and client* statuses,
// chg registrant and authInfo. Adding what is present or removing what is
// absent is 2306; server statuses are 2306; clientUpdateProhibited blocks
// every update that does not remove it. The rgp restore extension
// (RFC 3915) restores a domain in redemptionPeriod at once, no report
// needed.
func (s *session) domainUpdate(c *cmdCtx) response {
	name, e := c.objectKey("name", "add", "rem", "chg")
	if e != nil {
		return *e
	}
	add, rem, chg, e := updateParts(c.obj)
	if e != nil {
		return *e
	}
	restore, e := parseRestore(c.ext)
	if e != nil {
		return *e
	}
	d, e := sponsoredObject(s, s.r.domains, "domain", name)
	if e != nil {
		return *e
	}
	if restore {
		return s.restore(d, c, add, rem, chg)
	}
	if add == nil && rem == nil && chg == nil {
		return fail(2003, "domain:update needs add, rem or chg")
	}
	if d.deleted || d.pendingCreate || d.pendingTransfer() {
		return fail(2304, "the domain's status prohibits updates")
	}
	remStatuses, e := parseStatuses(rem, nsDomain, clientStatuses)
	if e != nil {
		return *e
	}
	if d.has("serverUpdateProhibited") || (d.has("clientUpdateProhibited") && !remStatuses["clientUpdateProhibited"]) {
		return fail(2304, "the domain is update-prohibited")
	}
	ch, e := s.planUpdate(d, add, rem, chg, remStatuses)
	if e != nil {
		return *e
	}
	d.ns, d.contacts, d.statuses = ch.ns, ch.contacts, ch.statuses
	d.registrant, d.authInfo = ch.registrant, ch.authInfo
	d.updater, d.updated = s.clID, c.now
	return response{code: 1000}
}

// updateParts returns the add, rem and chg elements after checking what
// they may hold.
func updateParts(obj *node) (add, rem, chg *node, e *response) {
	add, rem, chg = obj.child(nsDomain, "add"), obj.child(nsDomain, "rem"), obj.child(nsDomain, "chg")
	for _, part := range []*node{add, rem} {
		if part != nil && !part.onlyChildren(nsDomain, "ns", "contact", "status") {
			return nil, nil, nil, errp(2001, "domain:add and domain:rem hold ns, contact and status only")
		}
	}
	if chg != nil && !chg.onlyChildren(nsDomain, "registrant", "authInfo") {
		return nil, nil, nil, errp(2001, "domain:chg holds registrant and authInfo only")
	}
	return add, rem, chg, nil
}

// planUpdate computes the domain after the update: removals first, then
// additions, then changes.
func (s *session) planUpdate(d *domain, add, rem, chg *node, remStatuses map[string]bool) (*domainChange, *response) {
	ch := &domainChange{
		ns: append([]nsEntry(nil), d.ns...), contacts: map[string]string{},
		registrant: d.registrant, authInfo: d.authInfo,
	}
	for k, v := range d.contacts {
		ch.contacts[k] = v
	}
	if e := s.planNS(d, ch, add, rem); e != nil {
		return nil, e
	}
	if e := s.planContacts(ch, add, rem); e != nil {
		return nil, e
	}
	addStatuses, e := parseStatuses(add, nsDomain, clientStatuses)
	if e != nil {
		return nil, e
	}
	if ch.statuses, e = planStatuses(d.statuses, remStatuses, addStatuses); e != nil {
		return nil, e
	}
	if chg != nil {
		if reg := chg.child(nsDomain, "registrant"); reg != nil {
			if e := s.ownContact(reg.text()); e != nil {
				return nil, e
			}
			ch.registrant = reg.text()
		}
		if ai := chg.child(nsDomain, "authInfo"); ai != nil {
			pw, e := parseAuthInfo(ai, nsDomain)
			if e != nil {
				return nil, e
			}
			ch.authInfo = pw
		}
	}
	return ch, nil
}

func (s *session) planNS(d *domain, ch *domainChange, add, rem *node) *response {
	remNS, e := s.parseNS(rem.child(nsDomain, "ns"), d.name, false)
	if e != nil {
		return e
	}
	addNS, e := s.parseNS(add.child(nsDomain, "ns"), d.name, true)
	if e != nil {
		return e
	}
	for _, n := range remNS {
		i := nsIndex(ch.ns, n.name)
		if i < 0 {
			return errp(2306, "name server "+n.name+" is not set")
		}
		ch.ns = append(ch.ns[:i:i], ch.ns[i+1:]...)
	}
	for _, n := range addNS {
		if nsIndex(ch.ns, n.name) >= 0 {
			return errp(2306, "name server "+n.name+" is already set")
		}
		ch.ns = append(ch.ns, n)
	}
	if len(ch.ns) > maxNameServers {
		return errp(2004, fmt.Sprintf("at most %d name servers", maxNameServers))
	}
	return nil
}

func nsIndex(list []nsEntry, name string) int {
	for i, n := range list {
		if n.name == name {
			return i
		}
	}
	return -1
}

func (s *session) planContacts(ch *domainChange, add, rem *node) *response {
	remC, e := s.domainContacts(rem.all(nsDomain, "contact"), false)
	if e != nil {
		return e
	}
	addC, e := s.domainContacts(add.all(nsDomain, "contact"), true)
	if e != nil {
		return e
	}
	for typ, id := range remC {
		if ch.contacts[typ] != id {
			return errp(2306, "contact "+id+" is not the "+typ+" contact")
		}
		delete(ch.contacts, typ)
	}
	for typ, id := range addC {
		if _, set := ch.contacts[typ]; set {
			return errp(2306, "the domain already has a "+typ+" contact (remove it in the same update)")
		}
		ch.contacts[typ] = id
	}
	return nil
}

// parseStatuses reads the <status s="..."> children of an add or rem
// element: settable ones are returned, server-only ones are 2306, unknown
// values 2005.
func parseStatuses(part *node, ns string, settable map[string]bool) (map[string]bool, *response) {
	out := map[string]bool{}
	for _, st := range part.all(ns, "status") {
		v, has := st.attr("s")
		switch {
		case !has:
			return nil, errp(2003, "status needs the s attribute")
		case settable[v]:
			out[v] = true
		case serverOrPendingStatuses[v] || clientStatuses[v]:
			return nil, errp(2306, "status "+v+" cannot be set or removed by a client here")
		default:
			return nil, errp(2005, "unknown status "+v)
		}
	}
	return out, nil
}

// parseRestore reads an RFC 3915 <rgp:update><rgp:restore op="request"/>.
func parseRestore(ext *node) (bool, *response) {
	if ext == nil {
		return false, nil
	}
	up := ext.child(nsRGP, "update")
	if up == nil || len(ext.Children) != 1 {
		return false, errp(2103, "only the rgp:update extension is implemented on domain:update")
	}
	rs := up.child(nsRGP, "restore")
	if rs == nil || len(up.Children) != 1 {
		return false, errp(2001, "rgp:update holds one rgp:restore")
	}
	switch op, _ := rs.attr("op"); op {
	case "request":
		return true, nil
	case "report":
		return false, errp(2102, "this registry restores on request; no report is needed")
	default:
		return false, errp(2005, `rgp:restore op must be "request" or "report"`)
	}
}

// restore brings a domain in redemptionPeriod back. If it has expired
// meanwhile it is renewed (charged as "renew") until it runs past now.
func (s *session) restore(d *domain, c *cmdCtx, add, rem, chg *node) response {
	r := s.r
	if add != nil || rem != nil || (chg != nil && len(chg.Children) > 0) {
		return fail(2306, "a restore request is an otherwise empty update")
	}
	if !d.deleted {
		return fail(2304, "the domain is not in redemptionPeriod")
	}
	d.deleted, d.purgeAt = false, time.Time{}
	for !d.expires.After(c.now) {
		d.expires = d.expires.AddDate(1, 0, 0)
		r.charge(s.clID, d.name, "renew", 1, c.now)
	}
	r.charge(s.clID, d.name, "restore", 0, c.now)
	d.updater, d.updated = s.clID, c.now
	return response{code: 1000}
}
