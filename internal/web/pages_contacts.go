package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

var (
	canCreateContacts = check{Verb: "create", Resource: "contacts"}
	canUpdateContacts = check{Verb: "update", Resource: "contacts"}
	canDeleteContacts = check{Verb: "delete", Resource: "contacts"}
)

// contactFields maps the API's fields of a Contact to the form's inputs.
var contactFields = map[string]string{
	"metadata.name": "name", "spec.name": "name", "spec.organisation": "organization", "spec.street": "street",
	"spec.city": "city", "spec.stateProvince": "state", "spec.postalCode": "postalCode",
	"spec.countryCode": "countryCode", "spec.email": "email", "spec.phone": "phone", "spec.vatID": "vatID",
	"spec": "",
}

// contactsView is the list of contacts.
type contactsView struct {
	Contacts  []clientareav1alpha1.Contact
	CanCreate bool
}

// contactView is one contact's form: a new one (no Name) or an existing one.
type contactView struct {
	Name      string
	UsedBy    []clientareav1alpha1.ContactUse
	CanSave   bool
	CanDelete bool
}

// contacts lists the account's contacts, as the customer.
func (s *Server) contacts(req *accountRequest) {
	req.access.start(canCreateContacts)
	list := &clientareav1alpha1.ContactList{}
	if err := s.kube.List(req.ctx, list, client.InNamespace(req.account.Namespace)); err != nil {
		req.fail(err)
		return
	}
	slices.SortFunc(list.Items, func(a, b clientareav1alpha1.Contact) int {
		return strings.Compare(strings.ToLower(a.Spec.Name), strings.ToLower(b.Spec.Name))
	})
	req.render(http.StatusOK, "contacts", &page{Data: contactsView{Contacts: list.Items, CanCreate: req.access.can(canCreateContacts)}})
}

// newContact is the empty form.
func (s *Server) newContact(req *accountRequest) {
	f := newForm()
	f.set("return", req.localReturn(req.r.URL.Query().Get("return")))
	view := contactView{CanSave: req.access.can(canCreateContacts)}
	req.render(http.StatusOK, "contact", &page{Title: languageFrom(req.ctx).T("new_contact"), Form: f, Data: view})
}

// contact is one contact's form, filled in; read-only for a customer who
// may not change it.
func (s *Server) contact(req *accountRequest) {
	req.access.start(canUpdateContacts, canDeleteContacts)
	contact := &clientareav1alpha1.Contact{}
	if err := s.kube.Get(req.ctx, req.named(), contact); err != nil {
		req.fail(err)
		return
	}
	s.showContact(req, http.StatusOK, contact, contactForm(contact), nil)
}

func (s *Server) showContact(req *accountRequest, status int, contact *clientareav1alpha1.Contact, f *form, errs []fieldError) {
	view := contactView{
		Name: contact.Name, UsedBy: contact.Status.UsedBy,
		CanSave: req.access.can(canUpdateContacts), CanDelete: req.access.can(canDeleteContacts),
	}
	req.render(status, "contact", &page{Title: contact.Spec.Name, Form: f, Errors: errs, Data: view})
}

// createContact creates a contact from the form, as the customer.
func (s *Server) createContact(req *accountRequest) {
	f, err := readForm(req.w, req.r)
	if err != nil {
		req.fail(err)
		return
	}
	contact := &clientareav1alpha1.Contact{
		ObjectMeta: metav1.ObjectMeta{GenerateName: nameFor(f.Get("name"), "contact"), Namespace: req.account.Namespace},
		Spec:       contactDetails(f),
	}
	err = s.kube.Create(req.ctx, contact)
	if errs, ok := formErrors(err, contactFields); ok {
		view := contactView{CanSave: true}
		req.render(http.StatusUnprocessableEntity, "contact", &page{Title: languageFrom(req.ctx).T("new_contact"), Form: f, Errors: errs, Data: view})
		return
	}
	if err != nil {
		req.fail(err)
		return
	}
	target := req.localReturn(f.Get("return"))
	if target == "" {
		target = req.path("contacts")
	}
	req.redirect(target, "flash_contact_saved")
}

