package controller_test

import (
	"context"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

var _ = Describe("Idle operator", func() {
	It("G4: after convergence, the operator issues no write for 30 seconds", func() {
		for range 3 {
			s := newMemberSetup()
			create(s.membership("member", s.member.Name, clientareav1alpha1.PermissionInvoices))
			create(s.membership("pending", unique("invited"), clientareav1alpha1.PermissionDomains))
			create(s.membership("owner", s.owner.Name, clientareav1alpha1.PermissionAll))
		}
		waitForQuiet()
		before := operatorWrites.Load()
		Consistently(func() int64 { return operatorWrites.Load() - before }).
			WithTimeout(30 * time.Second).WithPolling(time.Second).Should(BeZero())
	})

	It("G4: a restarted operator reconciles everything again and writes nothing: no binding or namespace is re-created", func() {
		s := newMemberSetup()
		create(s.membership("member", s.member.Name, clientareav1alpha1.PermissionDomains, clientareav1alpha1.PermissionContacts))
		waitForQuiet()

		// A second manager starts from empty caches, like a restart, and
		// reconciles every object while the first keeps running.
		restartCtx, stop := context.WithCancel(ctx)
		var restartWrites atomic.Int64
		wait := startOperator(restartCtx, &restartWrites)
		DeferCleanup(func() { stop(); wait() })
		Consistently(func() int64 { return restartWrites.Load() }).
			WithTimeout(5 * time.Second).WithPolling(250 * time.Millisecond).Should(BeZero())
	})
})
