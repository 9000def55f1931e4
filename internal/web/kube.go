package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/transport"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// userKey is the context key of the identity a request acts as.
type userKey struct{}

// WithUser returns a context whose API requests act as user (a claimed
// e-mail address, or later a domain login's ServiceAccount).
func WithUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

// userFrom is the identity a context acts as; "" when none.
func userFrom(ctx context.Context) string {
	user, _ := ctx.Value(userKey{}).(string)
	return user
}

// errNoUser is what a request without an identity to act as gets: it is
// never sent, so the front end's own identity is never used for a customer.
var errNoUser = errors.New("no user to act as: refused before it reached the API server")

// impersonationPrefix starts every impersonation header (User, Uid, Group,
// Extra-*).
const impersonationPrefix = "Impersonate-"

// impersonating sets Impersonate-User from the request's context on every
// request, and removes any other Impersonate-* header, through one shared
// transport (W3).
type impersonating struct{ next http.RoundTripper }

func (t impersonating) RoundTrip(req *http.Request) (*http.Response, error) {
	user := userFrom(req.Context())
	if user == "" {
		return nil, errNoUser
	}
	req = req.Clone(req.Context())
	for header := range req.Header {
		if len(header) >= len(impersonationPrefix) && strings.EqualFold(header[:len(impersonationPrefix)], impersonationPrefix) {
			req.Header.Del(header)
			delete(req.Header, header) // a key that is not in canonical form
		}
	}
	req.Header.Set(transport.ImpersonateUserHeader, user)
	return t.next.RoundTrip(req)
}

// newImpersonatingClient is the front end's one client: its own
// credentials, one transport, and on every request the identity of the
// request's context.
func newImpersonatingClient(cfg *rest.Config, options client.Options) (client.Client, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.Impersonate = rest.ImpersonationConfig{} // set per request, never for the front end itself
	if cfg.QPS == 0 && cfg.RateLimiter == nil {
		// Every request is one customer's click: client-go's default of 5
		// per second for the whole front end would queue customers behind
		// each other. The API server's priority and fairness limits it.
		cfg.QPS = -1
	}
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("the front end's connection to the API server: %w", err)
	}
	httpClient.Transport = impersonating{next: httpClient.Transport}
	options.HTTPClient = httpClient
	if options.Mapper == nil {
		options.Mapper = restMapper()
	}
	return client.New(cfg, options)
}

// restMapper knows the few kinds the front end uses, so that it never asks
// the API server's discovery: a discovery request has no customer to act
// as, and the front end makes no request as itself.
func restMapper() meta.RESTMapper {
	mapper := meta.NewDefaultRESTMapper(nil)
	gv := clientareav1alpha1.GroupVersion
	for _, kind := range []string{"User", "EmailClaim", "Account"} {
		mapper.Add(gv.WithKind(kind), meta.RESTScopeRoot)
	}
	for _, kind := range []string{"Membership", "Contact", "Domain", "Invoice"} {
		mapper.Add(gv.WithKind(kind), meta.RESTScopeNamespace)
	}
	mapper.Add(authorizationv1.SchemeGroupVersion.WithKind("SelfSubjectAccessReview"), meta.RESTScopeRoot)
	mapper.Add(corev1.SchemeGroupVersion.WithKind("Secret"), meta.RESTScopeNamespace)
	return mapper
}
