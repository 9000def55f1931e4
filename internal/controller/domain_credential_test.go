package controller_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/controller"
	"clientarea.dev/clientarea-operator/internal/domainpassword"
	"clientarea.dev/clientarea-operator/internal/fixtures"
	"clientarea.dev/clientarea-operator/internal/testenv"
)

// The domain login's password (D5, W7): the auth code in the login's
// Secret, its Argon2id hash in the DomainCredential named after the domain
// name, a new one when the account asks for it; and the client area's front
// end, which checks the password against the hash and then acts as the
// login, and reads no Secret.
var _ = Describe("Domain login password and the front end's domain sign-in", Ordered, func() {
	// web is the front end's own connection: its ServiceAccount's token.
	var web *rest.Config

	webClient := func(cfg *rest.Config) client.Client {
		GinkgoHelper()
		c, err := client.New(cfg, client.Options{Scheme: scheme.Scheme, Mapper: k8sClient.RESTMapper()})
		Expect(err).NotTo(HaveOccurred())
		return c
	}
	// webAsLogin is the front end acting as a ServiceAccount, as a signed-in
	// domain login: Impersonate-User only, no groups.
	webAsLogin := func(namespace, serviceAccount string) client.Client {
		GinkgoHelper()
		cfg := rest.CopyConfig(web)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + namespace + ":" + serviceAccount}
		return webClient(cfg)
	}

	BeforeAll(func() {
		By("the front end's ServiceAccount with its own token, and the ClusterRole and binding that config/web ships for the credentials")
		for _, file := range []string{"domain_credentials_role.yaml", "domain_credentials_role_binding.yaml"} {
			Expect(testenv.ApplyFile(ctx, k8sClient, filepath.Join(testenv.RepoRoot(), "config", "web", file))).To(Succeed())
		}
		Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: webNamespace}}))).To(Succeed())
		Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, &corev1.ServiceAccount{
			ObjectMeta: metav1.ObjectMeta{Name: webServiceAccount, Namespace: webNamespace}}))).To(Succeed())
		token, err := kubernetes.NewForConfigOrDie(env.Config).CoreV1().ServiceAccounts(webNamespace).CreateToken(ctx, webServiceAccount,
			&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
		Expect(err).NotTo(HaveOccurred())
		web = rest.AnonymousClientConfig(env.Config)
		web.BearerToken = token.Status.Token
	})

	It("D5, W7: the DomainCredential, named after the domain name, holds an Argon2id hash that verifies the auth code in the login's Secret", func() {
		s := newMemberSetup()
		holder := holderContact(s.namespace, "max-mustermann", "Max Mustermann")
		create(holder)
		domain := domainWithLogin(s.namespace, unique("mustermann")+".de", holder.Name)

		credential := credentialFor(domain)
		Expect(credential.Name).To(Equal(string(domain.Spec.DomainName)))
		Expect(credential.Spec.DomainName).To(Equal(domain.Spec.DomainName))
		Expect(credential.Spec.Namespace).To(Equal(s.namespace))
		Expect(credential.Spec.Domain).To(Equal(domain.Name))
		Expect(credential.Spec.DomainUID).To(BeEquivalentTo(domain.UID))
		Expect(credential.Spec.ServiceAccount).To(Equal(domain.Status.LoginServiceAccount))
		Expect(credential.Spec.PasswordHash).To(MatchRegexp(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`))
		Expect(credential.Spec.PasswordSetAt.IsZero()).To(BeFalse())
		Expect(domain.Status.LoginPasswordGeneration).To(BeZero())

		code := authCode(domain)
		Expect(len(code)).To(BeNumerically(">=", 16), "D5: at least 16 characters")
		Expect(credential.Spec.PasswordHash).NotTo(ContainSubstring(code))
		Expect(domainpassword.Verify(code, credential.Spec.PasswordHash)).To(BeTrue(), "the hash verifies the Secret's auth code")
		Expect(domainpassword.Verify(code+"x", credential.Spec.PasswordHash)).To(BeFalse())

		By("a cluster-scoped bookkeeping kind, not in the clientarea category")
		mapping, err := k8sClient.RESTMapper().RESTMapping(clientareav1alpha1.GroupVersion.WithKind("DomainCredential").GroupKind())
		Expect(err).NotTo(HaveOccurred())
		Expect(string(mapping.Scope.Name())).To(Equal("root"))
	})

	It("W7, D5: a domain login's password, which lets it sign in, is drawn only once the front end may act as the login", func() {
		s := newMemberSetup()
		holder := holderContact(s.namespace, "max-mustermann", "Max Mustermann")
		create(holder)
		domain := fixtures.Domain(s.namespace)
		domain.GenerateName, domain.Name = "", unique("mustermann")+".de"
		domain.Spec.DomainName = clientareav1alpha1.DomainName(domain.Name)
		domain.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(holder.Name)
		create(domain)
		login := "domain-login-" + domain.Name

		By("the moment its credential exists, the front end's Role names the login")
		Eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKey{Name: clientareav1alpha1.DomainCredentialName(domain.Name)}, &clientareav1alpha1.DomainCredential{})
		}).WithTimeout(30 * time.Second).WithPolling(10 * time.Millisecond).Should(Succeed())
		role := &rbacv1.Role{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: controller.WebDomainLoginsRole}, role)).To(Succeed())
		Expect(role.Rules).To(ContainElement(And(
			HaveField("Verbs", ConsistOf("impersonate:serviceaccount")), HaveField("ResourceNames", ContainElement(login)))))

		By("and the front end, acting as the login, reads its Domain")
		eventually(func() error {
			return webAsLogin(s.namespace, login).Get(ctx, client.ObjectKeyFromObject(domain), &clientareav1alpha1.Domain{})
		}).Should(Succeed())
	})

	It("D5, D7, W7: the owner and a member with Domains set a new password: a new code and hash, the old code verifies no more, passwordSetAt moves; the domain login cannot, nor can anyone lower it", func() {
		s := newMemberSetup()
		domainsUser := newUser("domains-"+unique("dc"), unique("domains")+"@agency.example")
		create(domainsUser)
		domainsMember := s.membership("domains", domainsUser.Name, clientareav1alpha1.PermissionDomains)
		create(domainsMember)
		holder := holderContact(s.namespace, "max-mustermann", "Max Mustermann")
		create(holder)
		domain := domainWithLogin(s.namespace, unique("mustermann")+".de", holder.Name)
		eventually(ready(domainsMember)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		owner, err := env.ClientAs(string(s.owner.Spec.Email))
		Expect(err).NotTo(HaveOccurred())
		member, err := env.ClientAs(string(domainsUser.Spec.Email))
		Expect(err).NotTo(HaveOccurred())
		login := tokenClient(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: domain.Status.LoginServiceAccount}})

		for i, c := range []client.Client{owner, member} {
			oldCode, oldCredential := authCode(domain), credentialFor(domain)
			Expect(setGeneration(c, domain, int32(i+1))).To(Succeed())
			eventually(func(g Gomega) int32 {
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain)).To(Succeed())
				return domain.Status.LoginPasswordGeneration
			}).Should(Equal(int32(i + 1)))
			newCode, newCredential := authCode(domain), credentialFor(domain)
			Expect(newCode).NotTo(Equal(oldCode), "a new code")
			Expect(newCredential.Spec.PasswordHash).NotTo(Equal(oldCredential.Spec.PasswordHash), "a new hash")
			Expect(domainpassword.Verify(newCode, newCredential.Spec.PasswordHash)).To(BeTrue())
			Expect(domainpassword.Verify(oldCode, newCredential.Spec.PasswordHash)).To(BeFalse(), "the old password signs in no more")
			Expect(newCredential.Spec.PasswordSetAt.After(oldCredential.Spec.PasswordSetAt.Time)).To(BeTrue(),
				"W7: passwordSetAt moves, which ends the open domain sessions")
			Expect(newCredential.UID).To(Equal(oldCredential.UID), "the same credential, updated")
		}

		By("D7: the domain login cannot ask for a new password")
		eventually(func() error { return setGeneration(login, domain, 3, client.DryRunAll) }).Should(Satisfy(isForbidden))
		err = setGeneration(login, domain, 3)
		Expect(err).To(And(Satisfy(isForbidden), MatchError(ContainSubstring("spec.loginPasswordGeneration")),
			MatchError(ContainSubstring("only the account's owner or its members with Domains"))))

		By("nobody lowers it")
		Expect(setGeneration(owner, domain, 1)).To(MatchError(ContainSubstring("spec.loginPasswordGeneration only increases")))
		Expect(setGeneration(k8sClient, domain, 0)).To(MatchError(ContainSubstring("only increases")))
	})

	It("D5: the owner and a member with Domains read the login's Secret, to see the domain password; an Invoices member cannot, and nobody lists Secrets", func() {
		s := newMemberSetup()
		invoices := s.membership("invoices", s.member.Name, clientareav1alpha1.PermissionInvoices)
		create(invoices)
		domainsUser := newUser("domains-"+unique("dc"), unique("domains")+"@agency.example")
		create(domainsUser)
		domainsMember := s.membership("domains", domainsUser.Name, clientareav1alpha1.PermissionDomains)
		create(domainsMember)
		holder := holderContact(s.namespace, "max-mustermann", "Max Mustermann")
		create(holder)
		domain := domainWithLogin(s.namespace, unique("mustermann")+".de", holder.Name)
		for _, m := range []*clientareav1alpha1.Membership{invoices, domainsMember} {
			eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		}
		key := client.ObjectKey{Namespace: s.namespace, Name: domain.Status.AuthCodeSecret}
		hash := credentialFor(domain).Spec.PasswordHash
		for _, email := range []clientareav1alpha1.EmailAddress{s.owner.Spec.Email, domainsUser.Spec.Email} {
			c, err := env.ClientAs(string(email))
			Expect(err).NotTo(HaveOccurred())
			secret := &corev1.Secret{}
			Expect(c.Get(ctx, key, secret)).To(Succeed(), "%s reads the login's Secret", email)
			Expect(domainpassword.Verify(string(secret.Data[controller.AuthCodeKey]), hash)).To(BeTrue())
			Expect(c.List(ctx, &corev1.SecretList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "%s lists Secrets", email)
		}
		member, err := env.ClientAs(string(s.member.Spec.Email))
		Expect(err).NotTo(HaveOccurred())
		Expect(member.Get(ctx, key, &corev1.Secret{})).To(Satisfy(isForbidden), "an Invoices member")
	})

	It("W7: killed at any write of a new password, the operator ends with a Secret and a credential that match, and records the generation", func() {
		s := newMemberSetup()
		holder := holderContact(s.namespace, "max-mustermann", "Max Mustermann")
		create(holder)

		By("a new login, dying after its Secret and before its credential: the Secret is made again")
		name := unique("mustermann") + ".de"
		crashed := crashWhen(func(verb string, obj client.Object) bool {
			_, ok := obj.(*clientareav1alpha1.DomainCredential)
			return ok && verb == "create" && obj.GetName() == name
		})
		domain := domainWithLogin(s.namespace, name, holder.Name)
		Expect(crashed()).To(BeTrue())
		eventually(matches(domain)).Should(Succeed())

		secretName, credentialName := domain.Status.AuthCodeSecret, string(domain.Spec.DomainName)
		var credentialWritten atomic.Bool
		for i, point := range []struct {
			name string
			dies func(verb string, obj client.Object) bool
		}{
			{"deleting the old Secret", func(verb string, obj client.Object) bool {
				_, ok := obj.(*corev1.Secret)
				return ok && verb == "delete" && obj.GetName() == secretName
			}},
			{"creating the new Secret", func(verb string, obj client.Object) bool {
				_, ok := obj.(*corev1.Secret)
				return ok && verb == "create" && obj.GetName() == secretName
			}},
			{"updating the credential", func(verb string, obj client.Object) bool {
				_, ok := obj.(*clientareav1alpha1.DomainCredential)
				return ok && verb == "update" && obj.GetName() == credentialName
			}},
			{"recording the generation, after the credential", func(verb string, obj client.Object) bool {
				if _, ok := obj.(*clientareav1alpha1.DomainCredential); ok && verb == "update" && obj.GetName() == credentialName {
					credentialWritten.Store(true)
					return false
				}
				_, ok := obj.(*clientareav1alpha1.Domain)
				return ok && verb == "patch status" && obj.GetName() == domain.Name && credentialWritten.Load()
			}},
		} {
			By("dying at " + point.name)
			crashed := crashWhen(point.dies)
			Expect(setGeneration(k8sClient, domain, int32(i+1))).To(Succeed())
			eventually(crashed).Should(BeTrue())
			eventually(func(g Gomega) {
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain)).To(Succeed())
				g.Expect(domain.Status.LoginPasswordGeneration).To(Equal(int32(i + 1)))
				secret := &corev1.Secret{}
				g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: secretName}, secret)).To(Succeed())
				credential := &clientareav1alpha1.DomainCredential{}
				g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: credentialName}, credential)).To(Succeed())
				g.Expect(domainpassword.Verify(string(secret.Data[controller.AuthCodeKey]), credential.Spec.PasswordHash)).To(BeTrue())
			}).Should(Succeed(), point.name)
		}
	})

	It("D5, W7: a login without a credential of its own (made before credentials, deleted by hand, or an earlier Domain's of the same name) gets a new password, since the operator cannot read the old one", func() {
		s := newMemberSetup()
		holder := holderContact(s.namespace, "max-mustermann", "Max Mustermann")
		create(holder)

		By("an earlier Domain's credential of the same name is replaced")
		name := unique("mustermann") + ".de"
		stale := &clientareav1alpha1.DomainCredential{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: clientareav1alpha1.DomainCredentialSpec{DomainName: clientareav1alpha1.DomainName(name), Namespace: s.namespace, Domain: name,
				DomainUID: "6b1d2b4e-0000-4000-8000-000000000001", ServiceAccount: "domain-login-" + name,
				PasswordHash: "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", PasswordSetAt: metav1.Now()},
		}
		// Not deleted when the test ends: the operator replaces it, and the
		// Domain's deletion deletes its replacement.
		Expect(k8sClient.Create(ctx, stale)).To(Succeed())
		domain := domainWithLogin(s.namespace, name, holder.Name)
		eventually(func() string { return credentialFor(domain).Spec.DomainUID }).Should(BeEquivalentTo(domain.UID))
		eventually(matches(domain)).Should(Succeed())

		By("a credential deleted by hand, as for a login made before credentials existed: a new Secret and a new credential")
		oldCode, old := authCode(domain), credentialFor(domain)
		Expect(k8sClient.Delete(ctx, old)).To(Succeed())
		eventually(func() bool {
			credential := &clientareav1alpha1.DomainCredential{}
			return k8sClient.Get(ctx, client.ObjectKeyFromObject(old), credential) == nil && credential.UID != old.UID
		}).Should(BeTrue())
		eventually(matches(domain)).Should(Succeed())
		Expect(authCode(domain)).NotTo(Equal(oldCode))
	})

	It("D5, W7: the front end's ServiceAccount, with its own token, acts as a domain login: reads and changes that domain's name servers and reads its holder; no other domain, contact, invoice or member, no other ServiceAccount and no other account's login", func() {
		s := newMemberSetup()
		herrKoch, frauLenz := holderContact(s.namespace, "herr-koch", "Herr Koch"), holderContact(s.namespace, "frau-lenz", "Frau Lenz")
		createAtOnce(herrKoch, frauLenz)
		koch := domainWithLogin(s.namespace, unique("koch-bau")+".de", herrKoch.Name)
		lenz := domainWithLogin(s.namespace, unique("lenz-design")+".de", frauLenz.Name)
		other := newMemberSetup()
		otherHolder := holderContact(other.namespace, "max-mustermann", "Max Mustermann")
		create(otherHolder)
		otherDomain := domainWithLogin(other.namespace, unique("mustermann")+".de", otherHolder.Name)

		By("the namespace's Role names exactly its logins, and binds the front end's ServiceAccount")
		role, binding := &rbacv1.Role{}, &rbacv1.RoleBinding{}
		eventually(func(g Gomega) []rbacv1.PolicyRule {
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: controller.WebDomainLoginsRole}, role)).To(Succeed())
			return role.Rules
		}).Should(Equal(controller.WebDomainLoginRules(controller.WebDomainLogins{
			ServiceAccounts: sortedStrings(koch.Status.LoginServiceAccount, lenz.Status.LoginServiceAccount),
			Secrets:         sortedStrings(koch.Status.AuthCodeSecret, lenz.Status.AuthCodeSecret)})))
		Expect(role.Rules[0]).To(Equal(rbacv1.PolicyRule{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"serviceaccounts"},
			Verbs: []string{"impersonate:serviceaccount"}, ResourceNames: sortedStrings(koch.Status.LoginServiceAccount, lenz.Status.LoginServiceAccount)}))
		eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: controller.WebDomainLoginsRole}, binding)
		}).Should(Succeed())
		Expect(binding.RoleRef).To(Equal(rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: controller.WebDomainLoginsRole}))
		Expect(binding.Subjects).To(Equal([]rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: webServiceAccount, Namespace: webNamespace}}))

		By("as the login, the front end reads its Domain and holder, and changes the name servers")
		asKoch := webAsLogin(s.namespace, koch.Status.LoginServiceAccount)
		eventually(func() error { return asKoch.Get(ctx, client.ObjectKeyFromObject(koch), &clientareav1alpha1.Domain{}) }).Should(Succeed())
		Expect(asKoch.Get(ctx, client.ObjectKeyFromObject(herrKoch), &clientareav1alpha1.Contact{})).To(Succeed(), "its holder")
		current := &clientareav1alpha1.Domain{}
		Expect(asKoch.Get(ctx, client.ObjectKeyFromObject(koch), current)).To(Succeed())
		changed := current.DeepCopy()
		changed.Spec.NameServers = []clientareav1alpha1.DomainName{"ns1.koch-bau.example", "ns2.koch-bau.example"}
		Expect(asKoch.Patch(ctx, changed, client.MergeFrom(current))).To(Succeed(), "patch")
		// An update carries the resourceVersion read: the operator's status
		// writes meanwhile make it conflict, and it is tried again.
		eventually(func() error {
			if err := asKoch.Get(ctx, client.ObjectKeyFromObject(koch), current); err != nil {
				return err
			}
			current.Spec.NameServers = []clientareav1alpha1.DomainName{"ns1.koch-bau.example", "ns2.koch-bau.example", "ns3.koch-bau.example"}
			return asKoch.Update(ctx, current)
		}).Should(Succeed(), "update")

		By("D7: and nothing else of it, the policy naming the field")
		Expect(asKoch.Get(ctx, client.ObjectKeyFromObject(koch), current)).To(Succeed())
		changed = current.DeepCopy()
		changed.Spec.HolderRef.Name = clientareav1alpha1.ObjectName(frauLenz.Name)
		Expect(asKoch.Patch(ctx, changed, client.MergeFrom(current))).To(And(Satisfy(isForbidden), MatchError(ContainSubstring("spec.holderRef"))))
		Expect(setGeneration(asKoch, koch, 1)).To(And(Satisfy(isForbidden), MatchError(ContainSubstring("spec.loginPasswordGeneration"))))

		By("D5: no other domain, contact, invoice, member or Secret")
		Expect(asKoch.Get(ctx, client.ObjectKeyFromObject(lenz), &clientareav1alpha1.Domain{})).To(Satisfy(isForbidden), "another domain")
		Expect(asKoch.Get(ctx, client.ObjectKeyFromObject(frauLenz), &clientareav1alpha1.Contact{})).To(Satisfy(isForbidden), "a contact other than its holder")
		Expect(asKoch.List(ctx, &clientareav1alpha1.DomainList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "the list of domains")
		Expect(asKoch.List(ctx, &clientareav1alpha1.ContactList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "the list of contacts")
		Expect(asKoch.List(ctx, &clientareav1alpha1.InvoiceList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "invoices")
		Expect(asKoch.List(ctx, &clientareav1alpha1.MembershipList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "members")
		Expect(asKoch.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: koch.Status.AuthCodeSecret}, &corev1.Secret{})).
			To(Satisfy(isForbidden), "its own Secret")
		Expect(asKoch.Delete(ctx, koch, client.DryRunAll)).To(Satisfy(isForbidden), "deleting its domain")

		By("W3: no other ServiceAccount, no login of another account, and no groups")
		refusedImpersonation := And(Satisfy(isForbidden), MatchError(ContainSubstring("impersonate")))
		for _, sa := range []string{"default", controller.OperatorNamespaceClusterRole, "domain-login-unknown.de"} {
			Expect(webAsLogin(s.namespace, sa).Get(ctx, client.ObjectKeyFromObject(koch), &clientareav1alpha1.Domain{})).
				To(refusedImpersonation, "impersonating %s", sa)
		}
		Expect(webAsLogin(s.namespace, otherDomain.Status.LoginServiceAccount).Get(ctx, client.ObjectKeyFromObject(koch),
			&clientareav1alpha1.Domain{})).To(refusedImpersonation, "another account's login's name in this namespace")
		Expect(webAsLogin(other.namespace, koch.Status.LoginServiceAccount).Get(ctx, client.ObjectKeyFromObject(otherDomain),
			&clientareav1alpha1.Domain{})).To(refusedImpersonation, "this login's name in another account's namespace")
		for _, namespace := range []string{"default", webNamespace, "kube-system"} {
			Expect(webAsLogin(namespace, koch.Status.LoginServiceAccount).Get(ctx, client.ObjectKeyFromObject(koch),
				&clientareav1alpha1.Domain{})).To(refusedImpersonation, "a login's name in namespace %s", namespace)
		}
		By("each account's logins through that account's Role: the other account's login, in its own namespace only")
		asOther := webAsLogin(other.namespace, otherDomain.Status.LoginServiceAccount)
		eventually(func() error {
			return asOther.Get(ctx, client.ObjectKeyFromObject(otherDomain), &clientareav1alpha1.Domain{})
		}).Should(Succeed())
		Expect(asOther.Get(ctx, client.ObjectKeyFromObject(koch), &clientareav1alpha1.Domain{})).To(Satisfy(isForbidden), "a domain of another account")
		Expect(webAsLogin(webNamespace, webServiceAccount).Get(ctx, client.ObjectKeyFromObject(koch), &clientareav1alpha1.Domain{})).
			To(refusedImpersonation, "itself")
		withGroups := rest.CopyConfig(web)
		withGroups.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + s.namespace + ":" + koch.Status.LoginServiceAccount,
			Groups: []string{"system:masters"}}
		Expect(webClient(withGroups).Get(ctx, client.ObjectKeyFromObject(koch), &clientareav1alpha1.Domain{})).To(Satisfy(isForbidden), "with a group")
		legacy := rest.CopyConfig(web)
		legacy.Impersonate = rest.ImpersonationConfig{UserName: koch.Status.LoginServiceAccount}
		Expect(webClient(legacy).Get(ctx, client.ObjectKeyFromObject(koch), &clientareav1alpha1.Domain{})).To(Satisfy(isForbidden), "a bare user name")

		By("D5: the domain goes: its credential and its name in the Role go with it, and the front end can no longer act as it")
		Expect(k8sClient.Delete(ctx, koch)).To(Succeed())
		eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKey{Name: string(koch.Spec.DomainName)}, &clientareav1alpha1.DomainCredential{})
		}).Should(Satisfy(isNotFound))
		eventually(func(g Gomega) []rbacv1.PolicyRule {
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: controller.WebDomainLoginsRole}, role)).To(Succeed())
			return role.Rules
		}).Should(Equal(controller.WebDomainLoginRules(controller.WebDomainLogins{
			ServiceAccounts: []string{lenz.Status.LoginServiceAccount}, Secrets: []string{lenz.Status.AuthCodeSecret}})))
		Expect(asKoch.Get(ctx, client.ObjectKeyFromObject(herrKoch), &clientareav1alpha1.Contact{})).To(Satisfy(isForbidden))

		By("the last login goes: the Role and its binding go (a rule without names would allow every ServiceAccount)")
		Expect(k8sClient.Delete(ctx, lenz)).To(Succeed())
		for _, obj := range []client.Object{&rbacv1.Role{}, &rbacv1.RoleBinding{}} {
			eventually(func() error {
				return k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: controller.WebDomainLoginsRole}, obj)
			}).Should(Satisfy(isNotFound))
		}
		Expect(controller.WebDomainLoginRules(controller.WebDomainLogins{})).To(BeEmpty())
		Expect(controller.WebDomainLoginRules(controller.WebDomainLogins{Secrets: []string{lenz.Status.AuthCodeSecret}})).To(BeEmpty())
		Expect(controller.WebDomainLoginRules(controller.WebDomainLogins{ServiceAccounts: []string{lenz.Status.LoginServiceAccount}})).
			NotTo(ContainElement(HaveField("Resources", []string{"secrets"})), "no Secret rule without Secret names: it would allow every Secret")
	})

	It("W7, W3: the front end's ServiceAccount, with its own token, gets a DomainCredential by name, cannot list or change them, and reads no Secret of an account namespace", func() {
		s := newMemberSetup()
		holder := holderContact(s.namespace, "max-mustermann", "Max Mustermann")
		create(holder)
		domain := domainWithLogin(s.namespace, unique("mustermann")+".de", holder.Name)
		itself := webClient(web)

		credential := &clientareav1alpha1.DomainCredential{}
		eventually(func() error {
			return itself.Get(ctx, client.ObjectKey{Name: clientareav1alpha1.DomainCredentialName(string(domain.Spec.DomainName))}, credential)
		}).Should(Succeed())
		Expect(domainpassword.Verify(authCode(domain), credential.Spec.PasswordHash)).To(BeTrue(), "what the sign-in page checks")
		Expect(itself.List(ctx, &clientareav1alpha1.DomainCredentialList{})).To(Satisfy(isForbidden), "list")
		changed := credential.DeepCopy()
		changed.Spec.PasswordHash = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
		Expect(itself.Update(ctx, changed, client.DryRunAll)).To(Satisfy(isForbidden), "update")
		Expect(itself.Delete(ctx, credential, client.DryRunAll)).To(Satisfy(isForbidden), "delete")

		key := client.ObjectKey{Namespace: s.namespace, Name: domain.Status.AuthCodeSecret}
		Expect(itself.Get(ctx, key, &corev1.Secret{})).To(Satisfy(isForbidden), "the login's Secret")
		Expect(itself.List(ctx, &corev1.SecretList{}, client.InNamespace(s.namespace))).To(Satisfy(isForbidden), "the Secrets of the account")
		Expect(itself.List(ctx, &corev1.SecretList{})).To(Satisfy(isForbidden), "the Secrets of the cluster")
		Expect(itself.Get(ctx, client.ObjectKeyFromObject(domain), &clientareav1alpha1.Domain{})).To(Satisfy(isForbidden), "the Domain, as itself")
		Expect(webAsLogin(s.namespace, domain.Status.LoginServiceAccount).Get(ctx, key, &corev1.Secret{})).
			To(Satisfy(isForbidden), "the Secret, as the login")
	})

	It("G4: a restarted operator draws no new password and rewrites no credential or Role", func() {
		s := newMemberSetup()
		holder := holderContact(s.namespace, "max-mustermann", "Max Mustermann")
		create(holder)
		domain := domainWithLogin(s.namespace, unique("mustermann")+".de", holder.Name)
		Expect(setGeneration(k8sClient, domain, 1)).To(Succeed())
		eventually(func(g Gomega) int32 {
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(domain), domain)).To(Succeed())
			return domain.Status.LoginPasswordGeneration
		}).Should(Equal(int32(1)))
		eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: controller.WebDomainLoginsRole}, &rbacv1.RoleBinding{})
		}).Should(Succeed())
		waitForQuiet()
		code, credential := authCode(domain), credentialFor(domain)

		restartCtx, stop := context.WithCancel(ctx)
		var restartWrites atomic.Int64
		wait := startOperator(restartCtx, &restartWrites)
		DeferCleanup(func() { stop(); wait() })
		Consistently(func() int64 { return restartWrites.Load() }).
			WithTimeout(5 * time.Second).WithPolling(250 * time.Millisecond).Should(BeZero())
		Expect(authCode(domain)).To(Equal(code))
		Expect(credentialFor(domain).ResourceVersion).To(Equal(credential.ResourceVersion))
	})

	It("W7, D5: the front end's ServiceAccount, with its own token, acting as the owner or a member with Domains, gets exactly the domain logins' Secrets; no other Secret, no list, and an Invoices member is refused by its own RBAC", func() {
		By("the shipped impersonator role, bound to the front end's ServiceAccount as config/web binds it")
		Expect(testenv.ApplyFile(ctx, k8sClient, filepath.Join(testenv.RepoRoot(), "config", "web", "impersonator_role.yaml"))).To(Succeed())
		create(&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: unique("test-clientarea-web")},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: controller.WebImpersonatorClusterRole},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: webServiceAccount, Namespace: webNamespace}},
		})
		// webAs is the front end acting for a signed-in customer, as
		// internal/web does: Impersonate-User only, no groups.
		webAs := func(email clientareav1alpha1.EmailAddress) client.Client {
			GinkgoHelper()
			cfg := rest.CopyConfig(web)
			cfg.Impersonate = rest.ImpersonationConfig{UserName: string(email)}
			return webClient(cfg)
		}

		s := newMemberSetup()
		invoices := s.membership("invoices", s.member.Name, clientareav1alpha1.PermissionInvoices)
		create(invoices)
		domainsUser := newUser("domains-"+unique("dc"), unique("domains")+"@agency.example")
		create(domainsUser)
		domainsMember := s.membership("domains", domainsUser.Name, clientareav1alpha1.PermissionDomains)
		create(domainsMember)
		holder := holderContact(s.namespace, "max-mustermann", "Max Mustermann")
		create(holder)
		domain := domainWithLogin(s.namespace, unique("mustermann")+".de", holder.Name)
		for _, m := range []*clientareav1alpha1.Membership{invoices, domainsMember} {
			eventually(ready(m)).Should(haveStatus(metav1.ConditionTrue, clientareav1alpha1.MembershipReasonGranted))
		}
		other := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "other-" + unique("secret"), Namespace: s.namespace},
			StringData: map[string]string{"token": "not for the front end"}}
		create(other)

		By("the namespace's Role names the login's Secret for impersonate-on:user-info:get, and nothing else of core")
		role := &rbacv1.Role{}
		eventually(func(g Gomega) []rbacv1.PolicyRule {
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: controller.WebDomainLoginsRole}, role)).To(Succeed())
			return role.Rules
		}).Should(ContainElement(rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"},
			Verbs: []string{"impersonate-on:user-info:get"}, ResourceNames: []string{domain.Status.AuthCodeSecret}}))
		Expect(role.Rules).To(Equal(controller.WebDomainLoginRules(controller.WebDomainLogins{
			ServiceAccounts: []string{domain.Status.LoginServiceAccount}, Secrets: []string{domain.Status.AuthCodeSecret}})))

		By("as the owner and as a member with Domains, the front end reads the domain password")
		key := client.ObjectKey{Namespace: s.namespace, Name: domain.Status.AuthCodeSecret}
		hash := credentialFor(domain).Spec.PasswordHash
		for _, email := range []clientareav1alpha1.EmailAddress{s.owner.Spec.Email, domainsUser.Spec.Email} {
			asCustomer := webAs(email)
			secret := &corev1.Secret{}
			eventually(func() error { return asCustomer.Get(ctx, key, secret) }).Should(Succeed(), "%s, through the front end", email)
			Expect(domainpassword.Verify(string(secret.Data[controller.AuthCodeKey]), hash)).To(BeTrue())

			By("no other Secret, and no list: the front end's constraint refuses them")
			Expect(asCustomer.Get(ctx, client.ObjectKeyFromObject(other), &corev1.Secret{})).
				To(And(Satisfy(isForbidden), MatchError(ContainSubstring("impersonate-on:user-info:get"))), "another Secret, as %s", email)
			Expect(asCustomer.List(ctx, &corev1.SecretList{}, client.InNamespace(s.namespace))).
				To(And(Satisfy(isForbidden), MatchError(ContainSubstring("impersonate-on:user-info:list"))), "list, as %s", email)
			Expect(asCustomer.Delete(ctx, secret, client.DryRunAll)).To(Satisfy(isForbidden), "delete, as %s", email)
		}

		By("an Invoices member: the front end may act for it, and its own RBAC refuses the Secret")
		asInvoices := webAs(s.member.Spec.Email)
		Expect(asInvoices.List(ctx, &clientareav1alpha1.InvoiceList{}, client.InNamespace(s.namespace))).To(Succeed(), "its own rights")
		err := asInvoices.Get(ctx, key, &corev1.Secret{})
		Expect(err).To(And(Satisfy(isForbidden), MatchError(ContainSubstring(string(s.member.Spec.Email)))), "an Invoices member")
		Expect(err).NotTo(MatchError(ContainSubstring("impersonate-on")), "refused by the member's RBAC, not by the front end's constraint")

		By("as itself, the front end still reads no Secret")
		Expect(webClient(web).Get(ctx, key, &corev1.Secret{})).To(Satisfy(isForbidden))
	})

	It("G3, D5, W7: the operator writes the Role and RoleBinding clientarea-web-domain-logins only in their shapes, though it holds `escalate` and `bind` on that name", func() {
		operator, err := env.ClientAs(testenv.OperatorUser, testenv.OperatorGroups...)
		Expect(err).NotTo(HaveOccurred())
		refused := func(err error) bool {
			return isForbidden(err) && strings.Contains(err.Error(), "clientarea-web-domain-logins-role")
		}
		s := newMemberSetup()

		By("creating the Role with a rule beyond its shapes (one the operator holds, so RBAC alone would let it through)")
		extraOnCreate := rbacv1.PolicyRule{APIGroups: []string{"clientarea.dev"}, Resources: []string{"domains"}, Verbs: []string{"list"}}
		newRole := func(rules ...rbacv1.PolicyRule) *rbacv1.Role {
			return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: controller.WebDomainLoginsRole, Namespace: s.namespace}, Rules: rules}
		}
		// testenv waits for the mutating policies only; a validating one
		// takes a moment to be in force too (a dry run changes nothing).
		eventually(func() error { return operator.Create(ctx, newRole(extraOnCreate), client.DryRunAll) }).Should(Satisfy(refused))
		Expect(operator.Create(ctx, newRole(extraOnCreate), client.DryRunAll)).
			To(MatchError(ContainSubstring("the clientarea operator may only let the front end impersonate the domain logins")))
		Expect(operator.Create(ctx, newRole(), client.DryRunAll)).To(Succeed(), "without rules, as the operator creates it")

		By("the RoleBinding binds only that Role, for one ServiceAccount (the operator holds `bind` on the account ClusterRoles too)")
		newBinding := func(roleRef rbacv1.RoleRef, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
			return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: controller.WebDomainLoginsRole, Namespace: s.namespace},
				RoleRef: roleRef, Subjects: subjects}
		}
		ownRole := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: controller.WebDomainLoginsRole}
		frontEnd := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: webServiceAccount, Namespace: webNamespace}
		for name, b := range map[string]*rbacv1.RoleBinding{
			"an account's ClusterRole": newBinding(rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "clientarea-owner"}, frontEnd),
			"a user":                   newBinding(ownRole, rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "someone@example.com"}),
			"a group":                  newBinding(ownRole, rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:authenticated"}),
			"a second subject":         newBinding(ownRole, frontEnd, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: "default", Namespace: s.namespace}),
		} {
			Expect(operator.Create(ctx, b, client.DryRunAll)).To(And(Satisfy(refused),
				MatchError(ContainSubstring("binds only the Role clientarea-web-domain-logins, for one ServiceAccount"))), name)
		}
		Expect(operator.Create(ctx, newBinding(ownRole, frontEnd), client.DryRunAll)).To(Succeed(), "the operator's own shape")

		By("the Role the operator keeps is accepted; any rule beyond it, which `escalate` lets RBAC pass, is refused")
		holder := holderContact(s.namespace, "max-mustermann", "Max Mustermann")
		create(holder)
		domain := domainWithLogin(s.namespace, unique("mustermann")+".de", holder.Name)
		role := &rbacv1.Role{}
		eventually(func(g Gomega) []rbacv1.PolicyRule {
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: controller.WebDomainLoginsRole}, role)).To(Succeed())
			return role.Rules
		}).Should(Equal(controller.WebDomainLoginRules(controller.WebDomainLogins{
			ServiceAccounts: []string{domain.Status.LoginServiceAccount}, Secrets: []string{domain.Status.AuthCodeSecret}})))
		Expect(operator.Update(ctx, role.DeepCopy(), client.DryRunAll)).To(Succeed(), "the operator's own shape")
		for _, extra := range []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}},
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}, ResourceNames: []string{domain.Status.AuthCodeSecret}},
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"impersonate-on:user-info:get"}},
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"impersonate-on:user-info:list"}, ResourceNames: []string{domain.Status.AuthCodeSecret}},
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"impersonate-on:user-info:get"}, ResourceNames: []string{"other"}},
			{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate:serviceaccount"}},
			{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate:serviceaccount"}, ResourceNames: []string{"default"}},
			{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"users"}, Verbs: []string{"impersonate:user-info"}},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"domains"}, Verbs: []string{"impersonate-on:serviceaccount:delete"}},
			{APIGroups: []string{"clientarea.dev"}, Resources: []string{"invoices"}, Verbs: []string{"impersonate-on:serviceaccount:get"}},
			{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
		} {
			changed := role.DeepCopy()
			changed.Rules = append(changed.Rules, extra)
			Expect(operator.Update(ctx, changed, client.DryRunAll)).To(Satisfy(refused), "%v", extra)
		}
		kept := &rbacv1.RoleBinding{}
		eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: controller.WebDomainLoginsRole}, kept)
		}).Should(Succeed())
		Expect(operator.Update(ctx, kept, client.DryRunAll)).To(Succeed(), "the RoleBinding the operator keeps")

	})
})

// credentialFor reads the DomainCredential of a domain, as an administrator.
func credentialFor(domain *clientareav1alpha1.Domain) *clientareav1alpha1.DomainCredential {
	GinkgoHelper()
	credential := &clientareav1alpha1.DomainCredential{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Name: clientareav1alpha1.DomainCredentialName(string(domain.Spec.DomainName))}, credential)).To(Succeed())
	return credential
}

// authCode reads the domain password from the login's Secret, as an
// administrator (the operator never reads it).
func authCode(domain *clientareav1alpha1.Domain) string {
	GinkgoHelper()
	secret := &corev1.Secret{}
	Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: domain.Namespace, Name: domain.Status.AuthCodeSecret}, secret)).To(Succeed())
	return string(secret.Data[controller.AuthCodeKey])
}

// matches checks that the domain's credential verifies the code in its
// Secret and belongs to the Domain.
func matches(domain *clientareav1alpha1.Domain) func(Gomega) {
	return func(g Gomega) {
		secret := &corev1.Secret{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: domain.Namespace, Name: domain.Status.AuthCodeSecret}, secret)).To(Succeed())
		credential := &clientareav1alpha1.DomainCredential{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: string(domain.Spec.DomainName)}, credential)).To(Succeed())
		g.Expect(credential.Spec.DomainUID).To(BeEquivalentTo(domain.UID))
		g.Expect(domainpassword.Verify(string(secret.Data[controller.AuthCodeKey]), credential.Spec.PasswordHash)).To(BeTrue())
	}
}

// setGeneration sets spec.loginPasswordGeneration of the domain as c, by a
// merge patch (no optimistic lock: the operator's status writes meanwhile
// cause no conflict).
func setGeneration(c client.Client, domain *clientareav1alpha1.Domain, generation int32, opts ...client.PatchOption) error {
	current := &clientareav1alpha1.Domain{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(domain), current); err != nil {
		return err
	}
	changed := current.DeepCopy()
	changed.Spec.LoginPasswordGeneration = generation
	return c.Patch(ctx, changed, client.MergeFrom(current), opts...)
}

func sortedStrings(values ...string) []string {
	out := append([]string(nil), values...)
	slices.Sort(out)
	return out
}
