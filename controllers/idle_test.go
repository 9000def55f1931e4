package controllers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

var _ = Describe("Idle operator", func() {
	It("G4: after convergence, the operator issues no write for 30 seconds", func() {
		for range 3 {
			s := newMemberSetup()
			create(s.membership("member", s.member.Name, v1.PermissionInvoices))
			create(s.membership("pending", unique("invited"), v1.PermissionDomains))
			create(s.membership("owner", s.owner.Name, v1.PermissionAll))
		}
		waitForQuiet()
		before := operatorWrites.Load()
		Consistently(func() int64 { return operatorWrites.Load() - before }).
			WithTimeout(30 * time.Second).WithPolling(time.Second).Should(BeZero())
	})
})
