package eppregistry

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// maxCheck is how many names one check may ask about.
const maxCheck = 50

// maxNameServers is the most name servers a domain may have.
const maxNameServers = 13

// domainName reads and validates <domain:name>.
func domainName(obj *node) (string, *response) {
	n := obj.child(nsDomain, "name")
	if n == nil {
		return "", errp(2003, "domain:name is required")
	}
	name := n.text()
	if !validDomainName(name) {
		return "", errp(2005, "invalid domain name "+strconv.Quote(name)+" (lowercase LDH labels, at least two)")
	}
	return name, nil
}

func (s *session) domainCheck(c *cmdCtx) response {
	return c.checkObjects("name", func(name string) (string, *response) {
		if !validDomainName(name) {
			return "", &response{code: 2005, reason: "invalid domain name " + strconv.Quote(name),
				value: objValue("domain", nsDomain, "name", name)}
		}
		d, taken := s.r.domains[name]
		switch {
		case !taken:
			return "", nil
		case d.deleted:
			return "Pending delete (redemption period)", nil
		case d.pendingCreate:
			return "Pending create", nil
		}
		return "In use", nil
	})
}

// domainInfo: the sponsor sees everything; another registrar with the
// right authInfo sees everything but the authInfo; without authInfo only
// name, roid, status, clID, crDate and exDate; with a wrong one 2202.
func (s *session) domainInfo(c *cmdCtx) response {
	r := s.r
	name, e := c.objectKey("name", "authInfo")
	if e != nil {
		return *e
	}
	hosts, has := c.obj.child(nsDomain, "name").attr("hosts")
	if !has {
		hosts = "all"
	}
	if hosts != "all" && hosts != "del" && hosts != "sub" && hosts != "none" {
		return fail(2005, `hosts must be all, del, sub or none`)
	}
	d, e := findObject(r.domains, "domain", name)
	if e != nil {
		return *e
	}
	full, withAuth := d.sponsor == s.clID, d.sponsor == s.clID
	if !full {
		if ai := c.obj.child(nsDomain, "authInfo"); ai != nil {
			pw, e := parseAuthInfo(ai, nsDomain)
			if e != nil && e.code != 2306 {
				return *e
			}
			if e != nil || pw != d.authInfo {
				return fail(2202, "wrong authInfo")
			}
			full = true
		}
	}
	res := ok(r.domainInfData(d, c.now, full, withAuth, hosts))
	if s.extURIs[nsRGP] {
		if st := d.rgpStatus(c.now); st != "" {
			var w xw
			w.open("rgp:infData", "xmlns:rgp", nsRGP)
			w.empty("rgp:rgpStatus", "s", st)
			w.close("rgp:infData")
			res.ext = w.String()
		}
	}
	return res
}

func (r *Registry) domainInfData(d *domain, now time.Time, full, withAuth bool, hosts string) string {
	var w xw
	w.open("domain:infData", "xmlns:domain", nsDomain)
	w.leaf("domain:name", d.name)
	w.leaf("domain:roid", d.roid)
	for _, st := range d.statusList(now) {
		w.empty("domain:status", "s", st)
	}
	if full {
		if d.registrant != "" {
			w.leaf("domain:registrant", d.registrant)
		}
		for _, typ := range []string{"admin", "billing", "tech"} {
			if id, ok := d.contacts[typ]; ok {
				w.leaf("domain:contact", id, "type", typ)
			}
		}
		if len(d.ns) > 0 && (hosts == "all" || hosts == "del") {
			r.writeNS(&w, d.ns)
		}
		if hosts == "all" || hosts == "sub" {
			for _, h := range r.subordinates(d) {
				w.leaf("domain:host", h)
			}
		}
	}
	w.leaf("domain:clID", d.sponsor)
	if full {
		w.leaf("domain:crID", d.creator)
	}
	w.leaf("domain:crDate", d.created.Format(eppTime))
	if full && d.updater != "" {
		w.leaf("domain:upID", d.updater)
		w.leaf("domain:upDate", d.updated.Format(eppTime))
	}
	w.leaf("domain:exDate", d.expires.Format(eppTime))
	if full && !d.transferred.IsZero() {
		w.leaf("domain:trDate", d.transferred.Format(eppTime))
	}
	if withAuth {
		w.open("domain:authInfo")
		w.leaf("domain:pw", d.authInfo)
		w.close("domain:authInfo")
	}
	w.close("domain:infData")
	return w.String()
}

// writeNS renders <domain:ns> in the registry's host model.
func (r *Registry) writeNS(w *xw, list []nsEntry) {
	w.open("domain:ns")
	for _, ns := range list {
		if r.cfg.HostObjects {
			w.leaf("domain:hostObj", ns.name)
			continue
		}
		w.open("domain:hostAttr")
		w.leaf("domain:hostName", ns.name)
		for _, a := range ns.addrs {
			w.leaf("domain:hostAddr", a.addr, "ip", a.ip)
		}
		w.close("domain:hostAttr")
	}
	w.close("domain:ns")
}

