package registrar

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"clientarea.dev/clientarea-operator/internal/epp"
)

// EPPConfig configures a registrar that speaks EPP to one registry.
type EPPConfig struct {
	// Name is the registry's name in conditions and events, e.g. "denic".
	Name string
	// Address is the registry's EPP server, host:port.
	Address string
	// ServerName is the name the registry's certificate must carry; empty
	// means the host of Address.
	ServerName string
	// CAPEM, if set, is the CA trusted for the registry's certificate
	// instead of the system roots.
	CAPEM []byte
	// ClientID and Password are the registrar's EPP clID and password.
	ClientID, Password string
	// CertPEM and KeyPEM are the registrar's client certificate and key.
	CertPEM, KeyPEM []byte
	// MaxSessions bounds the open sessions (registries limit them);
	// default 2.
	MaxSessions int
	// CommandTimeout bounds each command; default 30s.
	CommandTimeout time.Duration
	// KeepAlive is the longest an idle session stays silent (it says hello
	// then); keep it below the registry's idle timeout. Default 5m.
	KeepAlive time.Duration
	// Clock times the reconnect back-off after a failed login (1s doubling
	// to 1m); nil is the real clock. A test that moves a fake clock moves
	// the back-off with it.
	Clock Clock
}

// String describes the configuration without the password and the key,
// should it end up in a log.
func (c EPPConfig) String() string {
	return fmt.Sprintf("registrar.EPPConfig{Name: %q, Address: %q, ClientID: %q, MaxSessions: %d}",
		c.Name, c.Address, c.ClientID, c.MaxSessions)
}

// EPP is a Registrar and Poller on a registry's EPP server (RFC 5730-5734,
// 3915). Every method is idempotent: after a timeout or a dropped
// connection it reads what the registry holds before repeating anything,
// and decides from that whether the earlier attempt took effect.
type EPP struct {
	name     string
	clientID string
	client   *epp.Client
}

var (
	_ Registrar = (*EPP)(nil)
	_ Poller    = (*EPP)(nil)
)

// The EPP settings' defaults.
const (
	defaultEPPSessions       = 2
	defaultEPPCommandTimeout = 30 * time.Second
	defaultEPPKeepAlive      = 5 * time.Minute
)

