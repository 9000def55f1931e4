// Package registrar is the boundary between the operator and a domain
// registry (D4): registering, renewing, updating, transferring and deleting
// domain names, and the registry's messages about them.
package registrar

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Contact is a domain's holder as the registry keeps it (RFC 5733).
type Contact struct {
	// ID is the registry's contact identifier, 3 to 16 characters. The
	// operator derives it from the holder Contact, so that a retried
	// registration finds the contact an earlier attempt created.
	ID           string
	Name         string
	Organization string
	Email        string
	// Phone is in the registry's form, +CC.NUMBER, or empty.
	Phone       string
	Street      []string
	City        string
	PostalCode  string
	CountryCode string
}

// Domain is what the operator wants the registry to hold for one name.
type Domain struct {
	Name        string
	Years       int32
	Holder      Contact
	NameServers []string
	// Locked is the registrar lock (clientTransferProhibited): while it is
	// set, the domain cannot be transferred away.
	Locked bool
}

// Registration is a domain's registration as the registry holds it.
type Registration struct {
	RegisteredAt time.Time
	ExpiresAt    time.Time
	// Pending is true while the registry has accepted a registration or a
	// transfer but not completed it; the outcome arrives as a Message, and
	// Info tells it too.
	Pending bool
}

// Status is what the registry says about a name now.
type Status struct {
	Registration
	// Exists is false when the registry has no such domain (or it is being
	// deleted and no longer ours).
	Exists bool
	// Ours is true when this registrar sponsors the domain.
	Ours bool
	// Locked is true when clientTransferProhibited is set.
	Locked bool
}

// Registrar speaks to one registry, or routes to one by top-level domain.
// Every call is idempotent: the operator may call again after a crash or a
// timeout, and a registrar that already did the work reports the outcome
// it made instead of doing it twice.
type Registrar interface {
	// Register registers d.Name for d.Years with its holder and name
	// servers, or returns the registration an earlier call made. A name
	// that another registrar's customer holds is an *Error with ReasonNameTaken.
	Register(ctx context.Context, d Domain) (Registration, error)
	// Renew extends the registration that ends at expiresAt by years, or
	// returns the registration if an earlier call already extended it:
	// never twice for one expiresAt.
	Renew(ctx context.Context, name string, expiresAt time.Time, years int32) (Registration, error)
	// Update makes the registry's name servers, holder (and the holder's
	// details) and registrar lock match d.
	Update(ctx context.Context, d Domain) error
	// Delete deletes the registration; a name the registry no longer holds
	// for this registrar is deleted already.
	Delete(ctx context.Context, name string) error
	// TransferIn asks the registry to move d.Name to this registrar with
	// the transfer code the holder got from the old registrar. The result
	// is Pending until the old registrar or the registry decides; a
	// transfer that completed returns the registration.
	TransferIn(ctx context.Context, d Domain, authCode string) (Registration, error)
	// SetTransferCode sets the code (authInfo) that moves the domain to
	// another registrar.
	SetTransferCode(ctx context.Context, name, code string) error
	// Info tells what the registry holds for name now.
	Info(ctx context.Context, name string) (Status, error)
}

// MessageKind is what a registry message is about.
type MessageKind string

// The kinds of registry messages the operator acts on.
const (
	MessageRegistrationCompleted MessageKind = "RegistrationCompleted"
	MessageRegistrationRejected  MessageKind = "RegistrationRejected"
	MessageTransferCompleted     MessageKind = "TransferCompleted"
	MessageTransferRejected      MessageKind = "TransferRejected"
	// MessageTransferredAway: another registrar took the domain.
	MessageTransferredAway MessageKind = "TransferredAway"
	// MessageOther is a message about a domain the operator only re-reads.
	MessageOther MessageKind = "Other"
)

// Message is one message of a registry's queue (RFC 5730 poll).
type Message struct {
	ID     string
	Kind   MessageKind
	Domain string
	Text   string
}

// Poller reads a registry's message queue. A message stays in the queue
// until it is acknowledged, so the operator acknowledges only after it
// recorded what the message changed: a crash in between reads it again.
type Poller interface {
	// Poll returns the oldest unacknowledged message, or nil when there is none.
	Poll(ctx context.Context) (*Message, error)
	// Ack removes the message from the queue.
	Ack(ctx context.Context, id string) error
}

// Reason says why a registrar call failed, for the Domain's condition.
type Reason string

// The reasons of a failed registrar call.
const (
	// ReasonNameTaken: another registrar's customer holds the name; the
	// Domain is a name conflict and is never billed.
	ReasonNameTaken Reason = "NameTaken"
	// ReasonLoginFailed: the registry refused the credentials or the client
	// certificate. Retried with back-off, never in a tight loop.
	ReasonLoginFailed Reason = "RegistryLoginFailed"
	// ReasonUnavailable: the registry could not be reached or did not
	// answer in time; retried.
	ReasonUnavailable Reason = "RegistryUnavailable"
	// ReasonRefused: the registry refused the command for good (a policy, a
	// wrong transfer code); retried only when the Domain changes.
	ReasonRefused Reason = "RegistryRefused"
	// ReasonNoRegistry: no configured registry serves the top-level domain.
	ReasonNoRegistry Reason = "NoRegistry"
)

// Error is a failed registrar call with its reason.
type Error struct {
	Reason Reason
	// Code is the registry's result code, when it answered (RFC 5730 3).
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("%s (%d): %v", e.Reason, e.Code, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Reason, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ReasonOf is the reason of err: its *Error's, else ReasonUnavailable.
func ReasonOf(err error) Reason {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	return ReasonUnavailable
}

// Clock tells the time.
type Clock interface{ Now() time.Time }
