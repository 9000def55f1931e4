package registrar

import (
	"context"
	"fmt"
	"slices"

	"clientarea.dev/clientarea-operator/internal/epp"
)

// Update reads the domain and sends one domain:update with what differs:
// name servers to add and remove, the registrant, the registrar lock. The
// holder contact is brought up to date first. Nothing is sent when nothing
// differs, so repeating it is safe.
func (e *EPP) Update(ctx context.Context, d Domain) error {
	name := canonicalName(d.Name)
	info, err := e.client.DomainInfo(ctx, name, "")
	if err != nil {
		return e.fail(name, err)
	}
	if info.ClientID != e.clientID {
		return e.refuse(ReasonRefused, epp.CodeAuthorization, name,
			"domain:update: the domain is sponsored by another registrar")
	}
	if err := e.ensureHolder(ctx, d.Holder); err != nil {
		return err
	}
	u, err := e.planUpdate(ctx, name, d, info)
	if err != nil || u == nil {
		return err
	}
	if pending := pendingStatus(info); pending != "" {
		// The registry refuses updates until it completes the action; the
		// operator tries again later.
		return e.refuse(ReasonUnavailable, epp.CodeStatusProhibits, name,
			"domain:update: the domain is %s; the update waits for it", pending)
	}
	_, err = e.client.DomainUpdate(ctx, *u)
	return e.fail(name, err)
}

// planUpdate computes the update from the registry's state to d, or nil
// when they match. Host objects to add are created first.
func (e *EPP) planUpdate(ctx context.Context, name string, d Domain, info epp.DomainInfo) (*epp.DomainUpdate, error) {
	want, have := canonicalNames(d.NameServers), canonicalNames(info.NameServers)
	u := epp.DomainUpdate{Name: name, AddNameServers: missing(want, have), RemoveNameServers: missing(have, want)}
	if d.Holder.ID != "" && d.Holder.ID != info.Registrant {
		u.Registrant = d.Holder.ID
	}
	switch locked := info.HasStatus(epp.StatusClientTransferProhibited); {
	case d.Locked && !locked:
		u.AddStatuses = []string{epp.StatusClientTransferProhibited}
	case !d.Locked && locked:
		u.RemoveStatuses = []string{epp.StatusClientTransferProhibited}
	}
	if len(u.AddNameServers)+len(u.RemoveNameServers)+len(u.AddStatuses)+len(u.RemoveStatuses) == 0 && u.Registrant == "" {
		return nil, nil
	}
	hostAttr, err := e.prepareNameServers(ctx, name, u.AddNameServers)
	if err != nil {
		return nil, err
	}
	u.HostAttr = hostAttr
	return &u, nil
}

// missing lists the names of a that b lacks.
func missing(a, b []string) []string {
	var out []string
	for _, n := range a {
		if !slices.Contains(b, n) {
			out = append(out, n)
		}
	}
	return out
}

func pendingStatus(info epp.DomainInfo) string {
	for _, s := range []string{epp.StatusPendingCreate, epp.StatusPendingTransfer, epp.StatusPendingDelete} {
		if info.HasStatus(s) {
			return s
		}
	}
	return ""
}

// TransferIn requests the transfer with the holder's code. A domain we
// sponsor already is the transfer completed (an earlier call's); a
// transfer pending for us is Pending. A lost answer, or "pending transfer"
// (2300), is settled by a transfer query.
func (e *EPP) TransferIn(ctx context.Context, d Domain, authCode string) (Registration, error) {
	name := canonicalName(d.Name)
	info, err := e.client.DomainInfo(ctx, name, "")
	switch {
	case epp.CodeOf(err) == epp.CodeAuthorization:
		// A registry that shows other registrars nothing: not ours yet.
	case err != nil:
		return Registration{}, e.fail(name, err)
	case info.ClientID == e.clientID && !info.HasStatus(epp.StatusPendingDelete):
		return registration(info), nil
	case info.HasStatus(epp.StatusPendingTransfer):
		return e.transferState(ctx, name, nil)
	}
	years := max(int(d.Years), 1)
	res, err := e.client.DomainTransfer(ctx, epp.TransferRequest, name, authCode, years)
	switch code := epp.CodeOf(err); {
	case err == nil && res.Code == epp.CodePending:
		return Registration{Pending: true}, nil
	case err == nil:
		return e.transferred(ctx, name)
	case code == epp.CodeInvalidAuthInfo:
		return Registration{}, &Error{Reason: ReasonRefused, Code: code,
			Err: fmt.Errorf("%s: %s: the transfer code was refused: %w", e.name, name, err)}
	case code == epp.CodePendingTransfer || uncertain(err):
		return e.transferState(ctx, name, err)
	}
	return Registration{}, e.fail(name, err)
}

// transferState reads the domain's latest transfer: one we requested is
// Pending, or completed; anyone else's pending transfer blocks ours. cause
// is the request's failure, if there was one: when it left the outcome
// unknown and the registry shows no transfer of ours, the request never
// arrived and the error is passed on, to be retried.
func (e *EPP) transferState(ctx context.Context, name string, cause error) (Registration, error) {
	trn, err := e.client.DomainTransfer(ctx, epp.TransferQuery, name, "", 0)
	lost := cause != nil && uncertain(cause)
	if err != nil || trn.RequestingID != e.clientID {
		switch {
		case lost:
			return Registration{}, e.fail(name, cause)
		case err != nil && epp.CodeOf(err) != epp.CodeAuthorization:
			return Registration{}, e.fail(name, err)
		}
		return Registration{}, e.refuse(ReasonRefused, epp.CodePendingTransfer, name,
			"domain:transfer: another registrar's transfer is pending")
	}
	approved, ended := transferOutcome(trn.Status)
	switch {
	case approved:
		return e.transferred(ctx, name)
	case ended && lost:
		return Registration{}, e.fail(name, cause)
	case ended:
		return Registration{}, e.refuse(ReasonRefused, 0, name, "domain:transfer: the transfer was %s", trn.Status)
	}
	return Registration{Pending: true}, nil
}

// transferred is the registration of a domain whose transfer to us
// completed.
func (e *EPP) transferred(ctx context.Context, name string) (Registration, error) {
	info, err := e.client.DomainInfo(ctx, name, "")
	switch {
	case err != nil:
		return Registration{}, e.fail(name, err)
	case info.ClientID != e.clientID:
		return Registration{}, e.refuse(ReasonUnavailable, 0, name,
			"domain:transfer: the registry reports the transfer done but another registrar sponsors the domain")
	}
	return registration(info), nil
}
