package eppregistry

// domainTransfer implements RFC 5731 section 3.2.4 for the five ops.
//
//   - request (gaining registrar, with the domain's authInfo): 1001 with
//     trnData pending; acDate = reDate + TransferPeriod; the losing
//     registrar gets a poll message. The sponsor itself gets 2106, a wrong
//     authInfo 2202, a transfer-prohibited or pending-delete domain 2304, a
//     second request while one is pending 2300.
//   - approve/reject (losing registrar), cancel (gaining registrar): 1000;
//     2301 when nothing is pending, 2201 for anyone else.
//   - query: the latest transfer, for the two parties or anyone with the
//     authInfo; 2301 if there never was one.
func (s *session) domainTransfer(c *cmdCtx) response {
	r := s.r
	op, hasOp := c.cmd.attr("op")
	if !hasOp {
		return fail(2003, "transfer needs op")
	}
	name, e := c.objectKey("name", "period", "authInfo")
	if e != nil {
		return *e
	}
	d, e := findObject(r.domains, "domain", name)
	if e != nil {
		return *e
	}
	switch op {
	case "request":
		return s.transferRequest(c, d)
	case "query":
		t := d.transfer
		if t == nil {
			return fail(2301, "the domain has never been transferred")
		}
		if s.clID != t.gaining && s.clID != t.losing && s.clID != d.sponsor {
			pw, e := parseAuthInfo(c.obj.child(nsDomain, "authInfo"), nsDomain)
			if e != nil && e.code != 2306 {
				return fail(2201, "only the parties of the transfer or a holder of the authInfo may query it")
			}
			if e != nil || pw != d.authInfo {
				return fail(2202, "wrong authInfo")
			}
		}
		return ok(trnData(d))
	case "approve", "reject", "cancel":
		if !d.pendingTransfer() {
			return fail(2301, "no transfer is pending")
		}
		t := d.transfer
		status := map[string]string{"approve": "clientApproved", "reject": "clientRejected", "cancel": "clientCancelled"}[op]
		actor := t.losing
		if op == "cancel" {
			actor = t.gaining
		}
		if s.clID != actor {
			return fail(2201, "only "+map[bool]string{true: "the gaining", false: "the losing"}[op == "cancel"]+" registrar may "+op)
		}
		r.completeTransfer(d, status, c.now)
		return ok(trnData(d))
	}
	return fail(2005, "transfer op must be request, query, approve, reject or cancel")
}

func (s *session) transferRequest(c *cmdCtx, d *domain) response {
	r := s.r
	years, e := parsePeriod(c.obj.child(nsDomain, "period"))
	if e != nil {
		return *e
	}
	pw, e := parseAuthInfo(c.obj.child(nsDomain, "authInfo"), nsDomain)
	if e != nil && e.code != 2306 {
		return *e
	}
	switch {
	case d.sponsor == s.clID:
		return fail(2106, "the domain is already yours")
	case d.pendingTransfer():
		return fail(2300, "a transfer is already pending")
	case d.deleted || d.pendingCreate || d.has("clientTransferProhibited", "serverTransferProhibited"):
		return fail(2304, "the domain's status prohibits transfer")
	case e != nil || pw != d.authInfo:
		return fail(2202, "wrong authInfo")
	case d.expires.AddDate(years, 0, 0).After(c.now.AddDate(10, 0, 0)):
		return fail(2306, "a registration may not run more than 10 years from now")
	}
	d.transfer = &transfer{
		gaining: s.clID, losing: d.sponsor, reDate: c.now, acDate: c.now.Add(r.cfg.TransferPeriod),
		period: years, status: "pending", exDate: d.expires.AddDate(years, 0, 0),
	}
	data := trnData(d)
	r.queuePoll(d.sponsor, c.now, "Transfer requested.", data)
	return response{code: 1001, resData: data}
}
