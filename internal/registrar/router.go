package registrar

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ByTLD routes each call to the registrar that serves the name's top-level
// domain (the longest matching suffix: co.uk before uk), or to Fallback.
// A name no registrar serves, with no Fallback, fails with ReasonNoRegistry.
type ByTLD struct {
	// Routes maps a top-level domain, without a leading dot, to its registrar.
	Routes map[string]Registrar
	// Grace is the auto-renew grace period of each routed TLD (R4).
	Grace    map[string]time.Duration
	Fallback Registrar
}

// DeleteBefore is how long before its expiry a domain without auto-renew
// is deleted at its registry: not at all before it when the registry
// refunds an auto-renewal deleted in its grace period (or there is no
// registry), a day before when it has none (R4).
func (r ByTLD) DeleteBefore(name string) time.Duration {
	if grace, ok := r.Grace[r.tldOf(name)]; ok && grace < time.Hour {
		return 24 * time.Hour
	}
	return 0
}

var _ Registrar = ByTLD{}

// tldOf is the longest routed suffix of name, or "".
func (r ByTLD) tldOf(name string) string {
	for suffix := name; suffix != ""; {
		if _, ok := r.Routes[suffix]; ok {
			return suffix
		}
		_, rest, found := strings.Cut(suffix, ".")
		if !found {
			break
		}
		suffix = rest
	}
	return ""
}

// For is the registrar that serves name.
func (r ByTLD) For(name string) (Registrar, error) {
	if reg, ok := r.Routes[r.tldOf(name)]; ok {
		return reg, nil
	}
	if r.Fallback != nil {
		return r.Fallback, nil
	}
	return nil, &Error{Reason: ReasonNoRegistry, Err: fmt.Errorf("no registry is configured for %s", name)}
}

func (r ByTLD) Register(ctx context.Context, d Domain) (Registration, error) {
	reg, err := r.For(d.Name)
	if err != nil {
		return Registration{}, err
	}
	return reg.Register(ctx, d)
}

func (r ByTLD) Renew(ctx context.Context, name string, expiresAt time.Time, years int32) (Registration, error) {
	reg, err := r.For(name)
	if err != nil {
		return Registration{}, err
	}
	return reg.Renew(ctx, name, expiresAt, years)
}

func (r ByTLD) Update(ctx context.Context, d Domain) error {
	reg, err := r.For(d.Name)
	if err != nil {
		return err
	}
	return reg.Update(ctx, d)
}

func (r ByTLD) Delete(ctx context.Context, name string) error {
	reg, err := r.For(name)
	if err != nil {
		return err
	}
	return reg.Delete(ctx, name)
}

func (r ByTLD) TransferIn(ctx context.Context, d Domain, authCode string) (Registration, error) {
	reg, err := r.For(d.Name)
	if err != nil {
		return Registration{}, err
	}
	return reg.TransferIn(ctx, d, authCode)
}

func (r ByTLD) SetTransferCode(ctx context.Context, name, code string) error {
	reg, err := r.For(name)
	if err != nil {
		return err
	}
	return reg.SetTransferCode(ctx, name, code)
}

func (r ByTLD) Info(ctx context.Context, name string) (Status, error) {
	reg, err := r.For(name)
	if err != nil {
		return Status{}, err
	}
	return reg.Info(ctx, name)
}

// Pollers are the distinct registrars of the routes that have a message queue.
func (r ByTLD) Pollers() []Poller {
	seen := map[Poller]bool{}
	var pollers []Poller
	for _, reg := range r.Routes {
		if p, ok := reg.(Poller); ok && !seen[p] {
			seen[p] = true
			pollers = append(pollers, p)
		}
	}
	return pollers
}
