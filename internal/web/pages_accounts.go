package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// accountInfo is one account of the signed-in customer, from its User's
// status.accounts (U2): all the front end knows of an account without
// reading it, which the customer may not.
type accountInfo struct {
	Name           string
	Namespace      string
	DisplayName    string
	CustomerNumber int64
	Role           clientareav1alpha1.Role
	Permissions    []clientareav1alpha1.Permission
	// OwnerEmail is the address of the account's owner (A6), for every
	// member to see who to ask.
	OwnerEmail string
}

// Title is the account's display name, or its name while it has none.
func (a *accountInfo) Title() string {
	if a.DisplayName != "" {
		return a.DisplayName
	}
	return a.Name
}

// errCustomerGone is a signed-in customer whose User the API server no
// longer lets them read: the User was deleted or its address changed (U4).
var errCustomerGone = errors.New("the signed-in address no longer belongs to a User")

// accounts reads, as the customer, their User's accounts.
func (s *Server) accounts(ctx context.Context, sess *session) ([]accountInfo, error) {
	user := &clientareav1alpha1.User{}
	err := s.kube.Get(WithUser(ctx, sess.Address), client.ObjectKey{Name: sess.UserName}, user)
	if apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
		return nil, errCustomerGone
	}
	if err != nil {
		return nil, err
	}
	infos := make([]accountInfo, 0, len(user.Status.Accounts))
	for _, a := range user.Status.Accounts {
		infos = append(infos, accountInfo{
			Name: a.Account, Namespace: a.Namespace, DisplayName: a.DisplayName, CustomerNumber: a.CustomerNumber,
			Role: a.Role, Permissions: a.Permissions, OwnerEmail: a.OwnerEmail,
		})
	}
	return infos, nil
}

// findAccount is the customer's account of that name; nil when they have
// none of that name, whether it exists or not.
func findAccount(accounts []accountInfo, name string) *accountInfo {
	i := slices.IndexFunc(accounts, func(a accountInfo) bool { return a.Name == name })
	if i < 0 {
		return nil
	}
	return &accounts[i]
}

// signedIn lets only a signed-in customer through; anyone else is sent to
// sign in, and back to the page afterwards.
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := sessionFrom(r)
		if sess == nil || sess.Address == "" {
			back := "/"
			if r.Method == http.MethodGet {
				back = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/login?return="+url.QueryEscape(back), http.StatusSeeOther)
			return
		}
		h(w, r, sess)
	})
}

// customerFailed answers a failed read of the customer's own User: a User
// that is gone ends the session.
func (s *Server) customerFailed(w http.ResponseWriter, r *http.Request, sess *session, err error) {
	if !errors.Is(err, errCustomerGone) {
		s.fail(w, r, err)
		return
	}
	s.sessions.delete(sess.ID)
	clearSessionCookie(w)
	r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, (*session)(nil)))
	s.render(w, r, http.StatusOK, "no_customer", &page{Data: sess.Address})
}

