package epp

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// The XML namespaces of EPP and of the object mappings and extensions the
// client speaks.
const (
	NSEPP     = "urn:ietf:params:xml:ns:epp-1.0"
	NSDomain  = "urn:ietf:params:xml:ns:domain-1.0"
	NSContact = "urn:ietf:params:xml:ns:contact-1.0"
	NSHost    = "urn:ietf:params:xml:ns:host-1.0"
	NSRGP     = "urn:ietf:params:xml:ns:rgp-1.0"
)

// Requests are marshalled with the conventional prefixes (domain:, contact:,
// host:) written out literally: encoding/xml would otherwise redeclare a
// default namespace on every element, which is valid but not what registry
// operators read in their logs.

// request is the <epp> element the client sends.
type request struct {
	XMLName xml.Name    `xml:"urn:ietf:params:xml:ns:epp-1.0 epp"`
	Hello   *struct{}   `xml:"hello,omitempty"`
	Command *commandXML `xml:"command,omitempty"`
}

// encode renders the request as a UTF-8 XML document.
func (r *request) encode() ([]byte, error) {
	b, err := xml.Marshal(r)
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

// commandXML holds exactly one command; object is the object mapping's
// element (domain:create, contact:info, ...).
type commandXML struct {
	Login    *loginXML    `xml:"login,omitempty"`
	Logout   *struct{}    `xml:"logout,omitempty"`
	Poll     *pollXML     `xml:"poll,omitempty"`
	Check    *objectXML   `xml:"check,omitempty"`
	Info     *objectXML   `xml:"info,omitempty"`
	Create   *objectXML   `xml:"create,omitempty"`
	Delete   *objectXML   `xml:"delete,omitempty"`
	Renew    *objectXML   `xml:"renew,omitempty"`
	Transfer *transferXML `xml:"transfer,omitempty"`
	Update   *objectXML   `xml:"update,omitempty"`
	ClTRID   string       `xml:"clTRID"`
}

type objectXML struct{ Object any }

type transferXML struct {
	Op     string `xml:"op,attr"`
	Object any
}

type loginXML struct {
	ClientID string `xml:"clID"`
	Password string `xml:"pw"`
	Options  struct {
		Version string `xml:"version"`
		Lang    string `xml:"lang"`
	} `xml:"options"`
	Services struct {
		ObjURIs    []string       `xml:"objURI"`
		Extensions *extensionsXML `xml:"svcExtension,omitempty"`
	} `xml:"svcs"`
}

type extensionsXML struct {
	ExtURIs []string `xml:"extURI"`
}

type pollXML struct {
	Op    string `xml:"op,attr"`
	MsgID string `xml:"msgID,attr,omitempty"`
}

// message is the <epp> element the registry sends: a greeting or a response.
type message struct {
	XMLName  xml.Name     `xml:"urn:ietf:params:xml:ns:epp-1.0 epp"`
	Greeting *greetingXML `xml:"urn:ietf:params:xml:ns:epp-1.0 greeting"`
	Response *responseXML `xml:"urn:ietf:params:xml:ns:epp-1.0 response"`
}

// decodeMessage parses a frame from the registry. Element names are matched
// with their namespaces, so a registry may use any prefixes (or none).
func decodeMessage(data []byte) (*message, error) {
	var msg message
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&msg); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProtocol, err)
	}
	return &msg, nil
}

type greetingXML struct {
	ServerID   string `xml:"svID"`
	ServerDate Time   `xml:"svDate"`
	Menu       struct {
		Versions   []string      `xml:"version"`
		Languages  []string      `xml:"lang"`
		ObjURIs    []string      `xml:"objURI"`
		Extensions extensionsXML `xml:"svcExtension"`
	} `xml:"svcMenu"`
}

type responseXML struct {
	Results []resultXML `xml:"result"`
	Queue   *queueXML   `xml:"msgQ"`
	Data    resDataXML  `xml:"resData"`
	Ext     extDataXML  `xml:"extension"`
	TrID    struct {
		ClTRID string `xml:"clTRID"`
		SvTRID string `xml:"svTRID"`
	} `xml:"trID"`
}

type resultXML struct {
	Code      int    `xml:"code,attr"`
	Msg       string `xml:"msg"`
	ExtValues []struct {
		Reason string `xml:"reason"`
	} `xml:"extValue"`
}

type queueXML struct {
	Count int    `xml:"count,attr"`
	ID    string `xml:"id,attr"`
	Date  Time   `xml:"qDate"`
	Msg   string `xml:"msg"`
}

// resDataXML names each object's response by namespace: domain, contact
// and host all have an infData, a chkData and a creData.
type resDataXML struct {
	DomainCheck    *checkDataXML      `xml:"urn:ietf:params:xml:ns:domain-1.0 chkData"`
	DomainInfo     *domainInfDataXML  `xml:"urn:ietf:params:xml:ns:domain-1.0 infData"`
	DomainCreate   *domainDatesXML    `xml:"urn:ietf:params:xml:ns:domain-1.0 creData"`
	DomainRenew    *domainDatesXML    `xml:"urn:ietf:params:xml:ns:domain-1.0 renData"`
	DomainTransfer *domainTrnDataXML  `xml:"urn:ietf:params:xml:ns:domain-1.0 trnData"`
	DomainPending  *domainPanDataXML  `xml:"urn:ietf:params:xml:ns:domain-1.0 panData"`
	ContactCheck   *checkDataXML      `xml:"urn:ietf:params:xml:ns:contact-1.0 chkData"`
	ContactInfo    *contactInfDataXML `xml:"urn:ietf:params:xml:ns:contact-1.0 infData"`
	HostCheck      *checkDataXML      `xml:"urn:ietf:params:xml:ns:host-1.0 chkData"`
	HostInfo       *hostInfDataXML    `xml:"urn:ietf:params:xml:ns:host-1.0 infData"`
	Other          []anyElementXML    `xml:",any"`
}

type extDataXML struct {
	RGPInfo *struct {
		Statuses []statusXML `xml:"rgpStatus"`
	} `xml:"urn:ietf:params:xml:ns:rgp-1.0 infData"`
}

// anyElementXML keeps an unknown element's name and the name of a domain
// it mentions, for poll messages the client does not model.
type anyElementXML struct {
	XMLName xml.Name
	Name    string `xml:"name"`
}

// checkDataXML is a domain, contact or host chkData: a contact's cd has an
// id where the others have a name.
type checkDataXML struct {
	Items []struct {
		Name   availXML `xml:"name"`
		ID     availXML `xml:"id"`
		Reason string   `xml:"reason"`
	} `xml:"cd"`
}

type availXML struct {
	Avail string `xml:"avail,attr"`
	Value string `xml:",chardata"`
}

type statusXML struct {
	S    string `xml:"s,attr"`
	Text string `xml:",chardata"`
}

// Time is an XML dateTime or date as registries write them: RFC 3339 with
// or without fractional seconds, or without a zone (read as UTC).
type Time struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"}

// UnmarshalText reads a dateTime; an empty element is the zero time.
func (t *Time) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	var err error
	for _, layout := range timeLayouts {
		var v time.Time
		if v, err = time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return err
}

// parseBool reads an XML boolean ("1", "true", "0", "false").
func parseBool(s string) bool {
	s = strings.TrimSpace(s)
	return s == "1" || s == "true"
}
