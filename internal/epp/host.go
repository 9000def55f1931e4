package epp

import (
	"context"
	"encoding/xml"
	"net/netip"
	"strings"
)

// HostInfo is a host:info response.
type HostInfo struct {
	Name      string
	ROID      string
	Statuses  []string
	Addresses []string
	ClientID  string
}

// HostCheck checks whether the host names are free to create.
func (c *Client) HostCheck(ctx context.Context, names ...string) ([]Availability, error) {
	return c.check(ctx, "host:check", hostCheckXML{XMLNS: NSHost, Names: names},
		func(d *resDataXML) *checkDataXML { return d.HostCheck })
}

// HostInfo reads a host object.
func (c *Client) HostInfo(ctx context.Context, name string) (HostInfo, error) {
	resp, err := c.command(ctx, "host:info", commandXML{Info: &objectXML{hostInfoXML{
		XMLNS: NSHost, Name: name,
	}}})
	if err != nil {
		return HostInfo{}, err
	}
	x := resp.Data.HostInfo
	if x == nil {
		return HostInfo{}, missingData("host:info", "host:infData")
	}
	h := HostInfo{
		Name:     strings.TrimSpace(x.Name),
		ROID:     strings.TrimSpace(x.ROID),
		ClientID: strings.TrimSpace(x.ClientID),
	}
	for _, s := range x.Statuses {
		h.Statuses = append(h.Statuses, s.S)
	}
	for _, a := range x.Addresses {
		h.Addresses = append(h.Addresses, strings.TrimSpace(a.Value))
	}
	return h, nil
}

// HostCreate creates a host object. A host outside the registry's zones
// needs no addresses; one inside a domain there needs its glue addresses.
func (c *Client) HostCreate(ctx context.Context, name string, addrs ...netip.Addr) error {
	cmd := hostCreateXML{XMLNS: NSHost, Name: name}
	for _, a := range addrs {
		version := "v4"
		if a.Is6() && !a.Is4In6() {
			version = "v6"
		}
		cmd.Addresses = append(cmd.Addresses, hostAddrXML{IP: version, Value: a.Unmap().String()})
	}
	_, err := c.command(ctx, "host:create", commandXML{Create: &objectXML{cmd}})
	return err
}

type hostCheckXML struct {
	XMLName xml.Name `xml:"host:check"`
	XMLNS   string   `xml:"xmlns:host,attr"`
	Names   []string `xml:"host:name"`
}

type hostInfoXML struct {
	XMLName xml.Name `xml:"host:info"`
	XMLNS   string   `xml:"xmlns:host,attr"`
	Name    string   `xml:"host:name"`
}

type hostCreateXML struct {
	XMLName   xml.Name      `xml:"host:create"`
	XMLNS     string        `xml:"xmlns:host,attr"`
	Name      string        `xml:"host:name"`
	Addresses []hostAddrXML `xml:"host:addr"`
}

type hostAddrXML struct {
	IP    string `xml:"ip,attr"`
	Value string `xml:",chardata"`
}

type hostInfDataXML struct {
	Name      string      `xml:"name"`
	ROID      string      `xml:"roid"`
	Statuses  []statusXML `xml:"status"`
	Addresses []struct {
		IP    string `xml:"ip,attr"`
		Value string `xml:",chardata"`
	} `xml:"addr"`
	ClientID string `xml:"clID"`
}
