package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

var (
	canCreateDomains = check{Verb: "create", Resource: "domains"}
	canUpdateDomains = check{Verb: "update", Resource: "domains"}
)

// authCodeKey is the key of the auth code in a domain's Secret (D5).
const authCodeKey = "authCode"

// domainFields maps the API's fields of a Domain to the form's inputs.
var domainFields = map[string]string{
	"metadata.name": "domainName", "spec.domainName": "domainName", "spec.holderRef": "holder",
	"spec.holderRef.name": "holder", "spec.nameServers": "nameServer", "spec.periodYears": "periodYears",
	"spec.autoRenew": "autoRenew", "spec": "",
}

// domainsView is the list of domains.
type domainsView struct {
	Domains   []clientareav1alpha1.Domain
	CanCreate bool
}

// newDomainView is the registration form, with the contacts to choose the
// holder from.
type newDomainView struct {
	Contacts         []clientareav1alpha1.Contact
	CanCreateContact bool
}

// domainView is one domain with its settings form.
type domainView struct {
	Domain    *clientareav1alpha1.Domain
	CanUpdate bool
	// AuthCode is the domain password, for who may read its Secret.
	AuthCode string
	// PasswordPending says a new password has been asked for and is not
	// set yet.
	PasswordPending bool
}

// domainName is a domain's name: as the operator reports it, else as asked.
func domainName(d *clientareav1alpha1.Domain) string {
	switch {
	case d.Status.DomainName != "":
		return d.Status.DomainName
	case d.Spec.DomainName != "":
		return string(d.Spec.DomainName)
	}
	return d.Name
}

// autoRenew is the domain's auto-renew, which defaults to on.
func autoRenew(d *clientareav1alpha1.Domain) bool { return ptr.Deref(d.Spec.AutoRenew, true) }

// domains lists the account's domains with holder, state and expiry (D6).
func (s *Server) domains(req *accountRequest) {
	req.access.start(canCreateDomains)
	list := &clientareav1alpha1.DomainList{}
	if err := s.kube.List(req.ctx, list, client.InNamespace(req.account.Namespace)); err != nil {
		req.fail(err)
		return
	}
	slices.SortFunc(list.Items, func(a, b clientareav1alpha1.Domain) int {
		return strings.Compare(domainName(&a), domainName(&b))
	})
	req.render(http.StatusOK, "domains", &page{Data: domainsView{Domains: list.Items, CanCreate: req.access.can(canCreateDomains)}})
}

// newDomain is the registration form.
func (s *Server) newDomain(req *accountRequest) {
	f := newForm()
	f.set("periodYears", "1")
	f.set("autoRenew", "on")
	s.showNewDomain(req, http.StatusOK, f, nil)
}

func (s *Server) showNewDomain(req *accountRequest, status int, f *form, errs []fieldError) {
	req.access.start(canCreateContacts)
	contacts := &clientareav1alpha1.ContactList{}
	if err := s.kube.List(req.ctx, contacts, client.InNamespace(req.account.Namespace)); err != nil {
		req.fail(err)
		return
	}
	view := newDomainView{Contacts: contacts.Items, CanCreateContact: req.access.can(canCreateContacts)}
	req.render(status, "domain_new", &page{Form: f, Errors: errs, Data: view})
}

// createDomain registers a domain (D1), as the customer. The name is the
// object's name too, so the account cannot hold one name twice.
func (s *Server) createDomain(req *accountRequest) {
	f, err := readForm(req.w, req.r)
	if err != nil {
		req.fail(err)
		return
	}
	years, err := strconv.ParseInt(f.Get("periodYears"), 10, 32)
	if err != nil {
		s.showNewDomain(req, http.StatusUnprocessableEntity, f, []fieldError{{Field: "periodYears", Message: languageFrom(req.ctx).T("not_a_number")}})
		return
	}
	name := strings.TrimSuffix(strings.ToLower(f.Get("domainName")), ".")
	domain := &clientareav1alpha1.Domain{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: req.account.Namespace},
		Spec: clientareav1alpha1.DomainSpec{
			DomainName:  clientareav1alpha1.DomainName(name),
			HolderRef:   clientareav1alpha1.LocalObjectReference{Name: clientareav1alpha1.ObjectName(f.Get("holder"))},
			PeriodYears: int32(years),
			AutoRenew:   ptr.To(f.Checked("autoRenew")),
			NameServers: nameServers(f),
		},
	}
	err = s.kube.Create(req.ctx, domain)
	if apierrors.IsAlreadyExists(err) {
		s.showNewDomain(req, http.StatusConflict, f, []fieldError{{Field: "domainName", Message: languageFrom(req.ctx).T("domain_exists")}})
		return
	}
	if errs, ok := formErrors(err, domainFields); ok {
		s.showNewDomain(req, http.StatusUnprocessableEntity, f, errs)
		return
	}
	if err != nil {
		req.fail(err)
		return
	}
	req.redirect(req.path("domains/"+domain.Name), "flash_domain_registered")
}

