package eppregistry

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

type postalInfo struct {
	typ, name, org   string
	street           []string
	city, sp, pc, cc string
}

type contact struct {
	id, roid                  string
	sponsor, creator, updater string
	postal                    []postalInfo
	voice, voiceX, fax, faxX  string
	email, authInfo           string
	statuses                  map[string]bool
	created, updated          time.Time
	updates                   int
}

// contactStatuses are the statuses a client may set on a contact.
var contactStatuses = map[string]bool{
	"clientDeleteProhibited":   true,
	"clientTransferProhibited": true,
	"clientUpdateProhibited":   true,
}

func (c *contact) primaryPostal() *postalInfo {
	for i := range c.postal {
		if c.postal[i].typ == "int" {
			return &c.postal[i]
		}
	}
	if len(c.postal) > 0 {
		return &c.postal[0]
	}
	return nil
}

// linked reports whether a domain refers to the contact.
func (r *Registry) contactLinked(id string) bool {
	for _, d := range r.domains {
		if d.registrant == id {
			return true
		}
		for _, cid := range d.contacts {
			if cid == id {
				return true
			}
		}
	}
	return false
}

// contactID reads and validates <contact:id>: RFC 5733 clIDType, a token
// of 3 to 16 characters.
func contactID(obj *node) (string, *response) {
	n := obj.child(nsContact, "id")
	if n == nil {
		return "", errp(2003, "contact:id is required")
	}
	if !validToken(n.Text, 3, 16) || strings.Contains(n.Text, " ") {
		return "", errp(2005, "contact id must be 3 to 16 characters without spaces")
	}
	return n.Text, nil
}

func (s *session) contactCheck(c *cmdCtx) response {
	return c.checkObjects("id", func(id string) (string, *response) {
		if _, taken := s.r.contacts[id]; taken {
			return "In use", nil
		}
		return "", nil
	})
}

