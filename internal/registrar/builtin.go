package registrar

import (
	"context"
	"time"
)

// Builtin is the embedded registrar: it completes inside the cluster, with no
// external registry, so that the client area works on its own (make dev). It
// keeps no state, so a repeated call registers nothing twice.
type Builtin struct{ Clock Clock }

var _ Registrar = Builtin{}

// Register registers at once, for years from now.
func (b Builtin) Register(_ context.Context, d Domain) (Registration, error) {
	now := b.now()
	return Registration{RegisteredAt: now, ExpiresAt: now.AddDate(int(d.Years), 0, 0)}, nil
}

// Renew extends the registration at once.
func (b Builtin) Renew(_ context.Context, _ string, expiresAt time.Time, years int32) (Registration, error) {
	return Registration{ExpiresAt: expiresAt.AddDate(int(years), 0, 0)}, nil
}

// Update has nothing to change: there is no registry.
func (Builtin) Update(context.Context, Domain) error { return nil }

// Delete has nothing to delete.
func (Builtin) Delete(context.Context, string) error { return nil }

// TransferIn completes at once: the domain is registered from now for
// d.Years, as a transfer that adds its period.
func (b Builtin) TransferIn(ctx context.Context, d Domain, _ string) (Registration, error) {
	return b.Register(ctx, d)
}

// SetTransferCode has no registry to tell.
func (Builtin) SetTransferCode(context.Context, string, string) error { return nil }

// Info knows nothing beyond what the operator recorded: every name is ours
// and settled.
func (Builtin) Info(context.Context, string) (Status, error) {
	return Status{Exists: true, Ours: true}, nil
}

func (b Builtin) now() time.Time { return b.Clock.Now().UTC().Truncate(time.Second) }
