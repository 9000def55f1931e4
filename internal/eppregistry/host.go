package eppregistry

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Host objects exist only when Config.HostObjects is set; otherwise the
// host-1.0 service is neither offered nor accepted at login, and every
// host command is 2307.

type host struct {
	name, roid                string
	sponsor, creator, updater string
	addrs                     []hostAddr
	statuses                  map[string]bool
	created, updated          time.Time
}

// hostStatuses are the statuses a client may set on a host.
var hostStatuses = map[string]bool{
	"clientDeleteProhibited": true,
	"clientUpdateProhibited": true,
}

// superordinate returns the registry's domain that a host name lies in,
// if any (the longest matching suffix).
func (r *Registry) superordinate(hostName string) *domain {
	rest := hostName
	for {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return nil
		}
		rest = rest[i+1:]
		if d, ok := r.domains[rest]; ok {
			return d
		}
	}
}

// hostLinked reports whether a domain delegates to the host.
func (r *Registry) hostLinked(name string) bool {
	for _, d := range r.domains {
		if nsIndex(d.ns, name) >= 0 {
			return true
		}
	}
	return false
}

func hostName(obj *node) (string, *response) {
	n := obj.child(nsHost, "name")
	if n == nil {
		return "", errp(2003, "host:name is required")
	}
	if !validHostName(n.text()) {
		return "", errp(2005, "invalid host name "+strconv.Quote(n.text()))
	}
	return n.text(), nil
}

func parseHostAddrs(els []*node) ([]hostAddr, *response) {
	var out []hostAddr
	for _, el := range els {
		a, e := parseAddr(el)
		if e != nil {
			return nil, e
		}
		for _, have := range out {
			if have == a {
				return nil, errp(2306, "address "+a.addr+" listed twice")
			}
		}
		out = append(out, a)
	}
	return out, nil
}

func (s *session) hostCheck(c *cmdCtx) response {
	return c.checkObjects("name", func(name string) (string, *response) {
		if !validHostName(name) {
			return "", &response{code: 2005, reason: "invalid host name " + strconv.Quote(name),
				value: objValue("host", nsHost, "name", name)}
		}
		if _, taken := s.r.hosts[name]; taken {
			return "In use", nil
		}
		return "", nil
	})
}

// hostCreate: a host inside a domain of this registry (a subordinate
// host) needs that domain to be the client's own (2201) and at least one
// address (2003); a host outside (external) takes no address (2306).
func (s *session) hostCreate(c *cmdCtx) response {
	r := s.r
	name, e := c.objectKey("name", "addr")
	if e != nil {
		return *e
	}
	addrs, e := parseHostAddrs(c.obj.all(nsHost, "addr"))
	if e != nil {
		return *e
	}
	if _, exists := r.hosts[name]; exists {
		return fail(2302, "host "+name+" exists")
	}
	if sup := r.superordinate(name); sup != nil {
		if sup.sponsor != s.clID {
			return fail(2201, "the superordinate domain "+sup.name+" is sponsored by another registrar")
		}
		if sup.deleted {
			return fail(2304, "the superordinate domain "+sup.name+" is pending delete")
		}
		if len(addrs) == 0 {
			return fail(2003, "a host inside "+sup.name+" needs an address")
		}
	} else if len(addrs) > 0 {
		return fail(2306, "an external host takes no address")
	}
	r.hosts[name] = &host{
		name: name, roid: fmt.Sprintf("H%d-EPPREG", r.nextID()), sponsor: s.clID, creator: s.clID,
		addrs: addrs, statuses: map[string]bool{}, created: c.now,
	}
	var w xw
	w.open("host:creData", "xmlns:host", nsHost)
	w.leaf("host:name", name)
	w.leaf("host:crDate", c.now.Format(eppTime))
	w.close("host:creData")
	return ok(w.String())
}

