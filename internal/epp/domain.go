package epp

import (
	"context"
	"encoding/xml"
	"slices"
	"strings"
	"time"
)

// Domain statuses (RFC 5731 2.3) the client's callers read or set.
const (
	StatusOK                       = "ok"
	StatusClientTransferProhibited = "clientTransferProhibited"
	StatusPendingCreate            = "pendingCreate"
	StatusPendingDelete            = "pendingDelete"
	StatusPendingTransfer          = "pendingTransfer"
)

// Transfer statuses (RFC 5730 2.9.3.4 trStatus).
const (
	TransferPending         = "pending"
	TransferClientApproved  = "clientApproved"
	TransferServerApproved  = "serverApproved"
	TransferClientRejected  = "clientRejected"
	TransferServerRejected  = "serverRejected"
	TransferClientCancelled = "clientCancelled"
	TransferServerCancelled = "serverCancelled"
)

// TransferOp is the op attribute of a transfer command.
type TransferOp string

// The transfer operations.
const (
	TransferRequest TransferOp = "request"
	TransferQuery   TransferOp = "query"
	TransferApprove TransferOp = "approve"
	TransferReject  TransferOp = "reject"
	TransferCancel  TransferOp = "cancel"
)

// Availability is one name's entry in a check response.
type Availability struct {
	Name      string
	Available bool
	Reason    string
}

// DomainContact is a domain's admin, tech or billing contact.
type DomainContact struct{ Type, ID string }

// DomainInfo is a domain:info response. A registry may leave out most of
// it for a client that does not sponsor the domain.
type DomainInfo struct {
	Name     string
	ROID     string
	Statuses []string
	// RGPStatuses are the redemption grace period statuses (RFC 3915), if
	// the registry reports them.
	RGPStatuses []string
	Registrant  string
	Contacts    []DomainContact
	// NameServers are the delegation's host names, whether the registry
	// keeps them as host objects or as host attributes.
	NameServers []string
	// Hosts are the subordinate host objects the domain has.
	Hosts       []string
	ClientID    string
	CreatorID   string
	Created     time.Time
	Updated     time.Time
	Expires     time.Time
	Transferred time.Time
	AuthInfo    string
}

// HasStatus reports whether the domain has status s.
func (d DomainInfo) HasStatus(s string) bool { return slices.Contains(d.Statuses, s) }

// DomainCreate is a domain:create command.
type DomainCreate struct {
	Name string
	// Years is the registration period; 0 leaves it to the registry.
	Years       int
	NameServers []string
	// HostAttr sends the name servers as host attributes instead of host
	// objects, for a registry that does not offer the host mapping.
	HostAttr   bool
	Registrant string
	Contacts   []DomainContact
	AuthInfo   string
}

// DomainCreated is the answer to a domain:create.
type DomainCreated struct {
	// Code is CodeSuccess, or CodePending when the registry completes the
	// registration later and tells by a poll message.
	Code    int
	Name    string
	Created time.Time
	Expires time.Time
}

// DomainRenewed is the answer to a domain:renew.
type DomainRenewed struct {
	Code    int
	Name    string
	Expires time.Time
}

// DomainUpdate is a domain:update command. Empty fields change nothing.
type DomainUpdate struct {
	Name                 string
	HostAttr             bool
	AddNameServers       []string
	RemoveNameServers    []string
	AddStatuses          []string
	RemoveStatuses       []string
	Registrant, AuthInfo string
}

// DomainTransfer is a transfer's state (trnData), from a transfer command or
// a poll message.
type DomainTransfer struct {
	Code   int
	Name   string
	Status string
	// RequestingID is the gaining registrar, ActingID the losing one (or,
	// once the transfer is decided, the one that decided it).
	RequestingID string
	ActingID     string
	Requested    time.Time
	ActBy        time.Time
	Expires      time.Time
}

// DomainCheck checks whether the names can be registered.
func (c *Client) DomainCheck(ctx context.Context, names ...string) ([]Availability, error) {
	return c.check(ctx, "domain:check", domainCheckXML{XMLNS: NSDomain, Names: names},
		func(d *resDataXML) *checkDataXML { return d.DomainCheck })
}

// check runs a check command; data picks the object's chkData from the
// answer.
func (c *Client) check(ctx context.Context, name string, cmd any, data func(*resDataXML) *checkDataXML) ([]Availability, error) {
	resp, err := c.command(ctx, name, commandXML{Check: &objectXML{cmd}})
	if err != nil {
		return nil, err
	}
	return data(&resp.Data).availability(), nil
}

