package eppregistry

import (
	"strconv"
)

// resultMessages are the RFC 5730 section 3 texts. The <msg> always carries
// the standard text; details go into <extValue><reason>, so that a client
// can match on the code and still log something useful.
var resultMessages = map[int]string{
	1000: "Command completed successfully",
	1001: "Command completed successfully; action pending",
	1300: "Command completed successfully; no messages",
	1301: "Command completed successfully; ack to dequeue",
	1500: "Command completed successfully; ending session",
	2000: "Unknown command",
	2001: "Command syntax error",
	2002: "Command use error",
	2003: "Required parameter missing",
	2004: "Parameter value range error",
	2005: "Parameter value syntax error",
	2100: "Unimplemented protocol version",
	2101: "Unimplemented command",
	2102: "Unimplemented option",
	2103: "Unimplemented extension",
	2104: "Billing failure",
	2105: "Object is not eligible for renewal",
	2106: "Object is not eligible for transfer",
	2200: "Authentication error",
	2201: "Authorization error",
	2202: "Invalid authorization information",
	2300: "Object pending transfer",
	2301: "Object not pending transfer",
	2302: "Object exists",
	2303: "Object does not exist",
	2304: "Object status prohibits operation",
	2305: "Object association prohibits operation",
	2306: "Parameter value policy error",
	2307: "Unimplemented object service",
	2308: "Data management policy violation",
	2400: "Command failed",
	2500: "Command failed; server closing connection",
	2501: "Authentication error; server closing connection",
	2502: "Session limit exceeded; server closing connection",
}

// response is what a command handler produces; the session renders it.
type response struct {
	code    int
	value   string // raw XML element for <extValue><value>; defaults to the command's object identifier
	reason  string // human-readable detail for <extValue><reason>
	msgQ    string // raw <msgQ> element (poll)
	resData string // raw content of <resData>
	ext     string // raw content of <extension>
	close   bool   // close the connection after answering
}

func ok(resData string) response { return response{code: 1000, resData: resData} }

// fail is an error response with a reason. The value element is filled in
// by the session (the object's name or id) unless the handler sets one.
func fail(code int, reason string) response { return response{code: code, reason: reason} }

// render produces the full <epp><response> document.
func render(res response, clTRID, svTRID, defaultValue string) []byte {
	var w xw
	w.raw(`<?xml version="1.0" encoding="UTF-8" standalone="no"?>`)
	w.open("epp", "xmlns", nsEPP)
	w.open("response")
	w.open("result", "code", strconv.Itoa(res.code))
	w.leaf("msg", resultMessages[res.code])
	if res.reason != "" {
		value := res.value
		if value == "" {
			value = defaultValue
		}
		if value == "" {
			// errValueType needs one element; without an object to point
			// at, the reason is attached to the (possibly missing) clTRID.
			var v xw
			v.leaf("clTRID", clTRID)
			value = v.String()
		}
		w.open("extValue")
		w.open("value")
		w.raw(value)
		w.close("value")
		w.leaf("reason", res.reason)
		w.close("extValue")
	}
	w.close("result")
	w.raw(res.msgQ)
	if res.resData != "" {
		w.open("resData")
		w.raw(res.resData)
		w.close("resData")
	}
	if res.ext != "" {
		w.open("extension")
		w.raw(res.ext)
		w.close("extension")
	}
	w.open("trID")
	if clTRID != "" {
		w.leaf("clTRID", clTRID)
	}
	w.leaf("svTRID", svTRID)
	w.close("trID")
	w.close("response")
	w.close("epp")
	return []byte(w.String())
}

// objValue renders an object element with its namespace declared, for
// <extValue><value> and for resData.
func objValue(prefix, ns, local, text string) string {
	var w xw
	w.leaf(prefix+":"+local, text, "xmlns:"+prefix, ns)
	return w.String()
}

// eppTime is the EPP dateTime format used in every response.
const eppTime = "2006-01-02T15:04:05.0Z"
