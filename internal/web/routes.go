package web

import (
	"net/http"
	"net/url"
)

// routes is every address of the client area, in one place. Pages are GET;
// every change is a POST form (post/redirect/get), which the cross-origin
// protection guards.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /login", s.login)
	mux.HandleFunc("GET /callback", s.callback)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /lang", s.setLanguage)

	// The domain login (D5, W7): a domain name and its password, for that
	// one domain; a session of its own.
	s.domainLogins = newDomainLogin(s)
	mux.HandleFunc("GET /domain", s.domainSignIn)
	mux.HandleFunc("POST /domain", s.domainSignInSubmit)
	mux.HandleFunc("POST /domain/logout", s.domainSignOut)
	mux.Handle("GET /domain/{domainName}", s.inDomain(s.domainPage))
	mux.Handle("POST /domain/{domainName}", s.inDomain(s.updateDomainLogin))

	mux.Handle("GET /accounts", s.signedIn(s.accountsPage))
	mux.Handle("POST /accounts/{account}", s.signedIn(s.selectAccount))
	mux.HandleFunc("GET /a/{account}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/a/"+url.PathEscape(r.PathValue("account"))+"/", http.StatusMovedPermanently)
	})
	mux.Handle("GET /a/{account}/{$}", s.inAccount(s.overview))

	mux.Handle("GET /a/{account}/profile", s.inAccount(s.profile))
	mux.Handle("POST /a/{account}/profile", s.inAccount(s.updateProfile))

	mux.Handle("GET /a/{account}/members", s.inAccount(s.members))
	mux.Handle("POST /a/{account}/members", s.inAccount(s.invite))
	mux.Handle("POST /a/{account}/members/{membership}", s.inAccount(s.changeMember))
	mux.Handle("POST /a/{account}/members/{membership}/delete", s.inAccount(s.removeMember))
	mux.Handle("POST /a/{account}/members/{membership}/resend", s.inAccount(s.resendInvitation))

	mux.Handle("GET /a/{account}/contacts", s.inAccount(s.contacts))
	mux.Handle("GET /a/{account}/contacts/new", s.inAccount(s.newContact))
	mux.Handle("GET /a/{account}/contacts/{name}", s.inAccount(s.contact))
	mux.Handle("POST /a/{account}/contacts", s.inAccount(s.createContact))
	mux.Handle("POST /a/{account}/contacts/{name}", s.inAccount(s.updateContact))
	mux.Handle("POST /a/{account}/contacts/{name}/delete", s.inAccount(s.deleteContact))

	mux.Handle("GET /a/{account}/domains", s.inAccount(s.domains))
	mux.Handle("GET /a/{account}/domains/new", s.inAccount(s.newDomain))
	mux.Handle("GET /a/{account}/domains/{name}", s.inAccount(s.domain))
	mux.Handle("POST /a/{account}/domains", s.inAccount(s.createDomain))
	mux.Handle("POST /a/{account}/domains/{name}", s.inAccount(s.updateDomain))
	mux.Handle("POST /a/{account}/domains/{name}/password", s.inAccount(s.newDomainPassword))

	mux.Handle("GET /a/{account}/invoices", s.inAccount(s.invoices))
	mux.Handle("GET /a/{account}/invoices/{name}", s.inAccount(s.invoice))
	mux.Handle("GET /a/{account}/invoices/{name}/print", s.inAccount(s.printInvoice))

	mux.HandleFunc("/", s.notFound)
	return mux
}