// subordinates lists the host objects below a domain, sorted.
func (r *Registry) subordinates(d *domain) []string {
	var out []string
	for name := range r.hosts {
		if isSubordinate(name, d.name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// domainContacts validates the domain:contact elements of a create or an
// update's add/rem: type admin/billing/tech, one per type.
func (s *session) domainContacts(els []*node, mustOwn bool) (map[string]string, *response) {
	out := map[string]string{}
	for _, el := range els {
		typ, _ := el.attr("type")
		if typ != "admin" && typ != "billing" && typ != "tech" {
			return nil, errp(2005, "contact type must be admin, billing or tech")
		}
		if _, dup := out[typ]; dup {
			return nil, errp(2306, "one "+typ+" contact per domain")
		}
		id := el.text()
		if mustOwn {
			if e := s.ownContact(id); e != nil {
				return nil, e
			}
		}
		out[typ] = id
	}
	return out, nil
}

// ownContact checks that a contact to be linked exists (2303) and is the
// client's own (2201).
func (s *session) ownContact(id string) *response {
	ct, ok := s.r.contacts[id]
	if !ok {
		return errp(2303, "no contact "+id)
	}
	if ct.sponsor != s.clID {
		return errp(2201, "contact "+id+" is sponsored by another registrar")
	}
	return nil
}

func (s *session) domainCreate(c *cmdCtx) response {
	r := s.r
	name, e := c.objectKey("name", "period", "ns", "registrant", "contact", "authInfo")
	if e != nil {
		return *e
	}
	years, e := parsePeriod(c.obj.child(nsDomain, "period"))
	if e != nil {
		return *e
	}
	ns, e := s.parseNS(c.obj.child(nsDomain, "ns"), name, true)
	if e != nil {
		return *e
	}
	if len(ns) > maxNameServers {
		return fail(2004, fmt.Sprintf("at most %d name servers", maxNameServers))
	}
	reg := c.obj.child(nsDomain, "registrant")
	if reg == nil || reg.text() == "" {
		return fail(2003, "this registry requires a registrant")
	}
	authInfo, e := parseAuthInfo(c.obj.child(nsDomain, "authInfo"), nsDomain)
	if e != nil {
		return *e
	}
	if _, exists := r.domains[name]; exists {
		return fail(2302, name+" is already registered")
	}
	if e := s.ownContact(reg.text()); e != nil {
		return *e
	}
	contacts, e := s.domainContacts(c.obj.all(nsDomain, "contact"), true)
	if e != nil {
		return *e
	}
	d := &domain{
		name: name, roid: fmt.Sprintf("D%d-EPPREG", r.nextID()), sponsor: s.clID, creator: s.clID,
		registrant: reg.text(), contacts: contacts, ns: ns, statuses: map[string]bool{},
		created: c.now, expires: c.now.AddDate(years, 0, 0), authInfo: authInfo,
		creates: 1, createYears: years,
	}
	code := 1000
	if r.pendingCreates {
		d.pendingCreate, code = true, 1001
		d.createTRID = [2]string{c.clTRID, c.svTRID}
	}
	r.domains[name] = d
	r.charge(s.clID, name, "create", years, c.now)
	var w xw
	w.open("domain:creData", "xmlns:domain", nsDomain)
	w.leaf("domain:name", name)
	w.leaf("domain:crDate", d.created.Format(eppTime))
	w.leaf("domain:exDate", d.expires.Format(eppTime))
	w.close("domain:creData")
	return response{code: code, resData: w.String()}
}

// parseNS reads <domain:ns> in the form the registry's host model wants.
// With mustExist (create, update add) host objects must exist and glue
// rules apply; a rem list only needs the names.
func (s *session) parseNS(el *node, domainName string, mustExist bool) ([]nsEntry, *response) {
	if el == nil {
		return nil, nil
	}
	objs, attrs := el.all(nsDomain, "hostObj"), el.all(nsDomain, "hostAttr")
	switch {
	case len(objs)+len(attrs) != len(el.Children):
		return nil, errp(2001, "domain:ns holds only hostObj or hostAttr elements")
	case len(objs) > 0 && len(attrs) > 0:
		return nil, errp(2001, "domain:ns mixes hostObj and hostAttr")
	case s.r.cfg.HostObjects && len(attrs) > 0:
		return nil, errp(2306, "this registry uses host objects: name servers are domain:hostObj")
	case !s.r.cfg.HostObjects && len(objs) > 0:
		return nil, errp(2306, "this registry uses host attributes: name servers are domain:hostAttr")
	}
	var out []nsEntry
	seen := map[string]bool{}
	for _, o := range objs {
		name := o.text()
		if !validHostName(name) {
			return nil, errp(2005, "invalid host name "+strconv.Quote(name))
		}
		if mustExist {
			if _, ok := s.r.hosts[name]; !ok {
				return nil, errp(2303, "no host object "+name+" (create it with host:create first)")
			}
		}
		if seen[name] {
			return nil, errp(2306, "name server "+name+" listed twice")
		}
		seen[name] = true
		out = append(out, nsEntry{name: name})
	}
	for _, a := range attrs {
		entry, e := parseHostAttr(a, domainName, mustExist)
		if e != nil {
			return nil, e
		}
		if seen[entry.name] {
			return nil, errp(2306, "name server "+entry.name+" listed twice")
		}
		seen[entry.name] = true
		out = append(out, entry)
	}
	return out, nil
}

// parseHostAttr reads one <domain:hostAttr>. Glue addresses are required
// for a name server inside the domain itself and refused for any other
// (the registry publishes glue only where it is needed).
func parseHostAttr(a *node, domainName string, checkGlue bool) (nsEntry, *response) {
	if !a.onlyChildren(nsDomain, "hostName", "hostAddr") {
		return nsEntry{}, errp(2001, "domain:hostAttr holds hostName and hostAddr only")
	}
	hn := a.child(nsDomain, "hostName")
	if hn == nil {
		return nsEntry{}, errp(2003, "domain:hostAttr needs domain:hostName")
	}
	name := hn.text()
	if !validHostName(name) {
		return nsEntry{}, errp(2005, "invalid host name "+strconv.Quote(name))
	}
	entry := nsEntry{name: name}
	for _, ad := range a.all(nsDomain, "hostAddr") {
		addr, e := parseAddr(ad)
		if e != nil {
			return nsEntry{}, e
		}
		entry.addrs = append(entry.addrs, addr)
	}
	if checkGlue {
		internal := isSubordinate(name, domainName)
		if internal && len(entry.addrs) == 0 {
			return nsEntry{}, errp(2003, "name server "+name+" is inside the domain and needs a hostAddr")
		}
		if !internal && len(entry.addrs) > 0 {
			return nsEntry{}, errp(2306, "name server "+name+" is outside the domain: no hostAddr allowed")
		}
	}
	return entry, nil
}

// domainRenew: curExpDate must be the current expiry date (YYYY-MM-DD,
// UTC), the period 1..10 years, and the result no more than 10 years from
// now.
func (s *session) domainRenew(c *cmdCtx) response {
	r := s.r
	name, e := c.objectKey("name", "curExpDate", "period")
	if e != nil {
		return *e
	}
	cur := c.obj.child(nsDomain, "curExpDate")
	if cur == nil {
		return fail(2003, "domain:curExpDate is required")
	}
	curDate, err := time.Parse("2006-01-02", cur.text())
	if err != nil {
		return fail(2005, "curExpDate must be YYYY-MM-DD")
	}
	years, e := parsePeriod(c.obj.child(nsDomain, "period"))
	if e != nil {
		return *e
	}
	d, e := sponsoredObject(s, r.domains, "domain", name)
	if e != nil {
		return *e
	}
	if d.deleted || d.pendingCreate || d.pendingTransfer() || d.has("clientRenewProhibited", "serverRenewProhibited") {
		return fail(2304, "the domain's status prohibits renewal")
	}
	if curDate.Format("2006-01-02") != d.expires.Format("2006-01-02") {
		return response{code: 2306, reason: "curExpDate is not the current expiry date " + d.expires.Format("2006-01-02"),
			value: objValue("domain", nsDomain, "curExpDate", cur.text())}
	}
	newExp := d.expires.AddDate(years, 0, 0)
	if newExp.After(c.now.AddDate(10, 0, 0)) {
		return fail(2306, "a registration may not run more than 10 years from now")
	}
	d.expires = newExp
	d.renewals++
	r.charge(s.clID, name, "renew", years, c.now)
	var w xw
	w.open("domain:renData", "xmlns:domain", nsDomain)
	w.leaf("domain:name", name)
	w.leaf("domain:exDate", d.expires.Format(eppTime))
	w.close("domain:renData")
	return ok(w.String())
}

// domainDelete answers 1001: the domain goes to pendingDelete with RGP
// status redemptionPeriod for RedemptionPeriod, then is purged. Inside the
// auto-renew grace period the auto-renewal is refunded first.
func (s *session) domainDelete(c *cmdCtx) response {
	r := s.r
	name, e := c.objectKey("name")
	if e != nil {
		return *e
	}
	d, e := sponsoredObject(s, r.domains, "domain", name)
	if e != nil {
		return *e
	}
	if d.deleted || d.pendingCreate || d.pendingTransfer() || d.has("clientDeleteProhibited", "serverDeleteProhibited") {
		return fail(2304, "the domain's status prohibits deletion")
	}
	if subs := r.subordinates(d); len(subs) > 0 {
		return fail(2305, "the domain has subordinate host objects: delete "+subs[0]+" first")
	}
	if c.now.Before(d.autoRenewEnd) {
		d.expires = d.expires.AddDate(-1, 0, 0)
		r.charge(s.clID, name, "refund", 1, c.now)
	}
	d.autoRenewEnd = time.Time{}
	d.deleted = true
	d.purgeAt = c.now.Add(r.cfg.RedemptionPeriod)
	d.deletes++
	d.updater, d.updated = s.clID, c.now
	return response{code: 1001}
}
