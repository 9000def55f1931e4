package epp

import (
	"context"
	"encoding/xml"
	"strings"
	"time"
)

// Contact is a contact object's data (RFC 5733) with one postal address:
// of type "int" (internationalized, 7-bit ASCII only) when every field is
// ASCII, else "loc" (localized, UTF-8), which RFC 5733 section 2.3 allows
// for names such as "Müller" that have no ASCII form.
type Contact struct {
	ID           string
	Name         string
	Organization string
	// Street holds up to three lines.
	Street      []string
	City        string
	Province    string
	PostalCode  string
	CountryCode string
	// Voice is a phone number in the form +CC.NUMBER, or empty.
	Voice string
	Email string
	// AuthInfo is the contact's authorization information: set on create,
	// returned by info only to the sponsor.
	AuthInfo string
}

// ContactInfo is a contact:info response.
type ContactInfo struct {
	Contact
	ROID     string
	Statuses []string
	ClientID string
	Created  time.Time
	Updated  time.Time
}

// ContactCheck checks whether the contact IDs are free.
func (c *Client) ContactCheck(ctx context.Context, ids ...string) ([]Availability, error) {
	return c.check(ctx, "contact:check", contactCheckXML{XMLNS: NSContact, IDs: ids},
		func(d *resDataXML) *checkDataXML { return d.ContactCheck })
}

// ContactInfo reads a contact; authInfo (may be empty) lets a client that
// does not sponsor it see the details.
func (c *Client) ContactInfo(ctx context.Context, id, authInfo string) (ContactInfo, error) {
	cmd := contactInfoXML{XMLNS: NSContact, ID: id}
	if authInfo != "" {
		cmd.AuthInfo = &contactAuthInfoXML{Password: authInfo}
	}
	resp, err := c.command(ctx, "contact:info", commandXML{Info: &objectXML{cmd}})
	if err != nil {
		return ContactInfo{}, err
	}
	if resp.Data.ContactInfo == nil {
		return ContactInfo{}, missingData("contact:info", "contact:infData")
	}
	return resp.Data.ContactInfo.info(), nil
}

// ContactCreate creates a contact with ct's details and authInfo.
func (c *Client) ContactCreate(ctx context.Context, ct Contact) error {
	cmd := contactCreateXML{
		XMLNS:      NSContact,
		ID:         ct.ID,
		PostalInfo: postalInfo(ct),
		Voice:      ct.Voice,
		Email:      ct.Email,
		AuthInfo:   contactAuthInfoXML{Password: ct.AuthInfo},
	}
	_, err := c.command(ctx, "contact:create", commandXML{Create: &objectXML{cmd}})
	return err
}

// ContactUpdate replaces the contact's name, address, phone and e-mail with
// ct's. An empty Organization or Voice is not sent, so the registry keeps
// its own: RFC 5733 would clear them with empty elements, but registries
// differ on whether they accept those. The authInfo is left alone.
func (c *Client) ContactUpdate(ctx context.Context, ct Contact) error {
	cmd := contactUpdateXML{XMLNS: NSContact, ID: ct.ID}
	cmd.Change.PostalInfo = postalInfo(ct)
	cmd.Change.Voice = ct.Voice
	cmd.Change.Email = ct.Email
	_, err := c.command(ctx, "contact:update", commandXML{Update: &objectXML{cmd}})
	return err
}

// Request elements (RFC 5733 3.1 and 3.2), in the schema's element order.

type contactCheckXML struct {
	XMLName xml.Name `xml:"contact:check"`
	XMLNS   string   `xml:"xmlns:contact,attr"`
	IDs     []string `xml:"contact:id"`
}

type contactInfoXML struct {
	XMLName  xml.Name            `xml:"contact:info"`
	XMLNS    string              `xml:"xmlns:contact,attr"`
	ID       string              `xml:"contact:id"`
	AuthInfo *contactAuthInfoXML `xml:"contact:authInfo,omitempty"`
}

type contactCreateXML struct {
	XMLName    xml.Name           `xml:"contact:create"`
	XMLNS      string             `xml:"xmlns:contact,attr"`
	ID         string             `xml:"contact:id"`
	PostalInfo contactPostalXML   `xml:"contact:postalInfo"`
	Voice      string             `xml:"contact:voice,omitempty"`
	Email      string             `xml:"contact:email"`
	AuthInfo   contactAuthInfoXML `xml:"contact:authInfo"`
}