// DomainInfo reads a domain; authInfo (may be empty) lets a client that does
// not sponsor it see the details.
func (c *Client) DomainInfo(ctx context.Context, name, authInfo string) (DomainInfo, error) {
	cmd := domainInfoXML{XMLNS: NSDomain}
	cmd.Name.Hosts = "all"
	cmd.Name.Name = name
	if authInfo != "" {
		cmd.AuthInfo = &domainAuthInfoXML{Password: authInfo}
	}
	resp, err := c.command(ctx, "domain:info", commandXML{Info: &objectXML{cmd}})
	if err != nil {
		return DomainInfo{}, err
	}
	if resp.Data.DomainInfo == nil {
		return DomainInfo{}, missingData("domain:info", "domain:infData")
	}
	info := resp.Data.DomainInfo.info()
	if rgp := resp.Ext.RGPInfo; rgp != nil {
		for _, s := range rgp.Statuses {
			info.RGPStatuses = append(info.RGPStatuses, s.S)
		}
	}
	return info, nil
}

// DomainCreate registers a domain.
func (c *Client) DomainCreate(ctx context.Context, d DomainCreate) (DomainCreated, error) {
	cmd := domainCreateXML{
		XMLNS:      NSDomain,
		Name:       d.Name,
		Period:     period(d.Years),
		NS:         nameServers(d.NameServers, d.HostAttr),
		Registrant: d.Registrant,
		AuthInfo:   domainAuthInfoXML{Password: d.AuthInfo},
	}
	for _, ct := range d.Contacts {
		cmd.Contacts = append(cmd.Contacts, domainContactXML(ct))
	}
	resp, err := c.command(ctx, "domain:create", commandXML{Create: &objectXML{cmd}})
	if err != nil {
		return DomainCreated{}, err
	}
	out := DomainCreated{Code: resp.code(), Name: d.Name}
	if cre := resp.Data.DomainCreate; cre != nil {
		out.Created, out.Expires = cre.Created.Time, cre.Expires.Time
	}
	return out, nil
}

// DomainRenew extends a registration by years. curExpDate is the current
// expiry, of which only the date counts: the registry refuses (2306) a
// renewal whose date is not the domain's, so a repeated command cannot
// renew twice.
func (c *Client) DomainRenew(ctx context.Context, name string, curExpDate time.Time, years int) (DomainRenewed, error) {
	cmd := domainRenewXML{
		XMLNS:      NSDomain,
		Name:       name,
		CurExpDate: curExpDate.UTC().Format(time.DateOnly),
		Period:     period(years),
	}
	resp, err := c.command(ctx, "domain:renew", commandXML{Renew: &objectXML{cmd}})
	if err != nil {
		return DomainRenewed{}, err
	}
	out := DomainRenewed{Code: resp.code(), Name: name}
	if ren := resp.Data.DomainRenew; ren != nil {
		out.Expires = ren.Expires.Time
	}
	return out, nil
}

// DomainUpdate changes a domain; it returns the result code (CodePending
// when the registry completes the change later).
func (c *Client) DomainUpdate(ctx context.Context, u DomainUpdate) (int, error) {
	cmd := domainUpdateXML{XMLNS: NSDomain, Name: u.Name}
	cmd.Add = addRem(u.AddNameServers, u.AddStatuses, u.HostAttr)
	cmd.Remove = addRem(u.RemoveNameServers, u.RemoveStatuses, u.HostAttr)
	if u.Registrant != "" || u.AuthInfo != "" {
		cmd.Change = &domainChangeXML{Registrant: u.Registrant}
		if u.AuthInfo != "" {
			cmd.Change.AuthInfo = &domainAuthInfoXML{Password: u.AuthInfo}
		}
	}
	resp, err := c.command(ctx, "domain:update", commandXML{Update: &objectXML{cmd}})
	if err != nil {
		return 0, err
	}
	return resp.code(), nil
}

// DomainDelete deletes a domain; it returns the result code (CodePending
// when the domain enters the redemption grace period first).
func (c *Client) DomainDelete(ctx context.Context, name string) (int, error) {
	resp, err := c.command(ctx, "domain:delete", commandXML{Delete: &objectXML{domainDeleteXML{
		XMLNS: NSDomain, Name: name,
	}}})
	if err != nil {
		return 0, err
	}
	return resp.code(), nil
}

