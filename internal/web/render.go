package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// templateFiles are the pages: layout.html is the frame of every page, each
// other file defines the "content" of one page, named after the file.
//
//go:embed templates/*.html
var templateFiles embed.FS

// staticFiles are served under /static/.
//
//go:embed static
var staticFiles embed.FS

// renderer holds one parsed template per page, each with the layout.
type renderer struct {
	pages map[string]*template.Template
}

func newRenderer() (*renderer, error) {
	layout, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	r := &renderer{pages: map[string]*template.Template{}}
	for _, file := range files {
		name := strings.TrimSuffix(path.Base(file), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFiles, file)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", file, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// templateFuncs are the helpers the templates use beside page's methods.
var templateFuncs = template.FuncMap{
	"field":      newFieldView,
	"domainName": domainName,
	"autoRenew":  autoRenew,
	"add":        func(a, b int) int { return a + b },
}

// fieldView is one input of a form, for the "text" template.
type fieldView struct {
	Page     *page
	Name     string
	Type     string
	Required bool
}

func newFieldView(p *page, name, inputType string, required bool) fieldView {
	return fieldView{Page: p, Name: name, Type: inputType, Required: required}
}

// page is what every template gets.
type page struct {
	L     *lang
	Title string
	// Address is the signed-in customer; empty when nobody is.
	Address string
	// Account is the account the page is in; nil outside accounts.
	Account *accountInfo
	Nav     navigation
	// Path is this page's address, for the language links to come back to.
	Path  string
	Flash string
	// Print renders the page without header and navigation (invoices).
	Print bool
	// Form is the submitted form when it is shown again with Errors.
	Form   *form
	Errors []fieldError
	Data   any
}

// render writes the page. It is rendered into a buffer first, so that a
// template error becomes an error page rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	p.L = languageFrom(r.Context())
	p.Path = pagePath(r)
	if sess := sessionFrom(r); sess != nil && sess.Address != "" {
		p.Address = sess.Address
		if status == http.StatusOK {
			p.Flash = p.L.T(s.takeFlash(sess))
		}
	}
	if p.Title == "" {
		p.Title = p.L.T("title_" + name)
	}
	t, ok := s.pages.pages[name]
	var buf bytes.Buffer
	if !ok {
		s.log.Error(nil, "no such page template", "page", name)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error(err, "rendering a page", "page", name)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// pagePath is the address the page's links (the language switch) come back
// to: the request's, except for the OpenID callback, whose query is the
// provider's code and this sign-in's state, which must never end up in a
// link (nor a Referer or a history entry that a link makes), and whose
// page cannot be shown twice anyway.
func pagePath(r *http.Request) string {
	if r.URL.Path == "/callback" {
		return "/"
	}
	return r.URL.RequestURI()
}

// errorView is the error page's content.
type errorView struct {
	Status  int
	Message string // a message key
}

// renderError shows an error page that says what happened in general terms:
// it names nothing that the API server said, so nothing about another
// account can reach the page.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, message string) {
	s.render(w, r, status, "error", &page{
		Title: languageFrom(r.Context()).T("title_error"),
		Data:  errorView{Status: status, Message: message},
	})
}

// fail shows the error page for an error of the API server or the front
// end. Not found and forbidden say only that; anything else is logged and
// shown as an internal error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case apierrors.IsNotFound(err):
		s.renderError(w, r, http.StatusNotFound, "err_not_found")
	case apierrors.IsForbidden(err):
		s.renderError(w, r, http.StatusForbidden, "err_forbidden")
	case errors.Is(err, context.Canceled):
		// The browser went away; nobody reads the answer.
	default:
		s.log.Error(err, "a request failed", "path", r.URL.Path)
		s.renderError(w, r, http.StatusInternalServerError, "err_internal")
	}
}

// notFound is every address the client area does not serve.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.renderError(w, r, http.StatusNotFound, "err_not_found")
}

// static serves the stylesheet.
func staticHandler() http.Handler {
	return http.FileServerFS(staticFiles)
}