// contactUpdateXML changes everything it sends: name, organization and
// address as one postalInfo, voice and email.
type contactUpdateXML struct {
	XMLName xml.Name `xml:"contact:update"`
	XMLNS   string   `xml:"xmlns:contact,attr"`
	ID      string   `xml:"contact:id"`
	Change  struct {
		PostalInfo contactPostalXML `xml:"contact:postalInfo"`
		Voice      string           `xml:"contact:voice,omitempty"`
		Email      string           `xml:"contact:email"`
	} `xml:"contact:chg"`
}

type contactPostalXML struct {
	Type         string            `xml:"type,attr"`
	Name         string            `xml:"contact:name"`
	Organization string            `xml:"contact:org,omitempty"`
	Address      contactAddressXML `xml:"contact:addr"`
}

type contactAddressXML struct {
	Street      []string `xml:"contact:street"`
	City        string   `xml:"contact:city"`
	Province    string   `xml:"contact:sp,omitempty"`
	PostalCode  string   `xml:"contact:pc,omitempty"`
	CountryCode string   `xml:"contact:cc"`
}

type contactAuthInfoXML struct {
	Password string `xml:"contact:pw"`
}

// maxStreetLines is the schema's limit on contact:street elements.
const maxStreetLines = 3

func postalInfo(ct Contact) contactPostalXML {
	street := ct.Street
	if len(street) > maxStreetLines {
		street = street[:maxStreetLines]
	}
	return contactPostalXML{
		Type:         postalType(ct),
		Name:         ct.Name,
		Organization: ct.Organization,
		Address: contactAddressXML{
			Street:      street,
			City:        ct.City,
			Province:    ct.Province,
			PostalCode:  ct.PostalCode,
			CountryCode: ct.CountryCode,
		},
	}
}

// postalType is "int" when every postal field is 7-bit ASCII, else "loc".
func postalType(ct Contact) string {
	for _, field := range append([]string{ct.Name, ct.Organization, ct.City, ct.Province, ct.PostalCode}, ct.Street...) {
		for i := 0; i < len(field); i++ {
			if field[i] >= 0x80 {
				return "loc"
			}
		}
	}
	return "int"
}

// Response elements (RFC 5733 3.1.2).

type contactInfDataXML struct {
	ID         string      `xml:"id"`
	ROID       string      `xml:"roid"`
	Statuses   []statusXML `xml:"status"`
	PostalInfo []struct {
		Type         string `xml:"type,attr"`
		Name         string `xml:"name"`
		Organization string `xml:"org"`
		Address      struct {
			Street      []string `xml:"street"`
			City        string   `xml:"city"`
			Province    string   `xml:"sp"`
			PostalCode  string   `xml:"pc"`
			CountryCode string   `xml:"cc"`
		} `xml:"addr"`
	} `xml:"postalInfo"`
	Voice    string `xml:"voice"`
	Email    string `xml:"email"`
	ClientID string `xml:"clID"`
	Created  Time   `xml:"crDate"`
	Updated  Time   `xml:"upDate"`
	AuthInfo struct {
		Password string `xml:"pw"`
	} `xml:"authInfo"`
}

// info prefers the "int" postal address, which the client writes, over a
// localized "loc" one.
func (x *contactInfDataXML) info() ContactInfo {
	ci := ContactInfo{
		Contact: Contact{
			ID:       strings.TrimSpace(x.ID),
			Voice:    strings.TrimSpace(x.Voice),
			Email:    strings.TrimSpace(x.Email),
			AuthInfo: x.AuthInfo.Password,
		},
		ROID:     strings.TrimSpace(x.ROID),
		ClientID: strings.TrimSpace(x.ClientID),
		Created:  x.Created.Time,
		Updated:  x.Updated.Time,
	}
	for _, s := range x.Statuses {
		ci.Statuses = append(ci.Statuses, s.S)
	}
	for i, pi := range x.PostalInfo {
		if i > 0 && pi.Type != "int" {
			continue
		}
		ci.Name = strings.TrimSpace(pi.Name)
		ci.Organization = strings.TrimSpace(pi.Organization)
		ci.Street = trimAll(pi.Address.Street)
		ci.City = strings.TrimSpace(pi.Address.City)
		ci.Province = strings.TrimSpace(pi.Address.Province)
		ci.PostalCode = strings.TrimSpace(pi.Address.PostalCode)
		ci.CountryCode = strings.TrimSpace(pi.Address.CountryCode)
	}
	return ci
}
