package epp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
)

// Result codes of RFC 5730 section 3 that the client or its callers act on.
const (
	CodeSuccess            = 1000
	CodePending            = 1001
	CodeNoMessages         = 1300
	CodeMessageDequeue     = 1301
	CodeEndingSession      = 1500
	CodeSyntaxError        = 2001
	CodeCommandUse         = 2002
	CodeMissingParameter   = 2003
	CodeParameterRange     = 2004
	CodeParameterSyntax    = 2005
	CodeNotRenewable       = 2105
	CodeNotTransferable    = 2106
	CodeAuthentication     = 2200
	CodeAuthorization      = 2201
	CodeInvalidAuthInfo    = 2202
	CodePendingTransfer    = 2300
	CodeNotPendingTransfer = 2301
	CodeObjectExists       = 2302
	CodeObjectDoesNotExist = 2303
	CodeStatusProhibits    = 2304
	CodeAssociationExists  = 2305
	CodeParameterPolicy    = 2306
	CodeCommandFailed      = 2400
	// The three codes with which the registry also ends the session.
	CodeCommandFailedClosing  = 2500
	CodeAuthenticationClosing = 2501
	CodeSessionLimitExceeded  = 2502
)

// Error is a registry's answer with an error result code (2000 and above).
type Error struct {
	// Command is the command the registry refused, e.g. "domain:create" or
	// "login".
	Command string
	Code    int
	Message string
	// Reason is the registry's explanation from the result's extValue
	// elements, if it gave one.
	Reason string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("epp %s: %d %s", e.Command, e.Code, e.Message)
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s
}

// NetError is a session that broke during a command: the connection failed
// or timed out, or the peer sent something that is not EPP. The session is
// discarded. A command that was sent may or may not have taken effect.
type NetError struct {
	Command string
	// Handshake is true when the TLS handshake failed: the registry refused
	// the client certificate, or its own certificate did not verify.
	Handshake bool
	Err       error
}

func (e *NetError) Error() string {
	if e.Handshake {
		return fmt.Sprintf("epp %s: TLS handshake: %v", e.Command, e.Err)
	}
	return fmt.Sprintf("epp %s: %v", e.Command, e.Err)
}

func (e *NetError) Unwrap() error { return e.Err }

// ErrClosed is returned for commands on a closed Client.
var ErrClosed = errors.New("epp: client closed")

// ErrProtocol is wrapped by a NetError for a response that breaks the
// protocol: not EPP XML, or the wrong transaction identifier.
var ErrProtocol = errors.New("epp: protocol violation")

// CodeOf is the registry's result code in err, or 0 if the registry did not
// answer.
func CodeOf(err error) int {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return 0
}

// IsLoginFailed reports whether err is the registry refusing the
// credentials (2200 or 2501 at login, or an authorization error there) or
// the client certificate: retrying at once would fail again.
func IsLoginFailed(err error) bool {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Command == "login" && (e.Code == CodeAuthentication ||
			e.Code == CodeAuthenticationClosing || e.Code == CodeAuthorization)
	}
	if e, ok := errors.AsType[*NetError](err); ok {
		return e.Handshake
	}
	return false
}

// IsSessionFatal reports whether err ended the session: any I/O failure,
// and the codes with which the registry closes the connection.
func IsSessionFatal(err error) bool {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code >= CodeCommandFailedClosing && e.Code <= CodeSessionLimitExceeded
	}
	if _, ok := errors.AsType[*NetError](err); ok {
		return true
	}
	return isTimeout(err)
}

// IsRetryable reports whether the same command may succeed when sent again
// later: the registry failed internally (2400, 2500-2502 outside login) or
// the connection dropped or timed out. A command that failed this way may
// nevertheless have taken effect; callers check before repeating one that
// is not idempotent.
func IsRetryable(err error) bool {
	if err == nil || IsLoginFailed(err) || errors.Is(err, ErrClosed) {
		return false
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code == CodeCommandFailed || IsSessionFatal(e)
	}
	if _, ok := errors.AsType[*NetError](err); ok {
		return true
	}
	return isTimeout(err)
}

// IsPermanent reports whether the registry refused the command for good: an
// error code other than the retryable ones and a failed login. Repeating
// the same command gets the same answer.
func IsPermanent(err error) bool {
	_, ok := errors.AsType[*Error](err)
	return ok && !IsRetryable(err) && !IsLoginFailed(err)
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// isHandshakeFailure tells a TLS refusal from a plain connection failure.
// With TLS 1.3 the registry's verdict on the client certificate arrives as
// an alert on the first read after the handshake, so this is checked on
// the greeting too.
func isHandshakeFailure(err error) bool {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if e, ok := errors.AsType[*net.OpError](err); ok && e.Op == "remote error" {
		return true
	}
	_, ok := errors.AsType[tls.AlertError](err)
	return ok
}
