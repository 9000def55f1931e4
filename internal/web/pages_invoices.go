package web

import (
	"cmp"
	"net/http"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// invoices lists the account's invoices, newest first (I6: read as the
// customer; only the owner and members with Invoices may).
func (s *Server) invoices(req *accountRequest) {
	list := &clientareav1alpha1.InvoiceList{}
	if err := s.kube.List(req.ctx, list, client.InNamespace(req.account.Namespace)); err != nil {
		req.fail(err)
		return
	}
	slices.SortFunc(list.Items, func(a, b clientareav1alpha1.Invoice) int {
		if c := b.Spec.IssuedAt.Compare(a.Spec.IssuedAt.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.Spec.Sequence, a.Spec.Sequence)
	})
	req.render(http.StatusOK, "invoices", &page{Data: list.Items})
}

// invoice is one invoice with its lines and amounts.
func (s *Server) invoice(req *accountRequest) { s.showInvoice(req, false) }

// printInvoice is the invoice alone, for the browser's print (to paper or
// PDF), with the print stylesheet.
func (s *Server) printInvoice(req *accountRequest) { s.showInvoice(req, true) }

func (s *Server) showInvoice(req *accountRequest, printable bool) {
	invoice := &clientareav1alpha1.Invoice{}
	if err := s.kube.Get(req.ctx, req.named(), invoice); err != nil {
		req.fail(err)
		return
	}
	title := languageFrom(req.ctx).T("invoice") + " " + invoice.Spec.Number
	req.render(http.StatusOK, "invoice", &page{Title: title, Data: invoice, Print: printable})
}