// home is the start page: a sign-in link, or the customer's accounts.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r)
	if sess == nil || sess.Address == "" {
		s.render(w, r, http.StatusOK, "home", &page{})
		return
	}
	accounts, err := s.accounts(r.Context(), sess)
	if err != nil {
		s.customerFailed(w, r, sess, err)
		return
	}
	if len(accounts) == 1 {
		// W2: a customer with one account goes straight in.
		http.Redirect(w, r, "/a/"+accounts[0].Name+"/", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/accounts", http.StatusSeeOther)
}

// accountsPage is the picker (W2).
func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request, sess *session) {
	accounts, err := s.accounts(r.Context(), sess)
	if err != nil {
		s.customerFailed(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "accounts", &page{Data: accounts})
}

// selectAccount is a choice in the picker: the session is renewed, so that
// the id of the session before the switch is dead, and the account opens.
func (s *Server) selectAccount(w http.ResponseWriter, r *http.Request, sess *session) {
	_, account := s.pathAccount(w, r, sess)
	if account == nil {
		return
	}
	renewed, ok := s.sessions.renew(sess.ID, func(n *session) { n.Account = account.Name })
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	setSessionCookie(w, renewed.ID)
	http.Redirect(w, r, "/a/"+account.Name+"/", http.StatusSeeOther)
}

// pathAccount finds the customer's account the request's path names, with
// all the customer's accounts; account is nil when there is none such or
// the accounts could not be read, and the answer has been given.
func (s *Server) pathAccount(w http.ResponseWriter, r *http.Request, sess *session) (accounts []accountInfo, account *accountInfo) {
	accounts, err := s.accounts(r.Context(), sess)
	if err != nil {
		s.customerFailed(w, r, sess, err)
		return nil, nil
	}
	account = findAccount(accounts, r.PathValue("account"))
	if account == nil {
		s.notFound(w, r)
		return nil, nil
	}
	return accounts, account
}

// accountRequest is one request to an account's pages.
type accountRequest struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	ctx     context.Context // acts as the signed-in customer
	sess    *session
	account *accountInfo
	// accounts are all the customer's accounts, this one included.
	accounts []accountInfo
	access   *access
}

// inAccount serves an account's page to a customer of that account. An
// account the customer is not in is "not found", exactly as one that does
// not exist: the page says nothing about other accounts (A5). A page of
// another account than the session's is a switch of accounts, whether it
// came through the picker or a link: the session is renewed (W6).
func (s *Server) inAccount(h func(*accountRequest)) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess *session) {
		accounts, account := s.pathAccount(w, r, sess)
		if account == nil {
			return
		}
		if account.Name != sess.Account {
			if sess, r = s.switchAccount(w, r, sess, account.Name); sess == nil {
				return
			}
		}
		if account.Namespace == "" {
			s.renderError(w, r, http.StatusServiceUnavailable, "err_account_not_ready")
			return
		}
		ctx := WithUser(r.Context(), sess.Address)
		req := &accountRequest{s: s, w: w, r: r, ctx: ctx, sess: sess, account: account, accounts: accounts,
			access: newAccess(ctx, s.kube, account.Name, account.Namespace)}
		// The navigation's questions go out now, while the page reads.
		req.access.start(navChecks...)
		h(req)
	})
}

// switchAccount moves the session to a new id for the account (the old id
// is dead at once) and records the account; it returns the renewed
// session and the request that carries it, or nil when the session has
// ended meanwhile (then the browser is sent to sign in).
func (s *Server) switchAccount(w http.ResponseWriter, r *http.Request, sess *session, account string) (*session, *http.Request) {
	renewed, ok := s.sessions.renew(sess.ID, func(n *session) { n.Account = account })
	if !ok {
		clearSessionCookie(w)
		back := "/"
		if r.Method == http.MethodGet {
			back = r.URL.RequestURI()
		}
		http.Redirect(w, r, "/login?return="+url.QueryEscape(back), http.StatusSeeOther)
		return nil, r
	}
	setSessionCookie(w, renewed.ID)
	return &renewed, r.WithContext(context.WithValue(r.Context(), sessionKey{}, &renewed))
}

// render shows an account's page with its header and navigation.
func (req *accountRequest) render(status int, name string, p *page) {
	p.Account = req.account
	p.Nav = req.access.navigation()
	req.s.render(req.w, req.r, status, name, p)
}

// fail shows the error page for a failed read or write.
func (req *accountRequest) fail(err error) { req.s.fail(req.w, req.r, err) }

// redirect ends a successful form with post/redirect/get, and a message.
func (req *accountRequest) redirect(target, flash string) {
	if flash != "" {
		req.s.flash(req.r, flash)
	}
	http.Redirect(req.w, req.r, target, http.StatusSeeOther)
}

// path is an address within the account.
func (req *accountRequest) path(rest string) string { return "/a/" + req.account.Name + "/" + rest }

// overview is the account's start page: what it is, what the customer may
// do in it.
func (s *Server) overview(req *accountRequest) {
	req.render(http.StatusOK, "overview", &page{Title: req.account.Title()})
}