// nameServers is the form's name servers, lower-cased, as the API wants.
func nameServers(f *form) []clientareav1alpha1.DomainName {
	var servers []clientareav1alpha1.DomainName
	for _, ns := range f.List("nameServer") {
		servers = append(servers, clientareav1alpha1.DomainName(strings.TrimSuffix(strings.ToLower(ns), ".")))
	}
	return servers
}

// domain is one domain: its state and dates, its settings form for who
// may change it, and its auth code for who may read its Secret.
func (s *Server) domain(req *accountRequest) {
	req.access.start(canUpdateDomains)
	domain := &clientareav1alpha1.Domain{}
	if err := s.kube.Get(req.ctx, req.named(), domain); err != nil {
		req.fail(err)
		return
	}
	s.showDomain(req, http.StatusOK, domain, domainForm(domain), nil)
}

func (s *Server) showDomain(req *accountRequest, status int, d *clientareav1alpha1.Domain, f *form, errs []fieldError) {
	view := domainView{Domain: d, CanUpdate: req.access.can(canUpdateDomains), AuthCode: s.authCode(req, d),
		PasswordPending: d.Spec.LoginPasswordGeneration > d.Status.LoginPasswordGeneration}
	req.render(status, "domain", &page{Title: domainName(d), Form: f, Errors: errs, Data: view})
}

// authCode is the domain's auth code when the API server lets the customer
// read its Secret (D5); else nothing, and no error: not every customer may.
func (s *Server) authCode(req *accountRequest, d *clientareav1alpha1.Domain) string {
	name := d.Status.AuthCodeSecret
	if name == "" {
		return ""
	}
	// Reading it is the question: a refusal is the answer "not shown".
	secret := &corev1.Secret{}
	if err := s.kube.Get(req.ctx, client.ObjectKey{Namespace: d.Namespace, Name: name}, secret); err != nil {
		return ""
	}
	return string(secret.Data[authCodeKey])
}

// updateDomain saves name servers and auto-renew, unless someone else
// changed the domain since the form was shown.
func (s *Server) updateDomain(req *accountRequest) {
	f, err := readForm(req.w, req.r)
	if err != nil {
		req.fail(err)
		return
	}
	domain := &clientareav1alpha1.Domain{}
	if err := s.kube.Get(req.ctx, req.named(), domain); err != nil {
		req.fail(err)
		return
	}
	if !unchangedSince(f, domain) {
		req.redirect(req.path("domains/"+domain.Name), "flash_changed_meanwhile")
		return
	}
	err = updateSpec(req.ctx, s.kube, domain, func() {
		domain.Spec.NameServers = nameServers(f)
		domain.Spec.AutoRenew = ptr.To(f.Checked("autoRenew"))
	})
	if errs, ok := formErrors(err, domainFields); ok {
		s.showDomain(req, http.StatusUnprocessableEntity, domain, f, errs)
		return
	}
	if apierrors.IsConflict(err) {
		req.redirect(req.path("domains/"+domain.Name), "flash_changed_meanwhile")
		return
	}
	if err != nil {
		req.fail(err)
		return
	}
	req.redirect(req.path("domains/"+domain.Name), "flash_domain_saved")
}

// domainForm is a domain's settings as the form shows them.
func domainForm(d *clientareav1alpha1.Domain) *form {
	f := newForm()
	f.set("generation", strconv.FormatInt(d.Generation, 10))
	servers := make([]string, 0, len(d.Spec.NameServers))
	for _, ns := range d.Spec.NameServers {
		servers = append(servers, string(ns))
	}
	f.set("nameServer", servers...)
	if autoRenew(d) {
		f.set("autoRenew", "on")
	}
	return f
}

// newDomainPassword asks the operator for a new random domain password
// (D5, W7), as the customer: the next loginPasswordGeneration. The new
// password ends every open domain session of the domain.
func (s *Server) newDomainPassword(req *accountRequest) {
	if _, err := readForm(req.w, req.r); err != nil {
		req.fail(err)
		return
	}
	domain := &clientareav1alpha1.Domain{}
	if err := s.kube.Get(req.ctx, req.named(), domain); err != nil {
		req.fail(err)
		return
	}
	path := req.path("domains/" + domain.Name)
	if domain.Spec.LoginPasswordGeneration <= domain.Status.LoginPasswordGeneration {
		err := updateSpec(req.ctx, s.kube, domain, func() {
			domain.Spec.LoginPasswordGeneration = max(domain.Spec.LoginPasswordGeneration, domain.Status.LoginPasswordGeneration+1)
		})
		if apierrors.IsConflict(err) {
			req.redirect(path, "flash_changed_meanwhile")
			return
		}
		if err != nil {
			req.fail(err)
			return
		}
	}
	req.redirect(path, "flash_domain_password_new")
}