// DomainTransfer runs a transfer operation. authInfo and years matter for
// a request (years 0 leaves the period to the registry); a query may need
// authInfo from a client that neither sponsors nor requested the transfer.
func (c *Client) DomainTransfer(ctx context.Context, op TransferOp, name, authInfo string, years int) (DomainTransfer, error) {
	cmd := domainTransferXML{XMLNS: NSDomain, Name: name}
	if op == TransferRequest {
		cmd.Period = period(years)
	}
	if authInfo != "" {
		cmd.AuthInfo = &domainAuthInfoXML{Password: authInfo}
	}
	resp, err := c.command(ctx, "domain:transfer "+string(op), commandXML{Transfer: &transferXML{Op: string(op), Object: cmd}})
	if err != nil {
		return DomainTransfer{}, err
	}
	out := DomainTransfer{Name: name}
	if trn := resp.Data.DomainTransfer; trn != nil {
		out = trn.transfer()
	}
	out.Code = resp.code()
	return out, nil
}

// Request elements (RFC 5731 3.1 and 3.2), in the schema's element order.

type domainCheckXML struct {
	XMLName xml.Name `xml:"domain:check"`
	XMLNS   string   `xml:"xmlns:domain,attr"`
	Names   []string `xml:"domain:name"`
}

type domainInfoXML struct {
	XMLName xml.Name `xml:"domain:info"`
	XMLNS   string   `xml:"xmlns:domain,attr"`
	Name    struct {
		Hosts string `xml:"hosts,attr"`
		Name  string `xml:",chardata"`
	} `xml:"domain:name"`
	AuthInfo *domainAuthInfoXML `xml:"domain:authInfo,omitempty"`
}

type domainCreateXML struct {
	XMLName    xml.Name           `xml:"domain:create"`
	XMLNS      string             `xml:"xmlns:domain,attr"`
	Name       string             `xml:"domain:name"`
	Period     *periodXML         `xml:"domain:period,omitempty"`
	NS         *domainNSXML       `xml:"domain:ns,omitempty"`
	Registrant string             `xml:"domain:registrant,omitempty"`
	Contacts   []domainContactXML `xml:"domain:contact"`
	AuthInfo   domainAuthInfoXML  `xml:"domain:authInfo"`
}

type domainRenewXML struct {
	XMLName    xml.Name   `xml:"domain:renew"`
	XMLNS      string     `xml:"xmlns:domain,attr"`
	Name       string     `xml:"domain:name"`
	CurExpDate string     `xml:"domain:curExpDate"`
	Period     *periodXML `xml:"domain:period,omitempty"`
}

type domainTransferXML struct {
	XMLName  xml.Name           `xml:"domain:transfer"`
	XMLNS    string             `xml:"xmlns:domain,attr"`
	Name     string             `xml:"domain:name"`
	Period   *periodXML         `xml:"domain:period,omitempty"`
	AuthInfo *domainAuthInfoXML `xml:"domain:authInfo,omitempty"`
}

type domainUpdateXML struct {
	XMLName xml.Name         `xml:"domain:update"`
	XMLNS   string           `xml:"xmlns:domain,attr"`
	Name    string           `xml:"domain:name"`
	Add     *domainAddRemXML `xml:"domain:add,omitempty"`
	Remove  *domainAddRemXML `xml:"domain:rem,omitempty"`
	Change  *domainChangeXML `xml:"domain:chg,omitempty"`
}

type domainDeleteXML struct {
	XMLName xml.Name `xml:"domain:delete"`
	XMLNS   string   `xml:"xmlns:domain,attr"`
	Name    string   `xml:"domain:name"`
}

type domainAddRemXML struct {
	NS       *domainNSXML      `xml:"domain:ns,omitempty"`
	Statuses []domainStatusXML `xml:"domain:status"`
}

type domainStatusXML struct {
	S string `xml:"s,attr"`
}

type domainChangeXML struct {
	Registrant string             `xml:"domain:registrant,omitempty"`
	AuthInfo   *domainAuthInfoXML `xml:"domain:authInfo,omitempty"`
}

type domainNSXML struct {
	HostObjs  []string            `xml:"domain:hostObj"`
	HostAttrs []domainHostAttrXML `xml:"domain:hostAttr"`
}

type domainHostAttrXML struct {
	HostName string `xml:"domain:hostName"`
}

type domainContactXML struct {
	Type string `xml:"type,attr"`
	ID   string `xml:",chardata"`
}

type domainAuthInfoXML struct {
	Password string `xml:"domain:pw"`
}

type periodXML struct {
	Unit  string `xml:"unit,attr"`
	Value int    `xml:",chardata"`
}

func period(years int) *periodXML {
	if years <= 0 {
		return nil
	}
	return &periodXML{Unit: "y", Value: years}
}

func nameServers(hosts []string, hostAttr bool) *domainNSXML {
	if len(hosts) == 0 {
		return nil
	}
	if !hostAttr {
		return &domainNSXML{HostObjs: hosts}
	}
	ns := &domainNSXML{}
	for _, h := range hosts {
		ns.HostAttrs = append(ns.HostAttrs, domainHostAttrXML{HostName: h})
	}
	return ns
}

