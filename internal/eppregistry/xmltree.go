package eppregistry

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// XML namespaces the registry speaks.
const (
	nsEPP     = "urn:ietf:params:xml:ns:epp-1.0"
	nsDomain  = "urn:ietf:params:xml:ns:domain-1.0"
	nsContact = "urn:ietf:params:xml:ns:contact-1.0"
	nsHost    = "urn:ietf:params:xml:ns:host-1.0"
	nsRGP     = "urn:ietf:params:xml:ns:rgp-1.0"
)

// node is a tiny namespace-resolved DOM. encoding/xml's struct unmarshalling
// ignores namespaces on child elements unless every field is tagged, and it
// silently skips unknown elements; a strict registry wants to see exactly
// what the client sent, so requests are parsed into this tree instead.
type node struct {
	Space, Local string // Space is the namespace URI (the prefix if undeclared)
	Attrs        []xml.Attr
	Children     []*node
	Text         string // concatenated character data directly inside the element
}

// Limits that keep a hostile frame from costing much; frames are already
// capped at maxFrameSize bytes.
const (
	maxDepth    = 32
	maxElements = 5000
)

var errXML = errors.New("malformed XML")

// parseXML parses one EPP frame. It rejects DTDs (no entity games), anything
// but one root element, and documents deeper or larger than the limits.
func parseXML(data []byte) (*node, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	// Only UTF-8 (and its ASCII subset) is accepted, as RFC 5730 requires
	// support for UTF-8; a frame declaring another charset is a syntax error.
	dec.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "us-ascii":
			return input, nil
		}
		return nil, errXML
	}
	var root *node
	var stack []*node
	count := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errXML
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxElements || len(stack) >= maxDepth {
				return nil, errXML
			}
			n := &node{Space: t.Name.Space, Local: t.Name.Local}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue // namespace declarations are already resolved
				}
				n.Attrs = append(n.Attrs, a)
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, errXML
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, errXML
				}
				continue
			}
			stack[len(stack)-1].Text += string(t)
		case xml.Directive:
			return nil, errXML
		}
	}
	if root == nil {
		return nil, errXML
	}
	return root, nil
}

// child returns the first child element with the namespace and local name.
func (n *node) child(space, local string) *node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Space == space && c.Local == local {
			return c
		}
	}
	return nil
}

// all returns every child element with the namespace and local name.
func (n *node) all(space, local string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, c := range n.Children {
		if c.Space == space && c.Local == local {
			out = append(out, c)
		}
	}
	return out
}

// text returns the trimmed character data of n (empty for a nil node).
func (n *node) text() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(n.Text)
}

// attr returns an attribute without namespace.
func (n *node) attr(local string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// onlyChildren reports whether every child element of n is in namespace
// space and has one of the allowed local names; a strict registry refuses
// elements it does not know instead of ignoring them.
func (n *node) onlyChildren(space string, allowed ...string) bool {
	for _, c := range n.Children {
		if c.Space != space {
			return false
		}
		ok := false
		for _, a := range allowed {
			if c.Local == a {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// xw builds response XML. Everything written through it is escaped; raw is
// only used for fragments that xw itself produced.
type xw struct{ b strings.Builder }

func (w *xw) open(name string, attrs ...string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	w.attrs(attrs)
	w.b.WriteByte('>')
}

func (w *xw) attrs(attrs []string) {
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteByte(' ')
		w.b.WriteString(attrs[i])
		w.b.WriteString(`="`)
		w.esc(attrs[i+1])
		w.b.WriteByte('"')
	}
}

func (w *xw) close(name string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

// leaf writes <name attrs>text</name>.
func (w *xw) leaf(name, text string, attrs ...string) {
	w.open(name, attrs...)
	w.esc(text)
	w.close(name)
}

// empty writes <name attrs/>.
func (w *xw) empty(name string, attrs ...string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	w.attrs(attrs)
	w.b.WriteString("/>")
}

func (w *xw) raw(s string) { w.b.WriteString(s) }

func (w *xw) esc(s string) {
	var buf bytes.Buffer
	_ = xml.EscapeText(&buf, []byte(s))
	w.b.Write(buf.Bytes())
}

func (w *xw) String() string { return w.b.String() }