// NewEPP validates cfg; it connects on the first call.
func NewEPP(cfg EPPConfig) (*EPP, error) {
	if cfg.Name == "" {
		return nil, errors.New("epp registrar: Name is required")
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("epp registrar %s: %s", cfg.Name, fmt.Sprintf(format, args...))
	}
	host, _, err := net.SplitHostPort(cfg.Address)
	switch {
	case err != nil:
		return nil, fail("Address %q: %v", cfg.Address, err)
	case cfg.ClientID == "":
		return nil, fail("ClientID is required")
	case cfg.Password == "":
		return nil, fail("Password is required")
	case len(cfg.CertPEM) == 0:
		return nil, fail("CertPEM is required")
	case len(cfg.KeyPEM) == 0:
		return nil, fail("KeyPEM is required")
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	tlsConfig, err := epp.TLSConfig(cfg.ServerName, cfg.CAPEM, cfg.CertPEM, cfg.KeyPEM)
	if err != nil {
		return nil, fail("%v", err)
	}
	ecfg := epp.Config{
		Address:        cfg.Address,
		TLS:            tlsConfig,
		ClientID:       cfg.ClientID,
		Password:       cfg.Password,
		MaxSessions:    orDefault(cfg.MaxSessions, defaultEPPSessions),
		CommandTimeout: orDefault(cfg.CommandTimeout, defaultEPPCommandTimeout),
		KeepAlive:      orDefault(cfg.KeepAlive, defaultEPPKeepAlive),
	}
	if cfg.Clock != nil {
		ecfg.Now = cfg.Clock.Now
	}
	client, err := epp.NewClient(ecfg)
	if err != nil {
		return nil, fail("%v", err)
	}
	return &EPP{name: cfg.Name, clientID: cfg.ClientID, client: client}, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Close logs out of the registry.
func (e *EPP) Close() error { return e.client.Close() }

// Info reads the domain. A pending transfer counts as Pending only for the
// gaining registrar, which is found by a transfer query.
func (e *EPP) Info(ctx context.Context, name string) (Status, error) {
	name = canonicalName(name)
	info, err := e.client.DomainInfo(ctx, name, "")
	switch epp.CodeOf(err) {
	case epp.CodeObjectDoesNotExist:
		return Status{}, nil
	case epp.CodeAuthorization:
		// A registry that shows nothing to other registrars.
		return Status{Exists: true}, nil
	}
	if err != nil {
		return Status{}, e.fail(name, err)
	}
	if info.HasStatus(epp.StatusPendingDelete) {
		return Status{}, nil
	}
	st := Status{
		Exists:       true,
		Ours:         info.ClientID == e.clientID,
		Locked:       info.HasStatus(epp.StatusClientTransferProhibited),
		Registration: registration(info),
	}
	if !st.Ours && info.HasStatus(epp.StatusPendingTransfer) {
		trn, err := e.client.DomainTransfer(ctx, epp.TransferQuery, name, "", 0)
		st.Pending = err == nil && trn.RequestingID == e.clientID
	}
	return st, nil
}

// Delete deletes the domain. One that is gone, being deleted, or no longer
// ours is deleted already.
func (e *EPP) Delete(ctx context.Context, name string) error {
	name = canonicalName(name)
	for attempt := 0; ; attempt++ {
		_, err := e.client.DomainDelete(ctx, name)
		code := epp.CodeOf(err)
		switch {
		case err == nil || code == epp.CodeObjectDoesNotExist:
			return nil
		case code != epp.CodeAuthorization && code != epp.CodeStatusProhibits && !uncertain(err):
			return e.fail(name, err)
		}
		info, ierr := e.client.DomainInfo(ctx, name, "")
		switch {
		case epp.CodeOf(ierr) == epp.CodeObjectDoesNotExist:
			return nil
		case ierr != nil:
			return e.fail(name, ierr)
		case info.ClientID != e.clientID || info.HasStatus(epp.StatusPendingDelete):
			return nil
		case !uncertain(err) || attempt > 0:
			return e.fail(name, err)
		}
		// The connection dropped before the delete reached the registry.
	}
}

// SetTransferCode sets the domain's authInfo; setting it again is harmless.
func (e *EPP) SetTransferCode(ctx context.Context, name, code string) error {
	name = canonicalName(name)
	_, err := e.client.DomainUpdate(ctx, epp.DomainUpdate{Name: name, AuthInfo: code})
	return e.fail(name, err)
}

// Poll reads the oldest message of the registry's queue.
func (e *EPP) Poll(ctx context.Context) (*Message, error) {
	m, err := e.client.Poll(ctx)
	if err != nil || m == nil {
		return nil, e.fail("poll", err)
	}
	return &Message{ID: m.ID, Kind: e.messageKind(m), Domain: m.Domain, Text: m.Text}, nil
}

// messageKind reads what a message tells: a pending registration's
// outcome, or a transfer's, from the side of this registrar (reID is the
// gaining registrar, acID the losing one).
func (e *EPP) messageKind(m *epp.PollMessage) MessageKind {
	switch {
	case m.Pending != nil && m.Pending.Approved:
		return MessageRegistrationCompleted
	case m.Pending != nil:
		return MessageRegistrationRejected
	case m.Transfer == nil:
		return MessageOther
	}
	approved, ended := transferOutcome(m.Transfer.Status)
	switch {
	case m.Transfer.RequestingID == e.clientID && approved:
		return MessageTransferCompleted
	case m.Transfer.RequestingID == e.clientID && ended:
		return MessageTransferRejected
	case m.Transfer.RequestingID != e.clientID && approved:
		return MessageTransferredAway
	}
	// A transfer request to us as the losing registrar, or one we refused.
	return MessageOther
}

// transferOutcome tells whether a trStatus is an approval, or any other
// end of the transfer (rejected, cancelled).
func transferOutcome(status string) (approved, ended bool) {
	switch status {
	case epp.TransferClientApproved, epp.TransferServerApproved:
		return true, true
	case epp.TransferClientRejected, epp.TransferServerRejected,
		epp.TransferClientCancelled, epp.TransferServerCancelled:
		return false, true
	}
	return false, false
}

// Ack acknowledges a message; one acknowledged already is fine.
func (e *EPP) Ack(ctx context.Context, id string) error {
	return e.fail("poll ack "+id, e.client.Ack(ctx, id))
}

// fail maps an EPP error to the operator's reasons, naming the registry and
// what the command was about. A nil err stays nil; an *Error passes as is.
func (e *EPP) fail(subject string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*Error](err); ok {
		return err
	}
	reason := ReasonUnavailable
	switch {
	case epp.IsLoginFailed(err):
		reason = ReasonLoginFailed
	case epp.IsPermanent(err):
		reason = ReasonRefused
	}
	return &Error{Reason: reason, Code: epp.CodeOf(err), Err: fmt.Errorf("%s: %s: %w", e.name, subject, err)}
}

// refuse is a permanent refusal the registrar decides itself, after reading
// the registry.
func (e *EPP) refuse(reason Reason, code int, subject, format string, args ...any) error {
	return &Error{Reason: reason, Code: code, Err: fmt.Errorf("%s: %s: %s", e.name, subject, fmt.Sprintf(format, args...))}
}

// uncertain reports whether a command failed in a way that leaves its
// outcome unknown (a dropped connection, a timeout, a registry failure),
// so the registry must be asked before the command is repeated.
func uncertain(err error) bool { return epp.IsRetryable(err) }

// registration is the registration a domain:info shows.
func registration(info epp.DomainInfo) Registration {
	return Registration{
		RegisteredAt: info.Created,
		ExpiresAt:    info.Expires,
		Pending:      info.HasStatus(epp.StatusPendingCreate),
	}
}

// canonicalName is the form registries want: lowercase, no final dot.
func canonicalName(name string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
}

// newAuthInfo draws an authInfo: 80 random bits from crypto/rand as
// uppercase base32, after a fixed "a1-" so that registry policies that
// want a lowercase letter, a digit and a sign are met too.
func newAuthInfo() string { return "a1-" + rand.Text()[:16] }