func addRem(hosts, statuses []string, hostAttr bool) *domainAddRemXML {
	if len(hosts) == 0 && len(statuses) == 0 {
		return nil
	}
	ar := &domainAddRemXML{NS: nameServers(hosts, hostAttr)}
	for _, s := range statuses {
		ar.Statuses = append(ar.Statuses, domainStatusXML{S: s})
	}
	return ar
}

// Response elements (RFC 5731 3.1 and 3.2), read by local name within
// their namespaced parent.

type domainInfDataXML struct {
	Name       string      `xml:"name"`
	ROID       string      `xml:"roid"`
	Statuses   []statusXML `xml:"status"`
	Registrant string      `xml:"registrant"`
	Contacts   []struct {
		Type string `xml:"type,attr"`
		ID   string `xml:",chardata"`
	} `xml:"contact"`
	NS struct {
		HostObjs  []string `xml:"hostObj"`
		HostAttrs []struct {
			HostName string `xml:"hostName"`
		} `xml:"hostAttr"`
	} `xml:"ns"`
	Hosts       []string `xml:"host"`
	ClientID    string   `xml:"clID"`
	CreatorID   string   `xml:"crID"`
	Created     Time     `xml:"crDate"`
	Updated     Time     `xml:"upDate"`
	Expires     Time     `xml:"exDate"`
	Transferred Time     `xml:"trDate"`
	AuthInfo    struct {
		Password string `xml:"pw"`
	} `xml:"authInfo"`
}

func (x *domainInfDataXML) info() DomainInfo {
	d := DomainInfo{
		Name:        strings.TrimSpace(x.Name),
		ROID:        strings.TrimSpace(x.ROID),
		Registrant:  strings.TrimSpace(x.Registrant),
		Hosts:       trimAll(x.Hosts),
		ClientID:    strings.TrimSpace(x.ClientID),
		CreatorID:   strings.TrimSpace(x.CreatorID),
		Created:     x.Created.Time,
		Updated:     x.Updated.Time,
		Expires:     x.Expires.Time,
		Transferred: x.Transferred.Time,
		AuthInfo:    x.AuthInfo.Password,
		NameServers: trimAll(x.NS.HostObjs),
	}
	for _, s := range x.Statuses {
		d.Statuses = append(d.Statuses, s.S)
	}
	for _, ct := range x.Contacts {
		d.Contacts = append(d.Contacts, DomainContact{Type: ct.Type, ID: strings.TrimSpace(ct.ID)})
	}
	for _, h := range x.NS.HostAttrs {
		d.NameServers = append(d.NameServers, strings.TrimSpace(h.HostName))
	}
	return d
}

type domainDatesXML struct {
	Name    string `xml:"name"`
	Created Time   `xml:"crDate"`
	Expires Time   `xml:"exDate"`
}

type domainTrnDataXML struct {
	Name         string `xml:"name"`
	Status       string `xml:"trStatus"`
	RequestingID string `xml:"reID"`
	Requested    Time   `xml:"reDate"`
	ActingID     string `xml:"acID"`
	ActBy        Time   `xml:"acDate"`
	Expires      Time   `xml:"exDate"`
}

func (x *domainTrnDataXML) transfer() DomainTransfer {
	return DomainTransfer{
		Name:         strings.TrimSpace(x.Name),
		Status:       strings.TrimSpace(x.Status),
		RequestingID: strings.TrimSpace(x.RequestingID),
		ActingID:     strings.TrimSpace(x.ActingID),
		Requested:    x.Requested.Time,
		ActBy:        x.ActBy.Time,
		Expires:      x.Expires.Time,
	}
}

type domainPanDataXML struct {
	Name struct {
		Result string `xml:"paResult,attr"`
		Name   string `xml:",chardata"`
	} `xml:"name"`
	TrID struct {
		ClTRID string `xml:"clTRID"`
		SvTRID string `xml:"svTRID"`
	} `xml:"paTRID"`
	Date Time `xml:"paDate"`
}

func (x *checkDataXML) availability() []Availability {
	if x == nil {
		return nil
	}
	out := make([]Availability, 0, len(x.Items))
	for _, it := range x.Items {
		a := it.Name
		if a.Value == "" {
			a = it.ID
		}
		out = append(out, Availability{
			Name:      strings.TrimSpace(a.Value),
			Available: parseBool(a.Avail),
			Reason:    strings.TrimSpace(it.Reason),
		})
	}
	return out
}

func trimAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}
