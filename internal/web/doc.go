// Package web is the client area: the web front end where customers sign
// in (OpenID Connect), pick an account and work in it, as themselves.
//
// Every read and write for a customer reaches the API server as that
// customer (Impersonate-User: the address the customer signed in with,
// which a User has claimed, U1, W1, W3): the front end decides nothing that
// the API server does not decide again. Its own ServiceAccount can do
// nothing but impersonate claimed addresses.
//
// Pages are rendered on the server from html/template with embed, with
// plain forms and links (post/redirect/get) and a small stylesheet; they
// work without JavaScript. English and German, from Accept-Language or the
// switch in the header.
//
// Layout of the package:
//   - server.go: Config, Server, the middleware chain (security headers,
//     cross-origin protection, sessions, language).
//   - routes.go: every route, in one place.
//   - session.go: server-side sessions (opaque cookie, idle and absolute
//     timeouts, renewed at sign-in and account switch).
//   - auth.go: sign-in through OpenID Connect (authorization code + PKCE,
//     state, nonce), the customer from the address's EmailClaim.
//   - kube.go: the one impersonating client (one shared transport; a
//     request without a user fails closed; a fixed REST mapping, so the
//     front end never asks the API server anything as itself).
//   - access.go: what the customer may do, asked of the API server as the
//     customer (SelfSubjectAccessReview), for what the pages show.
//   - render.go, forms.go, i18n.go, messages.go, templates/, static/: pages,
//     forms with the API server's field errors, and their words in English
//     and German.
//   - pages_*.go: the pages, one file per area (accounts, members,
//     contacts, domains, invoices, profile: the owner's account profile).
package web
