package controller_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/fixtures"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

// The admission policy clientarea-domain-login (config/policies/domain-login.yaml).
var _ = Describe("Domain login admission policy", func() {
	It("D5, D7: a domain login changes only its domain's name servers; holder, period, auto-renew, domain name, finalizers, owner references and deletion are refused naming the field, and it never reaches another contact", func() {
		// A reseller: Herr Koch holds koch-bau.de, Frau Lenz lenz-design.de;
		// the reseller (the owner) and its member with Domains manage both.
		s := newMemberSetup()
		domainsMember := s.membership("domains", s.member.Name, clientareav1alpha1.PermissionDomains)
		create(domainsMember)
		herrKoch, frauLenz := holderContact(s.namespace, "herr-koch", "Herr Koch"), holderContact(s.namespace, "frau-lenz", "Frau Lenz")
		createAtOnce(herrKoch, frauLenz)
		koch := domainWithLogin(s.namespace, "koch-bau.de", herrKoch.Name)
		lenz := domainWithLogin(s.namespace, "lenz-design.de", frauLenz.Name)
		eventually(ready(domainsMember)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		owner, err := env.ClientAs(string(s.owner.Spec.Email))
		Expect(err).NotTo(HaveOccurred())
		member, err := env.ClientAs(string(s.member.Spec.Email))
		Expect(err).NotTo(HaveOccurred())

		By("the login acts with its own token from the TokenRequest API: no client certificate, no impersonation")
		loginSA := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: koch.Status.LoginServiceAccount}}
		login := tokenClient(loginSA)
		loginUser := "system:serviceaccount:" + s.namespace + ":" + loginSA.Name
		review := &authenticationv1.SelfSubjectReview{}
		Expect(login.Create(ctx, review)).To(Succeed())
		Expect(review.Status.UserInfo.Username).To(Equal(loginUser))

		// change edits koch-bau.de as c, by a merge patch: no optimistic
		// lock, so the operator's status writes meanwhile cause no conflict,
		// and the API server judges the whole resulting object.
		change := func(c client.Client, edit func(*clientareav1alpha1.Domain), opts ...client.PatchOption) error {
			current := &clientareav1alpha1.Domain{}
			Expect(c.Get(ctx, client.ObjectKeyFromObject(koch), current)).To(Succeed())
			changed := current.DeepCopy()
			edit(changed)
			return c.Patch(ctx, changed, client.MergeFrom(current), opts...)
		}
		repointHolder := func(d *clientareav1alpha1.Domain) {
			d.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(frauLenz.Name)
		}
		// testenv waits for the mutating policies only; a validating one
		// takes a moment to be in force too (a dry run changes nothing).
		eventually(func() error { return change(login, repointHolder, client.DryRunAll) }).Should(Satisfy(isForbidden))

		By("every change but the name servers is refused, naming the field and the owner")
		refused := []struct {
			field string
			edit  func(*clientareav1alpha1.Domain)
		}{
			{"spec.holderRef", repointHolder},
			{"spec.periodYears", func(d *clientareav1alpha1.Domain) { d.Spec.PeriodYears++ }},
			{"spec.autoRenew", func(d *clientareav1alpha1.Domain) { d.Spec.AutoRenew = ptr.To(!*d.Spec.AutoRenew) }},
			{"metadata.finalizers", func(d *clientareav1alpha1.Domain) { d.Finalizers = nil }},
			{"metadata.finalizers", func(d *clientareav1alpha1.Domain) { d.Finalizers = append(d.Finalizers, "example.com/keep-forever") }},
			{"metadata.ownerReferences", func(d *clientareav1alpha1.Domain) {
				d.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "gone", UID: "6b1d2b4e-0000-4000-8000-000000000001"}}
			}},
		}
		for _, r := range refused {
			err := change(login, r.edit)
			GinkgoWriter.Printf("%s: %v\n", r.field, err)
			Expect(err).To(And(Satisfy(isForbidden), MatchError(ContainSubstring(r.field)),
				MatchError(ContainSubstring("only the account's owner or its members with Domains"))), r.field)
		}
		// A domain is never renamed, by anyone: the Domain's own rule refuses
		// it before the policy is asked (which refuses it too, should that
		// rule ever go).
		Expect(change(login, func(d *clientareav1alpha1.Domain) { d.Spec.DomainName = "koch-bau.com" })).
			To(And(Satisfy(apierrors.IsInvalid), MatchError(ContainSubstring("spec.domainName"))))
		Expect(login.Status().Update(ctx, koch)).To(Satisfy(isForbidden), "the status is the operator's: the Role has no domains/status")

		By("deleting its domain is refused: by RBAC (the Role has no delete), and by the policy should a role ever allow it")
		Expect(login.Delete(ctx, koch)).To(Satisfy(isForbidden))
		widened := &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "test-widened-domain-login", Namespace: s.namespace},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{clientareav1alpha1.GroupVersion.Group}, Resources: []string{"domains"},
				ResourceNames: []string{koch.Name}, Verbs: []string{"delete"}}},
		}
		widenedBinding := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: widened.Name, Namespace: s.namespace},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: widened.Name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: loginSA.Name, Namespace: s.namespace}},
		}
		create(widened)
		create(widenedBinding)
		// A dry run: were it allowed, the domain would still be there.
		eventually(func() error { return login.Delete(ctx, koch, client.DryRunAll) }).Should(And(Satisfy(isForbidden),
			MatchError(ContainSubstring("a domain login cannot delete its domain")),
			MatchError(ContainSubstring("only the account's owner or its members with Domains may delete it"))))
		Expect(k8sClient.Delete(ctx, widenedBinding)).To(Succeed())
		Expect(k8sClient.Delete(ctx, widened)).To(Succeed())

		By("the name servers (with an annotation, as kubectl apply writes one) are the login's to change; a holder label it sets is set back")
		Expect(change(login, func(d *clientareav1alpha1.Domain) {
			d.Spec.NameServers = append(d.Spec.NameServers, "ns3.koch-bau.de")
			metav1.SetMetaDataAnnotation(&d.ObjectMeta, "example.com/note", "moved to our own name server")
			metav1.SetMetaDataLabel(&d.ObjectMeta, clientareav1alpha1.HolderLabel, frauLenz.Name)
		})).To(Succeed())

		By("after all attempts, the login still reaches its domain and its holder only")
		Expect(login.Get(ctx, client.ObjectKeyFromObject(frauLenz), &clientareav1alpha1.Contact{})).To(Satisfy(isForbidden), "another customer's contact")
		Expect(login.Get(ctx, client.ObjectKeyFromObject(lenz), &clientareav1alpha1.Domain{})).To(Satisfy(isForbidden), "another domain")
		Expect(login.Get(ctx, client.ObjectKeyFromObject(herrKoch), &clientareav1alpha1.Contact{})).To(Succeed(), "its holder")
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(koch), koch)).To(Succeed())
		Expect(koch.Spec.HolderRef.Name).To(Equal(clientareav1alpha1.ObjectName(herrKoch.Name)))
		Expect(koch.Labels).To(HaveKeyWithValue(clientareav1alpha1.HolderLabel, herrKoch.Name))
		Expect(koch.Spec.PeriodYears).To(Equal(int32(2)))
		Expect(koch.Spec.AutoRenew).To(Equal(ptr.To(true)))
		Expect(koch.Finalizers).To(ConsistOf("clientarea.dev/domain", "clientarea.dev/domain-login"))
		Expect(koch.OwnerReferences).To(BeEmpty())
		Expect(koch.Spec.NameServers).To(ContainElement(clientareav1alpha1.DomainName("ns3.koch-bau.de")))

		By("the policy touches no other identity: nobody else in the account can mint a login, and the owner and the Domains member change what the login cannot")
		for who, c := range map[string]client.Client{"owner": owner, "member with Domains": member, "domain login": login} {
			forged := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "domain-login-forged.de", Namespace: s.namespace}}
			Expect(c.Create(ctx, forged, client.DryRunAll)).To(Satisfy(isForbidden), "%s creates a ServiceAccount", who)
			Expect(c.SubResource("token").Create(ctx, loginSA, &authenticationv1.TokenRequest{})).To(Satisfy(isForbidden), "%s mints a login token", who)
		}
		Expect(change(owner, func(d *clientareav1alpha1.Domain) { d.Spec.PeriodYears = 3 })).To(Succeed())
		Expect(change(member, func(d *clientareav1alpha1.Domain) { d.Spec.AutoRenew = ptr.To(false) })).To(Succeed())

		By("D5: the owner re-points the holder; the login's read access follows to the new holder and leaves the old one")
		Expect(change(owner, repointHolder)).To(Succeed())
		eventually(func() error {
			return login.Get(ctx, client.ObjectKeyFromObject(frauLenz), &clientareav1alpha1.Contact{})
		}).Should(Succeed())
		Expect(login.Get(ctx, client.ObjectKeyFromObject(herrKoch), &clientareav1alpha1.Contact{})).To(Satisfy(isForbidden))

		By("the owner deletes the domain: the operator, whom the policy does not match, lets it go, and the login reaches nothing")
		Expect(owner.Delete(ctx, koch)).To(Succeed())
		eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(koch), koch) }).Should(Satisfy(isNotFound))
		// Forbidden once its binding is gone; Unauthorized once the API
		// server's token cache (10 s) has forgotten its ServiceAccount.
		eventually(func() error {
			return login.Get(ctx, client.ObjectKeyFromObject(frauLenz), &clientareav1alpha1.Contact{})
		}).Should(Or(Satisfy(isForbidden), Satisfy(apierrors.IsUnauthorized)))
	})

	It("D7: the domain-login policy names every field of a Domain's spec but nameServers, so that a field added later fails here until it is guarded", func() {
		policy, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "policies", "domain-login.yaml"))
		Expect(err).NotTo(HaveOccurred())
		spec := reflect.TypeFor[clientareav1alpha1.DomainSpec]()
		for i := range spec.NumField() {
			name, _, _ := strings.Cut(spec.Field(i).Tag.Get("json"), ",")
			if name == "nameServers" {
				continue
			}
			Expect(strings.Contains(string(policy), "object.spec."+name) || strings.Contains(string(policy), "object.spec.?"+name)).
				To(BeTrue(), "spec.%s is not compared in config/policies/domain-login.yaml: a domain login may change it", name)
		}
	})
})

