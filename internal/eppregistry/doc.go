// Package eppregistry is a strict EPP registry for tests: RFC 5730 (protocol),
// 5731 (domains), 5732 (hosts), 5733 (contacts), 5734 (TLS transport with
// 4-byte length framing) and the RFC 3915 grace-period statuses that matter
// for billing. It listens on 127.0.0.1, keeps everything in memory, takes its
// time from a test clock, and refuses what real registries refuse, so that a
// client tested against it does not meet its first strict server in
// production. Standard library only.
//
// Time is lazy: nothing runs in the background. At every command (and at
// every inspection call) the registry applies whatever the clock has passed:
// auto-renewals at expiry, transfers auto-approved at acDate, purges at the
// end of the redemption period.
//
// # Policy a client must expect
//
// Transport: mutual TLS (1.2 or newer); the client certificate must be
// signed by the registry's CA (else the handshake fails) and its CN must
// be the clID at login (else 2200). Frames over 1 MiB close the connection.
//
// Envelope: every frame is XML in urn:ietf:params:xml:ns:epp-1.0 with one
// <hello> or <command>. A <command> must carry a clTRID of 3 to 64
// characters without surrounding or doubled whitespace; a missing or bad
// clTRID, malformed XML, a DTD, an element the registry does not know, or
// a misplaced element is 2001. Reused clTRIDs are echoed, not refused.
// Every response echoes the clTRID and carries a unique svTRID. Errors
// keep the standard <msg> and explain themselves in
// <extValue><value/><reason/></extValue>.
//
// Session: before login only hello, login and logout (others 2002); a
// second login 2002; login version other than 1.0 is 2100, lang other than
// en 2102, an objURI not in the greeting 2307, an extURI other than rgp-1.0
// 2103. Unknown clID, wrong password, certificate of another clID: 2200.
// MaxFailedLogins wrong passwords in a row lock the clID: 2200 and the
// connection is closed, for every later login too, until UnlockAccount.
// One session over MaxSessionsPerAccount: 2502 and close. RefuseLogins:
// 2501 and close. logout: 1500 and close. Commands for an object service
// not requested at login: 2307; unknown commands 2000; contact:transfer
// 2101.
//
// Values: domain and host names are lowercase LDH with at least two labels
// (uppercase, bad labels: 2005). Periods are 1..10 years (else 2004; unit
// "m" only in whole years); a registration may not run past now + 10 years
// (2306). authInfo pw is required on create (2003) and 6..64 characters
// (2306). Contact ids are 3..16 characters (2005); contacts need
// postalInfo (int must be ASCII) with name, street, city and an uppercase
// two-letter cc, an email, an E.164 voice/fax ("+49.301234567") if any, and
// authInfo. Check takes at most 50 names (2306). domain:check answers
// avail="1"/"0" with a reason for taken names (also in redemption).
//
// Domains: create needs a registrant; registrant and contacts must exist
// (2303) and be the client's own (2201); one contact per type. A taken
// name, including one in redemption or pendingCreate, is 2302. Name
// servers: at most 13 (2004); duplicates 2306; with HostObjects only
// domain:hostObj and each host must exist (2303), without it only
// domain:hostAttr; the wrong form is 2306. hostAttr glue: required for a
// server inside the domain (2003), refused outside it (2306). Transforms
// are sponsor-only (2201) and refused in pendingCreate, pendingTransfer
// and pendingDelete (2304). renew: curExpDate (YYYY-MM-DD, UTC) must equal
// the expiry date (2306). update: adding what is there or removing what is
// not is 2306; only client* statuses (server* and pending* 2306, unknown
// 2005); clientUpdateProhibited blocks any update that does not remove it
// (2304); an empty update is 2003. delete answers 1001: the domain goes to
// pendingDelete + redemptionPeriod, stays taken for RedemptionPeriod, then
// is purged; inside the auto-renew grace the auto-renew year is refunded;
// subordinate host objects block it (2305). An rgp:update restore request
// on an otherwise empty update restores at once (no report needed).
// info: full to the sponsor; to others with the right authInfo all but the
// authInfo, with a wrong one 2202, without one only name, roid, status,
// clID, crDate and exDate. The rgp:infData extension is added when the
// session asked for rgp-1.0 at login and a grace status applies.
//
// Transfers: request needs the authInfo (2202), is 2106 for the sponsor,
// 2300 while one is pending, 2304 when transfer-prohibited; it answers
// 1001 pending with acDate = reDate + TransferPeriod. approve/reject by
// the losing registrar, cancel by the gaining one (2201 for others, 2301
// if nothing is pending). On approval (by the loser or by the server at
// acDate) the sponsor changes, exDate grows by the period (after undoing
// an auto-renew still in grace, refunded to the loser), the authInfo is
// replaced by a random one, subordinate hosts move along and the gaining
// registrar is charged.
//
// Poll: req returns the oldest unacknowledged message (1301, msgQ count
// and id) or 1300; ack needs msgID (2003) and answers 1000 with the
// remaining count; an id not in the client's queue is 2303. Messages:
// transfer request (to the loser), transfer results (both; a cancel only
// to the loser), pending-create results (panData), and auto-renewals
// (renData) when Config.PollAutoRenew is set.
//
// Contacts: an existing id is 2302; update and delete are sponsor-only
// (2201); info to another registrar needs the contact's authInfo (2201
// without, 2202 wrong); a contact a domain uses cannot be deleted (2305);
// clientUpdateProhibited and clientDeleteProhibited block (2304).
//
// Hosts (HostObjects only): a host inside a domain of the registry needs
// that domain to be the client's (2201) and an address (2003); an
// external host takes no address (2306). Linked hosts cannot be deleted
// (2305); host:info is open to all; host:update adds and removes addresses
// and client statuses, renaming is 2102.
package eppregistry
