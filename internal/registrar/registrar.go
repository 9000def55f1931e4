// Package registrar is the boundary between the operator and a domain
// registry (D4): registering and renewing domain names.
package registrar

import (
	"context"
	"time"
)

// Registration is a domain's registration as the registry holds it.
type Registration struct {
	RegisteredAt time.Time
	ExpiresAt    time.Time
}

// Registrar registers and renews domain names. Both calls must be
// idempotent: the operator may call again after a crash, and a registrar
// that already did the work answers with the registration it made.
type Registrar interface {
	// Register registers name for years, or returns the registration that
	// an earlier call made.
	Register(ctx context.Context, name string, years int32) (Registration, error)
	// Renew extends the registration that ends at expiresAt by years, or
	// returns the registration if an earlier call already extended it.
	Renew(ctx context.Context, name string, expiresAt time.Time, years int32) (Registration, error)
}

// Clock tells the time.
type Clock interface{ Now() time.Time }

// Builtin is the embedded registrar: it completes inside the cluster, with no
// external registry, so that the client area works on its own. It keeps no
// state, so a repeated call registers nothing twice.
type Builtin struct{ Clock Clock }

// Register registers at once, for years from now.
func (b Builtin) Register(_ context.Context, _ string, years int32) (Registration, error) {
	now := b.Clock.Now().UTC().Truncate(time.Second)
	return Registration{RegisteredAt: now, ExpiresAt: now.AddDate(int(years), 0, 0)}, nil
}

// Renew extends the registration at once.
func (b Builtin) Renew(_ context.Context, _ string, expiresAt time.Time, years int32) (Registration, error) {
	return Registration{ExpiresAt: expiresAt.AddDate(int(years), 0, 0)}, nil
}
