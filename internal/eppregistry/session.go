package eppregistry

import (
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"
)

// handshakeTimeout bounds the TLS handshake so that a client that connects
// and says nothing does not hold a goroutine forever.
const handshakeTimeout = 10 * time.Second

// session is one client connection.
type session struct {
	r       *Registry
	conn    net.Conn // the raw TCP connection (closing it unblocks reads)
	tls     *tls.Conn
	cn      string // CN of the verified client certificate
	clID    string // set by a successful login
	counted bool   // counted in the account's open sessions
	objURIs map[string]bool
	extURIs map[string]bool
}

// cmdCtx is one command being executed.
type cmdCtx struct {
	now    time.Time
	name   string // logged name, e.g. "domain:create", "poll req"
	cmd    *node  // <create>, <login>, <poll>, ...
	obj    *node  // the object element, e.g. <domain:create>; nil for login/logout/poll
	ext    *node  // <extension> or nil
	clTRID string
	svTRID string
}

func (r *Registry) acceptLoop() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			select {
			case <-r.done:
				return
			default:
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			return
		}
		s := &session{r: r, conn: c}
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			_ = c.Close()
			return
		}
		r.conns[s] = struct{}{}
		r.wg.Add(1)
		r.mu.Unlock()
		go s.serve()
	}
}

func (s *session) serve() {
	r := s.r
	defer r.wg.Done()
	defer func() {
		_ = s.conn.Close()
		r.mu.Lock()
		delete(r.conns, s)
		if s.counted {
			if a, ok := r.accounts[s.clID]; ok {
				a.sessions--
			}
		}
		r.mu.Unlock()
	}()

	s.tls = tls.Server(s.conn, r.tls)
	_ = s.conn.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := s.tls.Handshake(); err != nil {
		return // no or untrusted client certificate: refused at the handshake
	}
	_ = s.conn.SetDeadline(time.Time{})
	certs := s.tls.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return
	}
	s.cn = certs[0].Subject.CommonName

	r.mu.Lock()
	now := r.now()
	r.advance(now)
	greeting := r.greeting(now)
	r.mu.Unlock()
	if writeFrame(s.tls, greeting) != nil {
		return
	}
	for {
		data, err := readFrame(s.tls)
		if err != nil {
			return // EOF, a broken frame or an oversized one: close
		}
		out, closeAfter := s.handle(data)
		if out == nil {
			return // a fault dropped the connection
		}
		if writeFrame(s.tls, out) != nil || closeAfter {
			return
		}
	}
}

