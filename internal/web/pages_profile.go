package web

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// accountFields maps the API's fields of an Account to the profile form's
// inputs: the account holder's contact has the contact form's inputs.
var accountFields = map[string]string{
	"spec": "", "spec.displayName": "displayName", "spec.contact": "",
	"spec.contact.name": "name", "spec.contact.organisation": "organization", "spec.contact.street": "street",
	"spec.contact.city": "city", "spec.contact.stateProvince": "state", "spec.contact.postalCode": "postalCode",
	"spec.contact.countryCode": "countryCode", "spec.contact.email": "email", "spec.contact.phone": "phone",
	"spec.contact.vatID": "vatID", "spec.billingContactRef": "billingContact",
	"spec.billingContactRef.name": "billingContact", "spec.billingContactRef.account": "billingContact",
}

// recipientOption is one Contact that may receive the account's invoices.
type recipientOption struct {
	// Value is the form's value: <account>/<contact>.
	Value string
	Label string
}

// recipientGroup is the Contacts of one account the customer owns.
type recipientGroup struct {
	Title   string
	This    bool // the account of the profile
	Options []recipientOption
}

// billingView is where the account's invoices go, as the operator found
// (the Account's BillingContactResolved condition, A7).
type billingView struct {
	// State is "applying" while the operator has not looked at the current
	// spec yet, "ok" when invoices can be addressed, "hold" when they wait.
	State string
	// Recipient is who invoices go to, when they can be addressed.
	Recipient string
	// Own says they go to the account's own contact.
	Own bool
	// Holder is the title of the other account whose Contact receives them.
	Holder string
	// Reason is why they wait (a BillingHoldReason).
	Reason string
}

// profileView is the account profile: display name, the holder's contact
// and the invoice recipient (A7), which only the owner may change.
type profileView struct {
	CanSave bool
	Groups  []recipientGroup
	// Unlisted is the present recipient when it is none of the options (a
	// Contact since deleted, or a reference made outside the client area),
	// so that saving the form does not silently change it.
	Unlisted string
	Billing  billingView
}

// profile shows the account's profile. The Account is read as the
// customer: the API server lets only the owner read it, and refuses anyone
// else (W5).
func (s *Server) profile(req *accountRequest) {
	account := &clientareav1alpha1.Account{}
	if err := s.kube.Get(req.ctx, client.ObjectKey{Name: req.account.Name}, account); err != nil {
		req.fail(err)
		return
	}
	groups, err := s.recipients(req)
	if err != nil {
		req.fail(err)
		return
	}
	s.showProfile(req, http.StatusOK, account, groups, profileForm(account), nil)
}

func (s *Server) showProfile(req *accountRequest, status int, account *clientareav1alpha1.Account, groups []recipientGroup,
	f *form, errs []fieldError) {
	view := profileView{CanSave: req.access.can(canUpdateAccount), Groups: groups, Billing: billingOf(account, groups)}
	if current := recipientValue(account); current != "" && !offered(groups, current) {
		view.Unlisted = current
	}
	req.render(status, "profile", &page{Form: f, Errors: errs, Data: view})
}

// updateProfile saves the form as a patch of the Account, as the owner:
// the API server (its admission policy) lets the owner change the display
// name, the contact and the invoice recipient, nothing else and nobody else.
func (s *Server) updateProfile(req *accountRequest) {
	f, err := readForm(req.w, req.r)
	if err != nil {
		req.fail(err)
		return
	}
	var groups []recipientGroup
	// The operator writes the Account's status now and then, which moves its
	// resourceVersion but not its generation: a conflict with such a write
	// is tried again, a change of the spec since the form was shown is not.
	for attempt := 0; ; attempt++ {
		account := &clientareav1alpha1.Account{}
		if err := s.kube.Get(req.ctx, client.ObjectKey{Name: req.account.Name}, account); err != nil {
			req.fail(err)
			return
		}
		if !unchangedSince(f, account) {
			req.redirect(req.path("profile"), "flash_changed_meanwhile")
			return
		}
		if groups == nil {
			if groups, err = s.recipients(req); err != nil {
				req.fail(err)
				return
			}
		}
		original := account.DeepCopy()
		if errs := applyProfile(f, account, groups, languageFrom(req.ctx)); errs != nil {
			s.showProfile(req, http.StatusUnprocessableEntity, original, groups, f, errs)
			return
		}
		err = s.kube.Patch(req.ctx, account, client.MergeFromWithOptions(original, client.MergeFromWithOptimisticLock{}))
		if apierrors.IsConflict(err) && attempt < 2 {
			continue
		}
		if errs, ok := formErrors(err, accountFields); ok {
			s.showProfile(req, http.StatusUnprocessableEntity, original, groups, f, errs)
			return
		}
		break
	}
	if apierrors.IsConflict(err) {
		req.redirect(req.path("profile"), "flash_changed_meanwhile")
		return
	}
	if err != nil {
		req.fail(err)
		return
	}
	req.redirect(req.path("profile"), "flash_profile_saved")
}

// applyProfile sets the form's values on the account. The invoice recipient
// is one the form offers (the owner's own Contacts), or the one the account
// has: the operator would hold the invoices for any other, but its reason
// would tell whether another's account exists.
func applyProfile(f *form, account *clientareav1alpha1.Account, groups []recipientGroup, l *lang) []fieldError {
	if choice := f.Get("billingContact"); choice != recipientValue(account) {
		if choice != "" && !offered(groups, choice) {
			return []fieldError{{Field: "billingContact", Message: l.T("billing_not_offered")}}
		}
		account.Spec.BillingContactRef = billingReference(choice, account.Name)
	}
	account.Spec.DisplayName = f.Get("displayName")
	account.Spec.Contact = contactDetails(f)
	return nil
}