// holderContact is a Contact with the given object name for a person.
func holderContact(namespace, name, person string) *clientareav1alpha1.Contact {
	contact := fixtures.Contact(namespace)
	contact.GenerateName, contact.Name = "", name
	contact.Spec.Name, contact.Spec.Organisation = person, ""
	contact.Spec.Email = clientareav1alpha1.EmailAddress(name + "@customer.example")
	return contact
}

// domainWithLogin registers the domain name, held by holder, and waits until
// it is Active and has its login (D5).
func domainWithLogin(namespace, name, holder string) *clientareav1alpha1.Domain {
	GinkgoHelper()
	domain := fixtures.Domain(namespace)
	domain.GenerateName, domain.Name = "", name
	domain.Spec.DomainName = clientareav1alpha1.DomainName(name)
	domain.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(holder)
	create(domain)
	eventually(stateOf(domain)).Should(Equal(clientareav1alpha1.DomainActive))
	eventually(condition(domain, func() []metav1.Condition { return domain.Status.Conditions }, clientareav1alpha1.DomainConditionLoginReady)).
		Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.DomainReasonLoginCreated))
	return domain
}

// tokenClient acts with a token that the API server issues for the
// ServiceAccount (TokenRequest), as `kubectl create token` does: a
// connection to the same server that carries that bearer token and nothing
// else (no client certificate, no impersonation).
func tokenClient(serviceAccount *corev1.ServiceAccount) client.Client {
	GinkgoHelper()
	request := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}
	Expect(k8sClient.SubResource("token").Create(ctx, serviceAccount, request)).To(Succeed())
	Expect(request.Status.Token).NotTo(BeEmpty())
	config := rest.AnonymousClientConfig(env.Config)
	config.BearerToken = request.Status.Token
	c, err := client.New(config, client.Options{Scheme: scheme.Scheme})
	Expect(err).NotTo(HaveOccurred())
	return c
}
