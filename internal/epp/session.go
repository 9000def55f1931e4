package epp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
)

// Greeting is what the registry offers (RFC 5730 2.4).
type Greeting struct {
	ServerID   string
	ServerDate time.Time
	Versions   []string
	Languages  []string
	ObjURIs    []string
	ExtURIs    []string
}

// Offers reports whether the registry offers the object or extension
// namespace uri.
func (g Greeting) Offers(uri string) bool {
	return slices.Contains(g.ObjURIs, uri) || slices.Contains(g.ExtURIs, uri)
}

// The object mappings and extensions the client can speak, in the order it
// asks for them at login.
var (
	supportedObjURIs = []string{NSDomain, NSContact, NSHost}
	supportedExtURIs = []string{NSRGP}
)

// session is one logged-in connection. It is used by one goroutine at a
// time: the Client's pool hands it out.
type session struct {
	conn     net.Conn
	greeting Greeting
	maxFrame int
	// broken is set once an I/O error or a closing result code ended the
	// session; the pool then discards it.
	broken   bool
	lastUsed time.Time
}

// dial connects, completes the TLS handshake and reads the greeting.
func dial(ctx context.Context, address string, config *tls.Config, maxFrame int) (*session, error) {
	d := tls.Dialer{Config: config}
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, &NetError{Command: "connect", Handshake: isHandshakeFailure(err), Err: err}
	}
	s := &session{conn: conn, maxFrame: maxFrame}
	msg, err := s.read(ctx, "greeting")
	if err == nil && msg.Greeting == nil {
		err = &NetError{Command: "greeting", Err: fmt.Errorf("%w: the registry sent no greeting", ErrProtocol)}
	}
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	s.greeting = msg.Greeting.greeting()
	return s, nil
}

// login authenticates with the object mappings and extensions the greeting
// offers that the client supports.
func (s *session) login(ctx context.Context, clientID, password, clTRID string) error {
	if !s.greeting.Offers(NSDomain) {
		return &NetError{Command: "login", Err: fmt.Errorf("%w: the registry does not offer %s", ErrProtocol, NSDomain)}
	}
	l := &loginXML{ClientID: clientID, Password: password}
	l.Options.Version = "1.0"
	l.Options.Lang = "en"
	for _, uri := range supportedObjURIs {
		if slices.Contains(s.greeting.ObjURIs, uri) {
			l.Services.ObjURIs = append(l.Services.ObjURIs, uri)
		}
	}
	var ext []string
	for _, uri := range supportedExtURIs {
		if slices.Contains(s.greeting.ExtURIs, uri) {
			ext = append(ext, uri)
		}
	}
	if len(ext) > 0 {
		l.Services.Extensions = &extensionsXML{ExtURIs: ext}
	}
	_, err := s.command(ctx, "login", commandXML{Login: l, ClTRID: clTRID})
	return err
}

// hello keeps the session alive; the registry answers with its greeting.
func (s *session) hello(ctx context.Context) error {
	msg, err := s.exchange(ctx, "hello", &request{Hello: &struct{}{}})
	if err != nil {
		return err
	}
	if msg.Greeting == nil {
		return s.fail("hello", fmt.Errorf("%w: hello was not answered with a greeting", ErrProtocol))
	}
	s.greeting = msg.Greeting.greeting()
	return nil
}

// logout ends the session politely; the connection is closed either way.
func (s *session) logout(ctx context.Context, clTRID string) error {
	_, err := s.command(ctx, "logout", commandXML{Logout: &struct{}{}, ClTRID: clTRID})
	return errors.Join(err, s.close())
}

func (s *session) close() error {
	s.broken = true
	return s.conn.Close()
}