// recipients is every Contact that may receive this account's invoices
// (A7): those of this account, and those of the customer's other accounts
// that the customer owns (the agency that bills its customers' accounts to
// itself), each list read as the customer. An account whose Contacts the
// customer may not read, or which is not set up yet, offers none.
func (s *Server) recipients(req *accountRequest) ([]recipientGroup, error) {
	var owned []accountInfo
	for _, a := range req.accounts {
		if a.Name == req.account.Name || (a.Role == clientareav1alpha1.RoleOwner && a.Namespace != "") {
			owned = append(owned, a)
		}
	}
	groups := make([]recipientGroup, len(owned))
	errs := make([]error, len(owned))
	var wg sync.WaitGroup
	for i, a := range owned {
		wg.Go(func() { groups[i], errs[i] = s.recipientGroup(req, a) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	groups = slices.DeleteFunc(groups, func(g recipientGroup) bool { return !g.This && len(g.Options) == 0 })
	slices.SortStableFunc(groups, func(a, b recipientGroup) int {
		if a.This != b.This {
			if a.This {
				return -1
			}
			return 1
		}
		return cmp.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
	})
	return groups, nil
}

func (s *Server) recipientGroup(req *accountRequest, a accountInfo) (recipientGroup, error) {
	group := recipientGroup{Title: a.Title(), This: a.Name == req.account.Name}
	list := &clientareav1alpha1.ContactList{}
	err := s.kube.List(req.ctx, list, client.InNamespace(a.Namespace))
	if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
		return group, nil
	}
	if err != nil {
		return group, err
	}
	for _, c := range list.Items {
		if c.DeletionTimestamp != nil {
			continue
		}
		label := c.Spec.Name
		if c.Spec.Organisation != "" {
			label += " (" + c.Spec.Organisation + ")"
		}
		if c.Spec.City != "" {
			label += ", " + c.Spec.City
		}
		group.Options = append(group.Options, recipientOption{Value: a.Name + "/" + c.Name, Label: label})
	}
	slices.SortFunc(group.Options, func(x, y recipientOption) int {
		return cmp.Compare(strings.ToLower(x.Label), strings.ToLower(y.Label))
	})
	return group, nil
}

// offered says whether a value is one of the options.
func offered(groups []recipientGroup, value string) bool {
	_, _, ok := option(groups, value)
	return ok
}

// option is the option of a value and the group it is in; ok is false
// when it is none of the options.
func option(groups []recipientGroup, value string) (recipientGroup, recipientOption, bool) {
	for _, g := range groups {
		for _, o := range g.Options {
			if o.Value == value {
				return g, o, true
			}
		}
	}
	return recipientGroup{}, recipientOption{}, false
}

// recipientValue is the account's billingContactRef as the form's value
// (<account>/<contact>); "" for the account's own contact.
func recipientValue(account *clientareav1alpha1.Account) string {
	ref := account.Spec.BillingContactRef
	if ref == nil {
		return ""
	}
	holder := string(ref.Account)
	if holder == "" {
		holder = account.Name
	}
	return holder + "/" + string(ref.Name)
}

// billingReference is the form's value as a billingContactRef: nil for the
// account's own contact; a Contact of this account names no account.
func billingReference(value, account string) *clientareav1alpha1.BillingContactReference {
	holder, name, ok := strings.Cut(value, "/")
	if !ok {
		return nil
	}
	if holder == account {
		holder = ""
	}
	return &clientareav1alpha1.BillingContactReference{
		Account: clientareav1alpha1.ObjectName(holder), Name: clientareav1alpha1.ObjectName(name),
	}
}

// billingOf is where the account's invoices go: the operator's
// BillingContactResolved condition, in the client area's own words. Its
// message is not shown: for a Contact of an account with another owner it
// names that account's owner (A5).
func billingOf(account *clientareav1alpha1.Account, groups []recipientGroup) billingView {
	condition := meta.FindStatusCondition(account.Status.Conditions, string(clientareav1alpha1.AccountConditionBillingContactResolved))
	switch {
	case condition == nil || condition.ObservedGeneration < account.Generation:
		return billingView{State: "applying"}
	case condition.Status == metav1.ConditionFalse:
		return billingView{State: "hold", Reason: condition.Reason}
	case condition.Status != metav1.ConditionTrue:
		return billingView{State: "applying"}
	case account.Spec.BillingContactRef == nil:
		return billingView{State: "ok", Own: true, Recipient: account.Spec.Contact.Name}
	}
	value := recipientValue(account)
	group, o, ok := option(groups, value)
	switch {
	case !ok:
		return billingView{State: "ok", Recipient: value}
	case group.This:
		return billingView{State: "ok", Recipient: o.Label}
	}
	return billingView{State: "ok", Recipient: o.Label, Holder: group.Title}
}

// profileForm is an account's profile as the form shows it.
func profileForm(account *clientareav1alpha1.Account) *form {
	f := contactForm(&clientareav1alpha1.Contact{Spec: account.Spec.Contact})
	f.set("generation", strconv.FormatInt(account.Generation, 10))
	f.set("displayName", account.Spec.DisplayName)
	f.set("billingContact", recipientValue(account))
	return f
}