// greeting builds the RFC 5730 <greeting> (caller holds r.mu).
func (r *Registry) greeting(now time.Time) []byte {
	var w xw
	w.raw(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>`)
	w.open("epp", "xmlns", nsEPP)
	w.open("greeting")
	w.leaf("svID", "eppregistry strict test registry")
	w.leaf("svDate", now.Format(eppTime))
	w.open("svcMenu")
	w.leaf("version", "1.0")
	w.leaf("lang", "en")
	for _, uri := range r.objectURIs() {
		w.leaf("objURI", uri)
	}
	w.open("svcExtension")
	w.leaf("extURI", nsRGP)
	w.close("svcExtension")
	w.close("svcMenu")
	w.open("dcp")
	w.open("access")
	w.empty("all")
	w.close("access")
	w.open("statement")
	w.open("purpose")
	w.empty("admin")
	w.empty("prov")
	w.close("purpose")
	w.open("recipient")
	w.empty("ours")
	w.empty("public")
	w.close("recipient")
	w.open("retention")
	w.empty("stated")
	w.close("retention")
	w.close("statement")
	w.close("dcp")
	w.close("greeting")
	w.close("epp")
	return []byte(w.String())
}

func (r *Registry) objectURIs() []string {
	uris := []string{nsDomain, nsContact}
	if r.cfg.HostObjects {
		uris = append(uris, nsHost)
	}
	return uris
}

// handle answers one frame. A nil answer means: close without answering.
func (s *session) handle(data []byte) (out []byte, closeAfter bool) {
	r := s.r
	root, err := parseXML(data)
	if err != nil {
		return s.quick(fail(2001, "the frame is not well-formed XML"), ""), false
	}
	if root.Space != nsEPP || root.Local != "epp" {
		return s.quick(fail(2001, "the root element must be <epp> in "+nsEPP), ""), false
	}
	if len(root.Children) != 1 || root.Children[0].Space != nsEPP {
		return s.quick(fail(2001, "<epp> must hold exactly one <hello> or <command>"), ""), false
	}
	el := root.Children[0]
	switch el.Local {
	case "hello":
		if len(el.Children) != 0 || el.text() != "" {
			return s.quick(fail(2001, "<hello> must be empty"), ""), false
		}
		r.mu.Lock()
		now := r.now()
		r.advance(now)
		g := r.greeting(now)
		r.mu.Unlock()
		return g, false
	case "command":
		return s.command(el)
	default:
		return s.quick(fail(2001, "unexpected element <"+el.Local+">"), ""), false
	}
}

// quick renders a response that executes nothing.
func (s *session) quick(res response, clTRID string) []byte {
	s.r.mu.Lock()
	svTRID := s.r.svTRID()
	s.r.mu.Unlock()
	return render(res, clTRID, svTRID, "")
}

func (r *Registry) svTRID() string { return fmt.Sprintf("EPPREG-%08d", r.nextID()) }

// command parses the <command> envelope, applies faults and runs the
// handler under the registry lock.
func (s *session) command(el *node) (out []byte, closeAfter bool) {
	r := s.r
	cmd, ext, clTRID, e := parseEnvelope(el)
	if e != nil {
		return s.quick(*e, clTRID), false
	}
	name, obj := commandName(cmd)
	logAs := s.clID
	if name == "login" {
		logAs = cmd.child(nsEPP, "clID").text()
	}

	c := &cmdCtx{name: name, cmd: cmd, obj: obj, ext: ext, clTRID: clTRID}
	res, fault := s.run(c, logAs)
	if fault != nil && fault.DropBeforeCommit {
		return nil, true
	}
	if fault != nil && fault.DropAfterCommit {
		return nil, true
	}
	if fault != nil && fault.Delay > 0 {
		t := time.NewTimer(fault.Delay)
		select {
		case <-t.C:
		case <-r.done:
			t.Stop()
			return nil, true
		}
	}
	return render(res, clTRID, c.svTRID, defaultValue(obj)), res.close || res.code == 1500
}

// run logs the command, applies the clock and takes a matching fault, then
// executes the command unless the fault drops it first; all under r.mu. A
// panic in a handler (a bug, never expected) becomes 2400 instead of
// taking the test binary down, and the deferred unlock keeps the registry
// usable.
func (s *session) run(c *cmdCtx, logAs string) (res response, fault *Fault) {
	r := s.r
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			res = fail(2400, fmt.Sprintf("internal error: %v", p))
		}
	}()
	c.now, c.svTRID = r.now(), r.svTRID()
	r.commands[logAs] = append(r.commands[logAs], c.name)
	r.advance(c.now)
	fault = r.takeFault(c.name)
	if fault != nil && fault.DropBeforeCommit {
		return response{}, fault
	}
	return s.execute(c), fault
}

// parseEnvelope splits <command> into the command element, the optional
// <extension> and the clTRID. This registry requires a clTRID (RFC 5730
// makes it optional) and holds it to the schema's trIDStringType: a token
// of 3 to 64 characters. On an error the clTRID is still returned when it
// is valid, so that the client can match the 2001 to its request.
func parseEnvelope(el *node) (cmd, ext *node, clTRID string, e *response) {
	var tr *node
	var bad string
	for _, c := range el.Children {
		switch {
		case c.Space != nsEPP:
			bad = "unexpected element in <command>"
		case c.Local == "extension":
			if ext != nil || cmd == nil || tr != nil {
				bad = "misplaced <extension>"
			}
			ext = c
		case c.Local == "clTRID":
			if tr != nil || cmd == nil {
				bad = "misplaced <clTRID>"
			}
			tr = c
		default:
			if cmd != nil {
				bad = "<command> holds more than one command"
			}
			cmd = c
		}
	}
	if tr != nil && validToken(tr.Text, 3, 64) && len(tr.Children) == 0 {
		clTRID = tr.Text
	}
	switch {
	case bad != "":
		return nil, nil, clTRID, errp(2001, bad)
	case cmd == nil:
		return nil, nil, clTRID, errp(2001, "<command> holds no command")
	case clTRID == "":
		return nil, nil, "", errp(2001, "a clTRID of 3 to 64 characters is required")
	}
	return cmd, ext, clTRID, nil
}

// commandName names a command for the log, faults and dispatch:
// "login", "logout", "poll req", "domain:create", ... and returns the
// object element for object commands.
func commandName(cmd *node) (string, *node) {
	switch cmd.Local {
	case "login", "logout":
		return cmd.Local, nil
	case "poll":
		op, _ := cmd.attr("op")
		return strings.TrimSpace("poll " + op), nil
	case "check", "info", "create", "delete", "renew", "transfer", "update":
		if len(cmd.Children) != 1 {
			return "?:" + cmd.Local, nil
		}
		obj := cmd.Children[0]
		prefix := "?"
		switch obj.Space {
		case nsDomain:
			prefix = "domain"
		case nsContact:
			prefix = "contact"
		case nsHost:
			prefix = "host"
		}
		return prefix + ":" + cmd.Local, obj
	}
	return cmd.Local, nil
}

// defaultValue is the element an error's <extValue> points at: the
// object's identifier as the client sent it.
func defaultValue(obj *node) string {
	if obj == nil || len(obj.Children) == 0 {
		return ""
	}
	first := obj.Children[0]
	switch obj.Space {
	case nsDomain:
		return objValue("domain", nsDomain, first.Local, first.text())
	case nsContact:
		return objValue("contact", nsContact, first.Local, first.text())
	case nsHost:
		return objValue("host", nsHost, first.Local, first.text())
	}
	return ""
}

type handler func(s *session, c *cmdCtx) response

var objectHandlers = map[string]handler{
	"domain:check":    (*session).domainCheck,
	"domain:info":     (*session).domainInfo,
	"domain:create":   (*session).domainCreate,
	"domain:renew":    (*session).domainRenew,
	"domain:delete":   (*session).domainDelete,
	"domain:update":   (*session).domainUpdate,
	"domain:transfer": (*session).domainTransfer,
	"contact:check":   (*session).contactCheck,
	"contact:info":    (*session).contactInfo,
	"contact:create":  (*session).contactCreate,
	"contact:update":  (*session).contactUpdate,
	"contact:delete":  (*session).contactDelete,
	"host:check":      (*session).hostCheck,
	"host:info":       (*session).hostInfo,
	"host:create":     (*session).hostCreate,
	"host:update":     (*session).hostUpdate,
	"host:delete":     (*session).hostDelete,
}

// execute runs one command (caller holds r.mu).
func (s *session) execute(c *cmdCtx) response {
	switch c.cmd.Local {
	case "login":
		return s.login(c)
	case "logout":
		if len(c.cmd.Children) != 0 {
			return fail(2001, "<logout> must be empty")
		}
		return response{code: 1500, close: true}
	}
	if s.clID == "" {
		return fail(2002, "log in first: only hello, login and logout are allowed before login")
	}
	if c.cmd.Local == "poll" {
		if c.ext != nil {
			return fail(2103, "poll takes no extension")
		}
		return s.poll(c)
	}
	h, known := objectHandlers[c.name]
	if !known {
		switch {
		case strings.HasPrefix(c.name, "?:"):
			if c.obj == nil {
				return fail(2001, "<"+c.cmd.Local+"> must hold exactly one object element")
			}
			return fail(2307, "unknown object namespace "+c.obj.Space)
		case strings.Contains(c.name, ":"):
			return fail(2101, c.name+" is not implemented")
		}
		return fail(2000, "unknown command <"+c.cmd.Local+">")
	}
	if c.obj.Local != c.cmd.Local {
		return fail(2001, "<"+c.cmd.Local+"> must hold the object's <"+c.cmd.Local+">")
	}
	if !s.objURIs[c.obj.Space] {
		return fail(2307, "object service "+c.obj.Space+" was not requested at login")
	}
	if c.ext != nil {
		for _, e := range c.ext.Children {
			if !s.extURIs[e.Space] {
				return fail(2103, "extension "+e.Space+" is not offered or was not requested at login")
			}
		}
		if c.name != "domain:update" {
			return fail(2103, c.name+" takes no extension here")
		}
	}
	return h(s, c)
}

// login implements RFC 5730 section 2.9.1.1 with this registry's policy:
// unknown clID, wrong password and a certificate CN that is not the clID
// are all 2200; MaxFailedLogins wrong passwords in a row lock the clID
// (2200 and close); too many sessions is 2502 and close.
func (s *session) login(c *cmdCtx) response {
	r := s.r
	if s.clID != "" {
		return fail(2002, "already logged in")
	}
	l := c.cmd
	if !l.onlyChildren(nsEPP, "clID", "pw", "newPW", "options", "svcs") {
		return fail(2001, "unexpected element in <login>")
	}
	clID, pw := l.child(nsEPP, "clID"), l.child(nsEPP, "pw")
	if clID == nil || pw == nil {
		return fail(2003, "login needs clID and pw")
	}
	objs, exts, e := r.loginServices(l)
	if e != nil {
		return *e
	}
	if r.refuseLogins {
		return response{code: 2501, reason: "logins are refused at the moment", close: true}
	}
	id := clID.text()
	a, e := s.authenticate(id, pw.Text)
	if e != nil {
		return *e
	}
	if np := l.child(nsEPP, "newPW"); np != nil {
		if len(np.Text) < 6 || len(np.Text) > 16 {
			return fail(2005, "newPW must be 6 to 16 characters")
		}
		a.password = np.Text
	}
	a.sessions++
	s.counted = true
	s.clID = id
	s.objURIs = objs
	s.extURIs = exts
	return response{code: 1000}
}

// loginServices checks the login options (version 1.0, lang en) and
// returns the requested object and extension services, each of which
// must be offered in the greeting (2307 and 2103 otherwise).
func (r *Registry) loginServices(l *node) (objs, exts map[string]bool, e *response) {
	opts, svcs := l.child(nsEPP, "options"), l.child(nsEPP, "svcs")
	if opts == nil || svcs == nil {
		return nil, nil, errp(2003, "login needs options and svcs")
	}
	version, lang := opts.child(nsEPP, "version"), opts.child(nsEPP, "lang")
	switch {
	case version == nil || lang == nil:
		return nil, nil, errp(2003, "login options need version and lang")
	case version.text() != "1.0":
		return nil, nil, errp(2100, "only EPP version 1.0 is implemented")
	case lang.text() != "en":
		return nil, nil, errp(2102, "only lang en is implemented")
	}
	offered := map[string]bool{}
	for _, u := range r.objectURIs() {
		offered[u] = true
	}
	objs = map[string]bool{}
	for _, o := range svcs.all(nsEPP, "objURI") {
		if !offered[o.text()] {
			return nil, nil, errp(2307, "object service "+o.text()+" is not offered by this registry")
		}
		objs[o.text()] = true
	}
	if len(objs) == 0 {
		return nil, nil, errp(2003, "login needs at least one objURI")
	}
	exts = map[string]bool{}
	for _, e := range svcs.child(nsEPP, "svcExtension").all(nsEPP, "extURI") {
		if e.text() != nsRGP {
			return nil, nil, errp(2103, "extension "+e.text()+" is not offered by this registry")
		}
		exts[e.text()] = true
	}
	return objs, exts, nil
}

// authenticate checks the account, its lock, the certificate and the
// password, and the session limit.
func (s *session) authenticate(id, password string) (*account, *response) {
	r := s.r
	a, known := r.accounts[id]
	if !known {
		return nil, errp(2200, "unknown client or wrong password")
	}
	if a.locked {
		return nil, &response{code: 2200, reason: "client locked after too many failed logins", close: true}
	}
	if s.cn != id {
		return nil, errp(2200, "the client certificate does not belong to this clID")
	}
	if password != a.password {
		a.failed++
		if a.failed >= r.cfg.MaxFailedLogins {
			a.locked = true
			return nil, &response{code: 2200, reason: "unknown client or wrong password; client now locked", close: true}
		}
		return nil, errp(2200, "unknown client or wrong password")
	}
	a.failed = 0
	if a.sessions >= r.cfg.MaxSessionsPerAccount {
		return nil, &response{code: 2502, reason: fmt.Sprintf("at most %d sessions per client", r.cfg.MaxSessionsPerAccount), close: true}
	}
	return a, nil
}

// validToken checks an XML schema token: no leading, trailing or doubled
// spaces, no tabs or newlines, and a length within bounds.
func validToken(v string, minLen, maxLen int) bool {
	n := len([]rune(v))
	if n < minLen || n > maxLen {
		return false
	}
	if strings.ContainsAny(v, "\t\r\n") || strings.Contains(v, "  ") || strings.TrimSpace(v) != v {
		return false
	}
	return true
}
