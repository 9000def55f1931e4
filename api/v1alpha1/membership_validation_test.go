package v1alpha1_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

var _ = Describe("Invitations that lapse at admission (M5, G2)", func() {
	invitation := func() *clientareav1alpha1.Membership {
		m := invitationByEmail()
		m.Spec.InvitationExpiresAt = &metav1.Time{Time: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
		return m
	}

	It("M5: accepts an invitation that lapses (spec.invitationExpiresAt), by e-mail address or by User name", func() {
		Expect(k8sClient.Create(ctx, invitation(), client.DryRunAll)).To(Succeed())
		byUser := validMembership()
		byUser.Spec.InvitationExpiresAt = &metav1.Time{Time: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
		Expect(k8sClient.Create(ctx, byUser, client.DryRunAll)).To(Succeed())
	})

	// invitationExpiresAt is not immutable, by decision: the owner manages
	// memberships (M3) and could delete and invite again anyway; a later
	// time renews a lapsed invitation without a second Membership (which
	// the first would make a duplicate, M4), an earlier one withdraws it.
	DescribeTable("M5: allows renewing, shortening and removing the lapse time",
		func(change func(*clientareav1alpha1.Membership)) {
			Expect(changeAfterCreate(invitation, change)).To(Succeed())
		},
		Entry("renewed: a later time", func(m *clientareav1alpha1.Membership) {
			m.Spec.InvitationExpiresAt = &metav1.Time{Time: time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC)}
		}),
		Entry("withdrawn: an earlier time", func(m *clientareav1alpha1.Membership) {
			m.Spec.InvitationExpiresAt = &metav1.Time{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		}),
		Entry("removed: the invitation no longer lapses", func(m *clientareav1alpha1.Membership) { m.Spec.InvitationExpiresAt = nil }),
	)

	It("M5: refuses a lapse time that is not a time, naming the field", func() {
		m := &unstructured.Unstructured{}
		m.SetGroupVersionKind(clientareav1alpha1.GroupVersion.WithKind("Membership"))
		m.SetNamespace(testNamespace)
		m.SetGenerateName("membership-")
		Expect(unstructured.SetNestedField(m.Object, map[string]any{
			"email": "bernd@example.com", "permissions": []any{"Invoices"}, "invitationExpiresAt": "in a week",
		}, "spec")).To(Succeed())
		expectInvalid(k8sClient.Create(ctx, m, client.DryRunAll), "spec.invitationExpiresAt", "")
	})
})
