package v1alpha1_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// invitationByEmail is a valid Membership that invites by e-mail address (M6).
func invitationByEmail() *clientareav1alpha1.Membership {
	m := validMembership()
	m.Spec.User, m.Spec.Email = "", "Bernd.Mueller@Example.com"
	return m
}

var _ = Describe("Invitations by e-mail address at admission (M6, G2)", func() {
	It("M6: accepts a Membership that names its invitee by e-mail address instead of by User", func() {
		Expect(k8sClient.Create(ctx, invitationByEmail(), client.DryRunAll)).To(Succeed())
	})

	DescribeTable("refuses a Membership that does not name exactly one invitee, naming both fields",
		refuse,
		Entry("M6: both user and email", with(invitationByEmail, func(m *clientareav1alpha1.Membership) { m.Spec.User = "bernd" }),
			"spec.user", "spec.user and spec.email: set exactly one"),
		Entry("M6: neither user nor email", with(invitationByEmail, func(m *clientareav1alpha1.Membership) { m.Spec.Email = "" }),
			"spec.user", "spec.user and spec.email: set exactly one"),
		Entry("M6: email not an address", with(invitationByEmail, func(m *clientareav1alpha1.Membership) { m.Spec.Email = "bernd" }),
			"spec.email", "must be a valid e-mail address"),
	)

	DescribeTable("refuses changing whom a Membership is for (M2, M6)",
		func(valid func() *clientareav1alpha1.Membership, change func(*clientareav1alpha1.Membership), field, message string) {
			expectInvalid(changeAfterCreate(valid, change), field, message)
		},
		Entry("M6: the invited address", invitationByEmail, func(m *clientareav1alpha1.Membership) { m.Spec.Email = "carla@example.com" },
			"spec.email", "spec.email is immutable"),
		Entry("M6: an invitation by e-mail turned into one by user name", invitationByEmail, func(m *clientareav1alpha1.Membership) {
			m.Spec.User, m.Spec.Email = "bernd", ""
		}, "spec", "spec.user and spec.email are immutable"),
		Entry("M6: a membership by user name turned into an invitation by e-mail", validMembership, func(m *clientareav1alpha1.Membership) {
			m.Spec.User, m.Spec.Email = "", "bernd@example.com"
		}, "spec", "spec.user and spec.email are immutable"),
	)
})
