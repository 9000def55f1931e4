package eppregistry

import (
	"fmt"
	"sort"
	"strings"
)

// What the domain, host and contact commands share: reading the object a
// command names, checking names, looking objects up, and client statuses.

// objectKey starts a command on one object: an element the command does
// not take is 2001, then it reads the key of the object the command names,
// domain:name, host:name or contact:id (2003 when missing, 2005 when
// invalid). allowed lists every child the command takes, the key included.
func (c *cmdCtx) objectKey(allowed ...string) (string, *response) {
	if !c.obj.onlyChildren(c.obj.Space, allowed...) {
		return "", errp(2001, "unexpected element in "+c.name)
	}
	switch c.obj.Space {
	case nsDomain:
		return domainName(c.obj)
	case nsHost:
		return hostName(c.obj)
	default:
		return contactID(c.obj)
	}
}

// checkObjects answers a check command on key elements (domain:name,
// host:name, contact:id): 1 to maxCheck of them, each answered in a cd.
// taken says why an object is not available ("" when it is); a response
// from it (an invalid name) answers the whole command.
func (c *cmdCtx) checkObjects(key string, taken func(k string) (string, *response)) response {
	prefix, _, _ := strings.Cut(c.name, ":")
	el := prefix + ":" + key
	if !c.obj.onlyChildren(c.obj.Space, key) {
		return fail(2001, c.name+" takes only "+el+" elements")
	}
	keys := c.obj.all(c.obj.Space, key)
	if len(keys) == 0 {
		return fail(2003, c.name+" needs at least one "+el)
	}
	if len(keys) > maxCheck {
		return fail(2306, fmt.Sprintf("at most %d %ss per check", maxCheck, key))
	}
	var w xw
	w.open(prefix+":chkData", "xmlns:"+prefix, c.obj.Space)
	for _, n := range keys {
		reason, e := taken(n.text())
		if e != nil {
			return *e
		}
		w.open(prefix + ":cd")
		if reason == "" {
			w.leaf(el, n.text(), "avail", "1")
		} else {
			w.leaf(el, n.text(), "avail", "0")
			w.leaf(prefix+":reason", reason)
		}
		w.close(prefix + ":cd")
	}
	w.close(prefix + ":chkData")
	return ok(w.String())
}

// findObject looks up the object a command names: 2303 when there is none.
func findObject[T any](objs map[string]T, kind, key string) (T, *response) {
	o, found := objs[key]
	if !found {
		return o, errp(2303, "no "+kind+" "+key)
	}
	return o, nil
}

// sponsoredObject looks up an object for a transform, which only its
// sponsor may make (2201).
func sponsoredObject[T interface{ sponsorID() string }](s *session, objs map[string]T, kind, key string) (T, *response) {
	o, e := findObject(objs, kind, key)
	if e == nil && o.sponsorID() != s.clID {
		e = errp(2201, "the "+kind+" is sponsored by another registrar")
	}
	return o, e
}

func (d *domain) sponsorID() string  { return d.sponsor }
func (h *host) sponsorID() string    { return h.sponsor }
func (c *contact) sponsorID() string { return c.sponsor }

// objectStatuses is the status set info reports for a host or a contact: the
// client statuses, sorted; "ok" when there is none; "linked" when a domain
// refers to the object.
func objectStatuses(statuses map[string]bool, linked bool) []string {
	var st []string
	for k := range statuses {
		st = append(st, k)
	}
	sort.Strings(st)
	if len(st) == 0 {
		st = []string{"ok"}
	}
	if linked {
		st = append(st, "linked")
	}
	return st
}

// statusChange reads the client statuses an update removes and adds; an
// object with clientUpdateProhibited refuses (2304) every update that
// does not remove it.
func statusChange(kind, ns string, settable, cur map[string]bool, rem, add *node) (remSt, addSt map[string]bool, e *response) {
	if remSt, e = parseStatuses(rem, ns, settable); e != nil {
		return nil, nil, e
	}
	if addSt, e = parseStatuses(add, ns, settable); e != nil {
		return nil, nil, e
	}
	if cur["clientUpdateProhibited"] && !remSt["clientUpdateProhibited"] {
		return nil, nil, errp(2304, "the "+kind+" is update-prohibited")
	}
	return remSt, addSt, nil
}

// planStatuses returns the statuses after an update: cur (left as it is)
// with the removals, then the additions. Removing a status that is not
// set, or adding one that is, is 2306.
func planStatuses(cur, rem, add map[string]bool) (map[string]bool, *response) {
	out := make(map[string]bool, len(cur)+len(add))
	for st := range cur {
		out[st] = true
	}
	for st := range rem {
		if !out[st] {
			return nil, errp(2306, "status "+st+" is not set")
		}
		delete(out, st)
	}
	for st := range add {
		if out[st] {
			return nil, errp(2306, "status "+st+" is already set")
		}
		out[st] = true
	}
	return out, nil
}