// parsePostal validates one <contact:postalInfo>. In a create every field
// but org and sp/pc is required; in an update (partial) all are optional.
func parsePostal(el *node, partial bool) (postalInfo, *response) {
	p := postalInfo{}
	typ, _ := el.attr("type")
	if typ != "int" && typ != "loc" {
		return p, errp(2005, `postalInfo type must be "int" or "loc"`)
	}
	p.typ = typ
	if !el.onlyChildren(nsContact, "name", "org", "addr") {
		return p, errp(2001, "postalInfo holds name, org and addr only")
	}
	p.name, p.org = el.child(nsContact, "name").text(), el.child(nsContact, "org").text()
	addr := el.child(nsContact, "addr")
	if !partial && (p.name == "" || addr == nil) {
		return p, errp(2003, "postalInfo needs name and addr")
	}
	if addr != nil {
		if !addr.onlyChildren(nsContact, "street", "city", "sp", "pc", "cc") {
			return p, errp(2001, "addr holds street, city, sp, pc and cc only")
		}
		for _, st := range addr.all(nsContact, "street") {
			p.street = append(p.street, st.text())
		}
		if len(p.street) > 3 {
			return p, errp(2001, "at most 3 street lines")
		}
		p.city = addr.child(nsContact, "city").text()
		p.sp = addr.child(nsContact, "sp").text()
		p.pc = addr.child(nsContact, "pc").text()
		p.cc = addr.child(nsContact, "cc").text()
		if len(p.street) == 0 || p.city == "" || p.cc == "" {
			return p, errp(2003, "addr needs street, city and cc")
		}
		if !ccRE.MatchString(p.cc) {
			return p, errp(2005, "cc must be an ISO 3166 alpha-2 code in uppercase")
		}
		if len(p.pc) > 16 {
			return p, errp(2005, "pc is at most 16 characters")
		}
	}
	if typ == "int" {
		for _, v := range append([]string{p.name, p.org, p.city, p.sp, p.pc}, p.street...) {
			if !isASCII(v) {
				return p, errp(2005, `postalInfo type "int" must be ASCII; use type "loc"`)
			}
		}
	}
	return p, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// parsePhone reads voice or fax in E.164a form (+CC.NUMBER, optional x=).
func parsePhone(el *node, what string) (num, ext string, e *response) {
	if el == nil {
		return "", "", nil
	}
	if !voiceRE.MatchString(el.text()) {
		return "", "", errp(2005, what+" must look like +1.7035555555")
	}
	x, _ := el.attr("x")
	return el.text(), x, nil
}

func (s *session) contactCreate(c *cmdCtx) response {
	r := s.r
	id, e := c.objectKey("id", "postalInfo", "voice", "fax", "email", "authInfo", "disclose")
	if e != nil {
		return *e
	}
	ct := &contact{id: id, sponsor: s.clID, creator: s.clID, statuses: map[string]bool{}, created: c.now}
	pis := c.obj.all(nsContact, "postalInfo")
	if len(pis) == 0 {
		return fail(2003, "contact:postalInfo is required")
	}
	if len(pis) > 2 {
		return fail(2001, "at most two postalInfo elements (int and loc)")
	}
	for _, el := range pis {
		p, e := parsePostal(el, false)
		if e != nil {
			return *e
		}
		if len(ct.postal) == 1 && ct.postal[0].typ == p.typ {
			return fail(2001, "one postalInfo per type")
		}
		ct.postal = append(ct.postal, p)
	}
	if ct.voice, ct.voiceX, e = parsePhone(c.obj.child(nsContact, "voice"), "voice"); e != nil {
		return *e
	}
	if ct.fax, ct.faxX, e = parsePhone(c.obj.child(nsContact, "fax"), "fax"); e != nil {
		return *e
	}
	email := c.obj.child(nsContact, "email")
	if email == nil || email.text() == "" {
		return fail(2003, "contact:email is required")
	}
	if !emailRE.MatchString(email.text()) {
		return fail(2005, "invalid email address")
	}
	ct.email = email.text()
	if ct.authInfo, e = parseAuthInfo(c.obj.child(nsContact, "authInfo"), nsContact); e != nil {
		return *e
	}
	if _, exists := r.contacts[id]; exists {
		return fail(2302, "contact "+id+" exists")
	}
	ct.roid = fmt.Sprintf("C%d-EPPREG", r.nextID())
	r.contacts[id] = ct
	var w xw
	w.open("contact:creData", "xmlns:contact", nsContact)
	w.leaf("contact:id", id)
	w.leaf("contact:crDate", c.now.Format(eppTime))
	w.close("contact:creData")
	return ok(w.String())
}

// contactInfo: the sponsor sees everything; another registrar needs the
// contact's authInfo (then sees all but the authInfo), else 2201.
func (s *session) contactInfo(c *cmdCtx) response {
	id, e := c.objectKey("id", "authInfo")
	if e != nil {
		return *e
	}
	ct, e := findObject(s.r.contacts, "contact", id)
	if e != nil {
		return *e
	}
	owner := ct.sponsor == s.clID
	if !owner {
		ai := c.obj.child(nsContact, "authInfo")
		if ai == nil {
			return fail(2201, "the contact is sponsored by another registrar")
		}
		pw, e := parseAuthInfo(ai, nsContact)
		if (e != nil && e.code != 2306) || pw != ct.authInfo {
			return fail(2202, "wrong authInfo")
		}
	}
	var w xw
	w.open("contact:infData", "xmlns:contact", nsContact)
	w.leaf("contact:id", ct.id)
	w.leaf("contact:roid", ct.roid)
	for _, st := range objectStatuses(ct.statuses, s.r.contactLinked(ct.id)) {
		w.empty("contact:status", "s", st)
	}
	for _, p := range ct.postal {
		w.open("contact:postalInfo", "type", p.typ)
		w.leaf("contact:name", p.name)
		if p.org != "" {
			w.leaf("contact:org", p.org)
		}
		w.open("contact:addr")
		for _, st := range p.street {
			w.leaf("contact:street", st)
		}
		w.leaf("contact:city", p.city)
		if p.sp != "" {
			w.leaf("contact:sp", p.sp)
		}
		if p.pc != "" {
			w.leaf("contact:pc", p.pc)
		}
		w.leaf("contact:cc", p.cc)
		w.close("contact:addr")
		w.close("contact:postalInfo")
	}
	writePhone(&w, "contact:voice", ct.voice, ct.voiceX)
	writePhone(&w, "contact:fax", ct.fax, ct.faxX)
	w.leaf("contact:email", ct.email)
	w.leaf("contact:clID", ct.sponsor)
	w.leaf("contact:crID", ct.creator)
	w.leaf("contact:crDate", ct.created.Format(eppTime))
	if ct.updater != "" {
		w.leaf("contact:upID", ct.updater)
		w.leaf("contact:upDate", ct.updated.Format(eppTime))
	}
	if owner {
		w.open("contact:authInfo")
		w.leaf("contact:pw", ct.authInfo)
		w.close("contact:authInfo")
	}
	w.close("contact:infData")
	return ok(w.String())
}

func writePhone(w *xw, el, num, ext string) {
	switch {
	case num == "":
	case ext != "":
		w.leaf(el, num, "x", ext)
	default:
		w.leaf(el, num)
	}
}

// contactUpdate: sponsor only; add/rem client statuses; chg postalInfo
// (fields given replace the stored ones), voice, fax, email, authInfo.
func (s *session) contactUpdate(c *cmdCtx) response {
	id, e := c.objectKey("id", "add", "rem", "chg")
	if e != nil {
		return *e
	}
	add, rem, chg := c.obj.child(nsContact, "add"), c.obj.child(nsContact, "rem"), c.obj.child(nsContact, "chg")
	if add == nil && rem == nil && chg == nil {
		return fail(2003, "contact:update needs add, rem or chg")
	}
	ct, e := sponsoredObject(s, s.r.contacts, "contact", id)
	if e != nil {
		return *e
	}
	remSt, addSt, e := statusChange("contact", nsContact, contactStatuses, ct.statuses, rem, add)
	if e != nil {
		return *e
	}
	next := *ct
	next.postal = append([]postalInfo(nil), ct.postal...)
	if next.statuses, e = planStatuses(ct.statuses, remSt, addSt); e != nil {
		return *e
	}
	if chg != nil {
		if e := applyContactChange(&next, chg); e != nil {
			return *e
		}
	}
	next.updates++
	next.updater, next.updated = s.clID, c.now
	*ct = next
	return response{code: 1000}
}

func applyContactChange(ct *contact, chg *node) *response {
	if !chg.onlyChildren(nsContact, "postalInfo", "voice", "fax", "email", "authInfo", "disclose") {
		return errp(2001, "unexpected element in contact:chg")
	}
	for _, el := range chg.all(nsContact, "postalInfo") {
		p, e := parsePostal(el, true)
		if e != nil {
			return e
		}
		mergePostal(ct, p)
	}
	var e *response
	if v := chg.child(nsContact, "voice"); v != nil {
		if ct.voice, ct.voiceX, e = parsePhone(v, "voice"); e != nil {
			return e
		}
	}
	if v := chg.child(nsContact, "fax"); v != nil {
		if ct.fax, ct.faxX, e = parsePhone(v, "fax"); e != nil {
			return e
		}
	}
	if v := chg.child(nsContact, "email"); v != nil {
		if !emailRE.MatchString(v.text()) {
			return errp(2005, "invalid email address")
		}
		ct.email = v.text()
	}
	if ai := chg.child(nsContact, "authInfo"); ai != nil {
		if ct.authInfo, e = parseAuthInfo(ai, nsContact); e != nil {
			return e
		}
	}
	return nil
}

// mergePostal applies a partial postalInfo: given fields replace stored
// ones; a type not stored yet is added.
func mergePostal(ct *contact, p postalInfo) {
	for i := range ct.postal {
		cur := &ct.postal[i]
		if cur.typ != p.typ {
			continue
		}
		if p.name != "" {
			cur.name = p.name
		}
		if p.org != "" {
			cur.org = p.org
		}
		if len(p.street) > 0 {
			cur.street, cur.city, cur.sp, cur.pc, cur.cc = p.street, p.city, p.sp, p.pc, p.cc
		}
		return
	}
	ct.postal = append(ct.postal, p)
}

func (s *session) contactDelete(c *cmdCtx) response {
	id, e := c.objectKey("id")
	if e != nil {
		return *e
	}
	ct, e := sponsoredObject(s, s.r.contacts, "contact", id)
	if e != nil {
		return *e
	}
	if ct.statuses["clientDeleteProhibited"] {
		return fail(2304, "the contact is delete-prohibited")
	}
	if s.r.contactLinked(id) {
		return fail(2305, "contact "+strconv.Quote(id)+" is linked to a domain")
	}
	delete(s.r.contacts, id)
	return response{code: 1000}
}