// updateContact saves the form over the contact, unless someone else
// changed it since the form was shown.
func (s *Server) updateContact(req *accountRequest) {
	f, err := readForm(req.w, req.r)
	if err != nil {
		req.fail(err)
		return
	}
	contact := &clientareav1alpha1.Contact{}
	if err := s.kube.Get(req.ctx, req.named(), contact); err != nil {
		req.fail(err)
		return
	}
	if !unchangedSince(f, contact) {
		req.redirect(req.path("contacts/"+contact.Name), "flash_changed_meanwhile")
		return
	}
	err = updateSpec(req.ctx, s.kube, contact, func() { contact.Spec = contactDetails(f) })
	if errs, ok := formErrors(err, contactFields); ok {
		s.showContact(req, http.StatusUnprocessableEntity, contact, f, errs)
		return
	}
	if apierrors.IsConflict(err) {
		req.redirect(req.path("contacts/"+contact.Name), "flash_changed_meanwhile")
		return
	}
	if err != nil {
		req.fail(err)
		return
	}
	req.redirect(req.path("contacts"), "flash_contact_saved")
}

// deleteContact deletes a contact that nothing uses (C3); one in use is
// shown again with who uses it.
func (s *Server) deleteContact(req *accountRequest) {
	contact := &clientareav1alpha1.Contact{}
	if err := s.kube.Get(req.ctx, req.named(), contact); err != nil {
		req.fail(err)
		return
	}
	if len(contact.Status.UsedBy) > 0 {
		errs := formError(languageFrom(req.ctx), "contact_in_use_no_delete")
		s.showContact(req, http.StatusConflict, contact, contactForm(contact), errs)
		return
	}
	precondition := client.Preconditions{UID: &contact.UID, ResourceVersion: &contact.ResourceVersion}
	err := s.kube.Delete(req.ctx, contact, precondition)
	if apierrors.IsConflict(err) {
		// It changed since it was read as unused: perhaps it is in use now.
		req.redirect(req.path("contacts/"+contact.Name), "flash_changed_meanwhile")
		return
	}
	if err != nil && !apierrors.IsNotFound(err) {
		req.fail(err)
		return
	}
	req.redirect(req.path("contacts"), "flash_contact_deleted")
}

// contactForm is a contact as the form shows it.
func contactForm(c *clientareav1alpha1.Contact) *form {
	f := newForm()
	f.set("generation", strconv.FormatInt(c.Generation, 10))
	f.set("name", c.Spec.Name)
	f.set("organization", c.Spec.Organisation)
	f.set("street", strings.Join(c.Spec.Street, "\n"))
	f.set("city", c.Spec.City)
	f.set("state", c.Spec.StateProvince)
	f.set("postalCode", c.Spec.PostalCode)
	f.set("countryCode", string(c.Spec.CountryCode))
	f.set("email", string(c.Spec.Email))
	f.set("phone", string(c.Spec.Phone))
	f.set("vatID", c.Spec.VATID)
	return f
}

// contactDetails is the form's contact. Country and VAT ID are upper-cased,
// as the API wants them; everything else the API server checks (C1).
func contactDetails(f *form) clientareav1alpha1.ContactDetails {
	return clientareav1alpha1.ContactDetails{
		Name:          f.Get("name"),
		Organisation:  f.Get("organization"),
		Street:        f.Lines("street"),
		City:          f.Get("city"),
		StateProvince: f.Get("state"),
		PostalCode:    f.Get("postalCode"),
		CountryCode:   clientareav1alpha1.CountryCode(strings.ToUpper(f.Get("countryCode"))),
		Email:         clientareav1alpha1.EmailAddress(f.Get("email")),
		Phone:         clientareav1alpha1.PhoneNumber(f.Get("phone")),
		VATID:         strings.ToUpper(strings.ReplaceAll(f.Get("vatID"), " ", "")),
	}
}

// named is the object of this account that the path's {name} names.
func (req *accountRequest) named() client.ObjectKey {
	return client.ObjectKey{Namespace: req.account.Namespace, Name: req.r.PathValue("name")}
}

// localReturn is a return path within this account, or "".
func (req *accountRequest) localReturn(p string) string {
	if p == "" {
		return ""
	}
	if p = safeReturn(p); strings.HasPrefix(p, req.path("")) {
		return p
	}
	return ""
}

// nameFor is a readable prefix for an object name made from a title, for
// the API server's generateName to complete.
func nameFor(title, fallback string) string {
	slug := strings.Trim(nonName.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if len(slug) > 40 {
		slug = strings.TrimRight(slug[:40], "-")
	}
	if slug == "" {
		slug = fallback
	}
	return slug + "-"
}
