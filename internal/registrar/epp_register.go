package registrar

import (
	"context"
	"slices"
	"strings"
	"time"

	"clientarea.dev/clientarea-operator/internal/epp"
)

// Register ensures the holder contact, creates the host objects the name
// servers need, and creates the domain. A create whose answer was lost, or
// that meets "object exists", is settled by domain:info: ours is the
// registration made earlier, anyone else's is ReasonNameTaken. Because the
// registry holds a name once, the domain is never created twice.
func (e *EPP) Register(ctx context.Context, d Domain) (Registration, error) {
	name := canonicalName(d.Name)
	if err := e.ensureHolder(ctx, d.Holder); err != nil {
		return Registration{}, err
	}
	hosts := canonicalNames(d.NameServers)
	hostAttr, err := e.prepareNameServers(ctx, name, hosts)
	if err != nil {
		return Registration{}, err
	}
	create := epp.DomainCreate{
		Name: name, Years: int(d.Years), NameServers: hosts, HostAttr: hostAttr,
		Registrant: d.Holder.ID, AuthInfo: newAuthInfo(),
	}
	for attempt := 0; ; attempt++ {
		res, err := e.client.DomainCreate(ctx, create)
		if err == nil {
			return e.created(ctx, name, d.Locked, res)
		}
		if epp.CodeOf(err) != epp.CodeObjectExists && !uncertain(err) {
			return Registration{}, e.fail(name, err)
		}
		reg, found, ierr := e.adopt(ctx, name, d.Locked)
		switch {
		case ierr != nil:
			return Registration{}, ierr
		case found:
			return reg, nil
		case attempt > 0:
			return Registration{}, e.fail(name, err)
		}
		// The registry has no such domain: the create never arrived.
	}
}

// created completes a create the registry answered: the registration from
// creData (domain:info if it lacks the dates) and the registrar lock,
// which only an update can set. A pending registration is locked later,
// by Update.
func (e *EPP) created(ctx context.Context, name string, locked bool, res epp.DomainCreated) (Registration, error) {
	reg := Registration{RegisteredAt: res.Created, ExpiresAt: res.Expires, Pending: res.Code == epp.CodePending}
	if reg.RegisteredAt.IsZero() || reg.ExpiresAt.IsZero() {
		r, found, err := e.adopt(ctx, name, locked)
		if err == nil && !found {
			err = e.refuse(ReasonUnavailable, 0, name, "domain:create succeeded but domain:info does not find the domain")
		}
		return r, err
	}
	if locked && !reg.Pending {
		if err := e.lock(ctx, name); err != nil {
			return Registration{}, err
		}
	}
	return reg, nil
}

// adopt reads a domain that a create found existing, or whose create may
// have happened: ours is our registration (locked as asked), someone
// else's is taken, none is not found.
func (e *EPP) adopt(ctx context.Context, name string, locked bool) (Registration, bool, error) {
	info, err := e.client.DomainInfo(ctx, name, "")
	switch {
	case epp.CodeOf(err) == epp.CodeObjectDoesNotExist:
		return Registration{}, false, nil
	case err != nil:
		return Registration{}, false, e.fail(name, err)
	case info.ClientID != e.clientID:
		return Registration{}, false, e.refuse(ReasonNameTaken, epp.CodeObjectExists, name,
			"domain:create: the name is registered through another registrar")
	case info.HasStatus(epp.StatusPendingDelete):
		return Registration{}, false, e.refuse(ReasonRefused, epp.CodeObjectExists, name,
			"domain:create: the name is ours but being deleted (redemption period)")
	}
	reg := registration(info)
	if locked && !reg.Pending && !info.HasStatus(epp.StatusClientTransferProhibited) {
		if err := e.lock(ctx, name); err != nil {
			return Registration{}, false, err
		}
	}
	return reg, true, nil
}

func (e *EPP) lock(ctx context.Context, name string) error {
	_, err := e.client.DomainUpdate(ctx, epp.DomainUpdate{
		Name: name, AddStatuses: []string{epp.StatusClientTransferProhibited},
	})
	return e.fail(name, err)
}

// Renew renews with curExpDate = expiresAt's date, which pins the renewal:
// a repeated command meets 2306 instead of renewing twice. After a lost
// answer or a 2306, domain:info tells whether the earlier call renewed (the
// expiry is expiresAt + years), or whether the renewal never arrived (the
// expiry is still expiresAt): then it is sent once more.
func (e *EPP) Renew(ctx context.Context, name string, expiresAt time.Time, years int32) (Registration, error) {
	name = canonicalName(name)
	years = max(years, 1)
	target := expiresAt.AddDate(int(years), 0, 0)
	for attempt := 0; ; attempt++ {
		res, err := e.client.DomainRenew(ctx, name, expiresAt, int(years))
		if err == nil && !res.Expires.IsZero() {
			return Registration{ExpiresAt: res.Expires, Pending: res.Code == epp.CodePending}, nil
		}
		if err != nil && epp.CodeOf(err) != epp.CodeParameterPolicy && !uncertain(err) {
			return Registration{}, e.fail(name, err)
		}
		info, ierr := e.client.DomainInfo(ctx, name, "")
		switch {
		case ierr != nil:
			return Registration{}, e.fail(name, ierr)
		case info.ClientID != e.clientID:
			return Registration{}, e.refuse(ReasonRefused, epp.CodeAuthorization, name,
				"domain:renew: the domain is sponsored by another registrar")
		case err == nil || sameDate(info.Expires, target):
			return Registration{RegisteredAt: info.Created, ExpiresAt: info.Expires}, nil
		case sameDate(info.Expires, expiresAt) && uncertain(err) && attempt == 0:
			continue
		}
		return Registration{}, e.fail(name, err)
	}
}

