/*
Copyright 2026 The clientarea-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

// Command web is the client area: the web front end where customers sign in
// through the provider's OpenID provider, pick an account and work in it,
// as themselves (internal/web).
//
// It talks to the API server as its own ServiceAccount (in a pod: the
// mounted token; elsewhere: --kubeconfig), which may do nothing but
// impersonate the addresses that Users have claimed. Never give it an
// administrator's kubeconfig.
//
//	web --issuer=https://login.example.com/realms/customers \
//	    --client-id=client-area --client-secret-file=/etc/clientarea/oidc/client-secret \
//	    --url=https://client.example.com
//
// The client secret is read from --client-secret-file or from the
// environment variable CLIENTAREA_OIDC_CLIENT_SECRET, never from a flag
// (flags show in the process list). The provider must redirect back to
// --url + "/callback". --issuer and --url are https; plain http only on a
// loopback host, for trying it locally.
//
// Sign-ins are throttled per client address: the connection's, or, with
// --client-address-header=X-Forwarded-For (or X-Real-IP), the last value
// of that header, which the one proxy in front (the ingress) sets. Set it
// only when nothing reaches the client area but through that proxy.
//
// The client area's metrics (the domain login's sign-ins and lock-outs, in
// the Prometheus format) are served at /metrics on --metrics-listen
// (default :9090; "0" turns them off), a listener of their own that the
// ingress does not expose, never on the public --listen.
//
// This binary has no development sign-in: the development provider
// (internal/devoidc) is not linked into it (checked by a test and by CI).
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"clientarea.dev/clientarea-operator/internal/web"
)

// secretEnv is the environment variable that may hold the client secret.
const secretEnv = "CLIENTAREA_OIDC_CLIENT_SECRET"

type options struct {
	issuer, clientID, clientSecretFile, url string
	listen, kubeconfig                      string
	metricsListen                           string
	tlsCert, tlsKey                         string
	clientAddressHeader                     string
	sessionIdle, sessionAbsolute            time.Duration
	shutdownTimeout                         time.Duration
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	slog.SetDefault(log)
	if err := run(os.Args[1:]); errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	} else if err != nil {
		log.Error("the client area stopped", "error", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("web", flag.ContinueOnError)
	fs.StringVar(&o.issuer, "issuer", "", "the OpenID provider's issuer URL (required)")
	fs.StringVar(&o.clientID, "client-id", "", "the client area's client id at the OpenID provider (required)")
	fs.StringVar(&o.clientSecretFile, "client-secret-file", "",
		"a file holding the client secret (a mounted Secret); else $"+secretEnv)
	fs.StringVar(&o.url, "url", "", "the client area's public base URL, such as https://client.example.com (required); "+
		"the provider redirects to it + /callback")
	fs.StringVar(&o.listen, "listen", ":8080", "the address to serve on")
	fs.StringVar(&o.metricsListen, "metrics-listen", ":9090",
		"the address to serve the metrics (/metrics) on, apart from --listen and not public; \"0\": no metrics")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "",
		"a kubeconfig of the client area's own ServiceAccount; empty: the pod's (in-cluster)")
	fs.StringVar(&o.tlsCert, "tls-cert-file", "", "serve HTTPS with this certificate (with --tls-key-file); "+
		"empty: plain HTTP behind a TLS-terminating ingress")
	fs.StringVar(&o.tlsKey, "tls-key-file", "", "the key of --tls-cert-file")
	fs.DurationVar(&o.sessionIdle, "session-idle-timeout", web.DefaultSessionIdle, "end a session after this long without a request")
	fs.DurationVar(&o.sessionAbsolute, "session-absolute-timeout", web.DefaultSessionAbsolute, "end a session this long after sign-in")
	fs.StringVar(&o.clientAddressHeader, "client-address-header", "",
		"a header the one proxy in front sets to the client's address (X-Forwarded-For, X-Real-IP; its last value counts), "+
			"for throttling sign-ins per client; empty: the connection's address. Only when nothing reaches the client area but through that proxy")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 20*time.Second, "how long open requests may finish at shutdown")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var missing []string
	for name, value := range map[string]string{"--issuer": o.issuer, "--client-id": o.clientID, "--url": o.url} {
		if value == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return o, fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	if err := checkMetricsListen(o.metricsListen, o.listen); err != nil {
		return o, err
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return o, errors.New("--tls-cert-file and --tls-key-file go together")
	}
	if err := checkURL(o.url); err != nil {
		return o, err
	}
	if err := checkIssuer(o.issuer); err != nil {
		return o, err
	}
	const headerChars = "-_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	if h := o.clientAddressHeader; strings.Trim(h, headerChars) != "" {
		return o, fmt.Errorf("--client-address-header %q: want a header name such as X-Forwarded-For", h)
	}
	if o.sessionIdle <= 0 || o.sessionAbsolute < o.sessionIdle {
		return o, errors.New("the session timeouts must be positive, the absolute one at least the idle one")
	}
	return o, nil
}

// checkMetricsListen accepts "0" (no metrics) or a listen address
// ([host]:port) other than the public one.
func checkMetricsListen(metrics, public string) error {
	if metrics == "0" {
		return nil
	}
	if _, port, err := net.SplitHostPort(metrics); err != nil || port == "" {
		return fmt.Errorf("--metrics-listen %q: want an address such as :9090, or 0 for no metrics", metrics)
	}
	if metrics == public {
		return fmt.Errorf("--metrics-listen %q: the metrics are not served on the public --listen", metrics)
	}
	return nil
}

// checkURL accepts an https URL, or http on a loopback host (for trying it
// locally): the session cookie is Secure, which browsers keep only there.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("--url %q: want a base URL such as https://client.example.com", raw)
	}
	if !secureOrLoopback(u) {
		return fmt.Errorf("--url %q: must be https (the session cookie is Secure); plain http only on localhost", raw)
	}
	return nil
}

// checkIssuer accepts an https issuer URL, or http on a loopback host (a
// local provider): over plain http anyone on the way could answer for the
// provider, its discovery, its keys and its tokens, and so sign in as any
// customer.
func checkIssuer(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("--issuer %q: want the provider's issuer URL such as https://login.example.com/realms/customers", raw)
	}
	if !secureOrLoopback(u) {
		return fmt.Errorf("--issuer %q: must be https; plain http only on localhost", raw)
	}
	return nil
}

// secureOrLoopback says whether u is https, or http on a loopback host.
func secureOrLoopback(u *url.URL) bool {
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return u.Scheme == "http" && (host == "localhost" || (ip != nil && ip.IsLoopback()))
}

// serveMetrics serves the handler that metrics comes to hold at /metrics
// on its own listener (503 until it holds one), reporting a failure to
// served; nil when listen is "0".
func serveMetrics(listen string, metrics *atomic.Pointer[http.Handler], served chan<- error) (*http.Server, error) {
	if listen == "0" {
		return nil, nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		h := metrics.Load()
		if h == nil {
			http.Error(w, "the client area is starting", http.StatusServiceUnavailable)
			return
		}
		(*h).ServeHTTP(w, r)
	})
	server := &http.Server{
		Addr: listen, Handler: mux,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10,
	}
	listener, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen: %w", err)
	}
	go func() {
		if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
			served <- fmt.Errorf("the metrics listener: %w", err)
		}
	}()
	slog.Info("serving metrics", "address", listener.Addr().String())
	return server, nil
}

// clientSecret reads the client secret from the file or the environment.
func clientSecret(file string) (string, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("the client secret: %w", err)
		}
		return strings.TrimSpace(string(data)), nil
	}
	return os.Getenv(secretEnv), nil
}

// kubeConfig is the client area's own connection: the pod's ServiceAccount,
// or --kubeconfig. It never falls back to ~/.kube/config, which on a
// workstation is usually an administrator's.
func kubeConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("not in a pod (%w): give --kubeconfig of the client area's ServiceAccount", err)
	}
	return cfg, nil
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	secret, err := clientSecret(o.clientSecretFile)
	if err != nil {
		return err
	}
	if secret == "" {
		slog.Warn("no client secret: the client area signs in as a public client (PKCE only)")
	}
	kube, err := kubeConfig(o.kubeconfig)
	if err != nil {
		return err
	}
	kube.UserAgent = "clientarea-web"
	// No client-side rate limit (client-go's would be one bucket for every
	// customer together, so that one customer's clicks or a flood from one
	// account would queue every other customer behind it). The API server
	// limits instead, per customer: its priority and fairness classifies a
	// request after impersonation, as the impersonated address, whose flows
	// are distinguished by user.
	kube.QPS = -1

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The client area is built once the OpenID provider answers (web.New
	// reads its discovery document); until then /healthz answers and
	// /readyz and every page say 503, so that a provider that is down at
	// start delays readiness instead of crash-looping the pod.
	var handler atomic.Pointer[http.Handler]
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if handler.Load() == nil {
			http.Error(w, "waiting for the OpenID provider", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h := handler.Load()
		if h == nil {
			w.Header().Set("Retry-After", "5")
			http.Error(w, "The client area is starting. Please try again in a moment.", http.StatusServiceUnavailable)
			return
		}
		(*h).ServeHTTP(w, r)
	})

	server := &http.Server{
		Addr:              o.listen,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
	listener, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	served := make(chan error, 2)
	go func() {
		if o.tlsCert != "" {
			served <- server.ServeTLS(listener, o.tlsCert, o.tlsKey)
		} else {
			served <- server.Serve(listener)
		}
	}()
	slog.Info("serving", "address", listener.Addr().String(), "url", o.url, "issuer", o.issuer)

	// The metrics, on a listener of their own; 503 until the client area
	// is built.
	var metrics atomic.Pointer[http.Handler]
	metricsServer, err := serveMetrics(o.metricsListen, &metrics, served)
	if err != nil {
		_ = server.Close()
		return err
	}

	go func() {
		cfg := web.Config{
			Kube: kube, Issuer: o.issuer, ClientID: o.clientID, ClientSecret: secret, URL: strings.TrimSuffix(o.url, "/"),
			SessionIdle: o.sessionIdle, SessionAbsolute: o.sessionAbsolute, ClientAddressHeader: o.clientAddressHeader,
		}
		for wait := time.Second; ; wait = min(2*wait, time.Minute) {
			s, err := web.New(ctx, cfg)
			if err == nil {
				var h http.Handler = s
				handler.Store(&h)
				m := s.Metrics()
				metrics.Store(&m)
				slog.Info("ready")
				return
			}
			slog.Error("building the client area; trying again", "error", err, "in", wait.String())
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: finishing open requests", "timeout", o.shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	if metricsServer != nil {
		_ = metricsServer.Shutdown(shutdownCtx)
	}
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