// command sends a command and returns the response; a result code of 2000
// or more is an *Error.
func (s *session) command(ctx context.Context, name string, cmd commandXML) (*responseXML, error) {
	msg, err := s.exchange(ctx, name, &request{Command: &cmd})
	if err != nil {
		return nil, err
	}
	resp := msg.Response
	if resp == nil || len(resp.Results) == 0 {
		return nil, s.fail(name, fmt.Errorf("%w: no response to the command", ErrProtocol))
	}
	if got := strings.TrimSpace(resp.TrID.ClTRID); got != cmd.ClTRID {
		return nil, s.fail(name, fmt.Errorf("%w: response to transaction %q, not %q", ErrProtocol, got, cmd.ClTRID))
	}
	if code := resp.code(); code >= 2000 {
		e := &Error{Command: name, Code: code, Message: resp.message(), Reason: resp.reason()}
		if IsSessionFatal(e) {
			_ = s.close()
		}
		return nil, e
	}
	return resp, nil
}

// exchange writes one frame and reads the answer within ctx's deadline. A
// cancelled ctx interrupts the I/O by moving the connection's deadline.
func (s *session) exchange(ctx context.Context, name string, req *request) (*message, error) {
	payload, err := req.encode()
	if err != nil {
		return nil, fmt.Errorf("epp %s: encoding: %w", name, err)
	}
	s.lastUsed = time.Now()
	stop := s.watch(ctx)
	defer stop()
	if err := WriteFrame(s.conn, payload); err != nil {
		return nil, s.fail(name, contextCause(ctx, err))
	}
	return s.readFrame(ctx, name)
}

// read waits for one message without sending anything (the greeting).
func (s *session) read(ctx context.Context, name string) (*message, error) {
	stop := s.watch(ctx)
	defer stop()
	return s.readFrame(ctx, name)
}

func (s *session) readFrame(ctx context.Context, name string) (*message, error) {
	data, err := ReadFrame(s.conn, s.maxFrame)
	if err != nil {
		return nil, s.fail(name, contextCause(ctx, err))
	}
	msg, err := decodeMessage(data)
	if err != nil {
		return nil, s.fail(name, err)
	}
	return msg, nil
}

// watch applies ctx's deadline to the connection and interrupts it when
// ctx ends early; the returned func undoes both.
func (s *session) watch(ctx context.Context) func() {
	deadline, _ := ctx.Deadline()
	_ = s.conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = s.conn.SetDeadline(time.Unix(1, 0)) })
	return func() {
		stop()
		_ = s.conn.SetDeadline(time.Time{})
	}
}

// fail marks the session broken and wraps err as a NetError.
func (s *session) fail(name string, err error) error {
	_ = s.close()
	return &NetError{Command: name, Handshake: isHandshakeFailure(err), Err: err}
}

// contextCause reports an I/O error caused by ctx as ctx's error, so that
// callers see a deadline rather than "use of closed connection". The
// connection's deadline may fire a moment before ctx's own timer.
func contextCause(ctx context.Context, err error) error {
	ctxErr := ctx.Err()
	if deadline, ok := ctx.Deadline(); ctxErr == nil && ok && isTimeout(err) && !time.Now().Before(deadline) {
		ctxErr = context.DeadlineExceeded
	}
	if ctxErr != nil {
		return fmt.Errorf("%w (%v)", ctxErr, err)
	}
	return err
}

func (g *greetingXML) greeting() Greeting {
	return Greeting{
		ServerID:   strings.TrimSpace(g.ServerID),
		ServerDate: g.ServerDate.Time,
		Versions:   trimAll(g.Menu.Versions),
		Languages:  trimAll(g.Menu.Languages),
		ObjURIs:    trimAll(g.Menu.ObjURIs),
		ExtURIs:    trimAll(g.Menu.Extensions.ExtURIs),
	}
}

func (r *responseXML) code() int { return r.Results[0].Code }

func (r *responseXML) message() string { return strings.TrimSpace(r.Results[0].Msg) }

func (r *responseXML) reason() string {
	var reasons []string
	for _, v := range r.Results[0].ExtValues {
		if s := strings.TrimSpace(v.Reason); s != "" {
			reasons = append(reasons, s)
		}
	}
	return strings.Join(reasons, "; ")
}

func missingData(command, element string) error {
	return &NetError{Command: command, Err: fmt.Errorf("%w: the response lacks %s", ErrProtocol, element)}
}