// hostInfo is open to every registrar (host data is public in the DNS).
func (s *session) hostInfo(c *cmdCtx) response {
	name, e := c.objectKey("name")
	if e != nil {
		return *e
	}
	h, e := findObject(s.r.hosts, "host", name)
	if e != nil {
		return *e
	}
	var w xw
	w.open("host:infData", "xmlns:host", nsHost)
	w.leaf("host:name", h.name)
	w.leaf("host:roid", h.roid)
	for _, v := range objectStatuses(h.statuses, s.r.hostLinked(name)) {
		w.empty("host:status", "s", v)
	}
	for _, a := range h.addrs {
		w.leaf("host:addr", a.addr, "ip", a.ip)
	}
	w.leaf("host:clID", h.sponsor)
	w.leaf("host:crID", h.creator)
	w.leaf("host:crDate", h.created.Format(eppTime))
	if h.updater != "" {
		w.leaf("host:upID", h.updater)
		w.leaf("host:upDate", h.updated.Format(eppTime))
	}
	w.close("host:infData")
	return ok(w.String())
}

// hostUpdate: sponsor only; add/rem addr and client statuses. Renaming
// (host:chg) is not implemented (2102).
func (s *session) hostUpdate(c *cmdCtx) response {
	name, e := c.objectKey("name", "add", "rem", "chg")
	if e != nil {
		return *e
	}
	add, rem := c.obj.child(nsHost, "add"), c.obj.child(nsHost, "rem")
	if c.obj.child(nsHost, "chg") != nil {
		return fail(2102, "renaming hosts is not implemented")
	}
	if add == nil && rem == nil {
		return fail(2003, "host:update needs add or rem")
	}
	for _, part := range []*node{add, rem} {
		if part != nil && !part.onlyChildren(nsHost, "addr", "status") {
			return fail(2001, "host:add and host:rem hold addr and status only")
		}
	}
	h, e := sponsoredObject(s, s.r.hosts, "host", name)
	if e != nil {
		return *e
	}
	remSt, addSt, e := statusChange("host", nsHost, hostStatuses, h.statuses, rem, add)
	if e != nil {
		return *e
	}
	remA, e := parseHostAddrs(rem.all(nsHost, "addr"))
	if e != nil {
		return *e
	}
	addA, e := parseHostAddrs(add.all(nsHost, "addr"))
	if e != nil {
		return *e
	}
	addrs, statuses, e := s.planHostUpdate(h, remA, addA, remSt, addSt)
	if e != nil {
		return *e
	}
	h.addrs, h.statuses = addrs, statuses
	h.updater, h.updated = s.clID, c.now
	return response{code: 1000}
}

func (s *session) planHostUpdate(h *host, remA, addA []hostAddr, remSt, addSt map[string]bool) ([]hostAddr, map[string]bool, *response) {
	addrs := append([]hostAddr(nil), h.addrs...)
	for _, a := range remA {
		i := -1
		for j, have := range addrs {
			if have == a {
				i = j
			}
		}
		if i < 0 {
			return nil, nil, errp(2306, "address "+a.addr+" is not set")
		}
		addrs = append(addrs[:i:i], addrs[i+1:]...)
	}
	for _, a := range addA {
		for _, have := range addrs {
			if have == a {
				return nil, nil, errp(2306, "address "+a.addr+" is already set")
			}
		}
		addrs = append(addrs, a)
	}
	internal := s.r.superordinate(h.name) != nil
	if internal && len(addrs) == 0 {
		return nil, nil, errp(2306, "a host inside a domain of this registry keeps at least one address")
	}
	if !internal && len(addrs) > 0 {
		return nil, nil, errp(2306, "an external host takes no address")
	}
	statuses, e := planStatuses(h.statuses, remSt, addSt)
	if e != nil {
		return nil, nil, e
	}
	return addrs, statuses, nil
}

// hostDelete: sponsor only; a host a domain delegates to is 2305.
func (s *session) hostDelete(c *cmdCtx) response {
	name, e := c.objectKey("name")
	if e != nil {
		return *e
	}
	h, e := sponsoredObject(s, s.r.hosts, "host", name)
	if e != nil {
		return *e
	}
	if h.statuses["clientDeleteProhibited"] {
		return fail(2304, "the host is delete-prohibited")
	}
	if s.r.hostLinked(name) {
		return fail(2305, "host "+name+" is a name server of a domain")
	}
	delete(s.r.hosts, name)
	return response{code: 1000}
}