// sameDate compares the UTC dates, as curExpDate does.
func sameDate(a, b time.Time) bool {
	return a.UTC().Format(time.DateOnly) == b.UTC().Format(time.DateOnly)
}

// ensureHolder makes the holder's contact exist with the holder's details.
// Its ID is derived from the holder, so a contact of that ID is the one an
// earlier attempt created, if this registrar sponsors it; one another
// registrar sponsors is a permanent refusal.
func (e *EPP) ensureHolder(ctx context.Context, h Contact) error {
	if h.ID == "" {
		return nil
	}
	want := eppContact(h)
	for attempt := 0; ; attempt++ {
		info, err := e.client.ContactInfo(ctx, h.ID, "")
		switch epp.CodeOf(err) {
		case epp.CodeObjectDoesNotExist:
			want.AuthInfo = newAuthInfo()
			cerr := e.client.ContactCreate(ctx, want)
			if cerr == nil {
				return nil
			}
			if attempt > 0 || (epp.CodeOf(cerr) != epp.CodeObjectExists && !uncertain(cerr)) {
				return e.fail("contact "+h.ID, cerr)
			}
			continue // read again: the create may have happened
		case epp.CodeAuthorization:
			return e.foreignContact(h.ID)
		}
		switch {
		case err != nil:
			return e.fail("contact "+h.ID, err)
		case info.ClientID != e.clientID:
			return e.foreignContact(h.ID)
		case sameContact(info.Contact, want):
			return nil
		}
		return e.fail("contact "+h.ID, e.client.ContactUpdate(ctx, want))
	}
}

func (e *EPP) foreignContact(id string) error {
	return e.refuse(ReasonRefused, epp.CodeObjectExists, "contact "+id,
		"the contact ID is taken by another registrar's contact")
}

func eppContact(h Contact) epp.Contact {
	return epp.Contact{
		ID:           h.ID,
		Name:         strings.TrimSpace(h.Name),
		Organization: strings.TrimSpace(h.Organization),
		Street:       trimLines(h.Street),
		City:         strings.TrimSpace(h.City),
		PostalCode:   strings.TrimSpace(h.PostalCode),
		CountryCode:  strings.ToUpper(strings.TrimSpace(h.CountryCode)),
		Voice:        strings.TrimSpace(h.Phone),
		Email:        strings.TrimSpace(h.Email),
	}
}

// sameContact compares what ContactUpdate would send. An empty
// organization or phone wanted is not sent, so it matches anything.
func sameContact(have, want epp.Contact) bool {
	return have.Name == want.Name &&
		(want.Organization == "" || have.Organization == want.Organization) &&
		slices.Equal(have.Street, want.Street) &&
		have.City == want.City &&
		have.PostalCode == want.PostalCode &&
		strings.EqualFold(have.CountryCode, want.CountryCode) &&
		(want.Voice == "" || have.Voice == want.Voice) &&
		strings.EqualFold(have.Email, want.Email)
}

func trimLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// prepareNameServers tells whether the registry takes host attributes; if
// it takes host objects, it creates those missing for the name servers
// outside the domain (the registry refuses the others: they need glue
// addresses, which the operator does not manage).
func (e *EPP) prepareNameServers(ctx context.Context, domain string, hosts []string) (hostAttr bool, err error) {
	g, err := e.client.Greeting(ctx)
	if err != nil {
		return false, e.fail(domain, err)
	}
	if !g.Offers(epp.NSHost) {
		return true, nil
	}
	var external []string
	for _, h := range hosts {
		if !strings.HasSuffix(h, "."+domain) {
			external = append(external, h)
		}
	}
	if len(external) == 0 {
		return false, nil
	}
	avail, err := e.client.HostCheck(ctx, external...)
	if err != nil {
		return false, e.fail(domain, err)
	}
	for _, a := range avail {
		if !a.Available {
			continue
		}
		if err := e.client.HostCreate(ctx, a.Name); err != nil && epp.CodeOf(err) != epp.CodeObjectExists {
			return false, e.fail("host "+a.Name, err)
		}
	}
	return false, nil
}

// canonicalNames lowercases the names, drops empty ones and duplicates,
// and keeps the order.
func canonicalNames(names []string) []string {
	var out []string
	for _, n := range names {
		if n = canonicalName(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
