package main

import (
	"strings"
	"testing"
)

// The flags: --url and --issuer are https, plain http only on a loopback
// host; a client address header is a header name.
func TestParseFlags(t *testing.T) {
	base := []string{"--client-id=client-area"}
	for _, c := range []struct {
		args  []string
		error string // "" when accepted
	}{
		{[]string{"--issuer=https://login.example.com/realms/customers", "--url=https://client.example.com"}, ""},
		{[]string{"--issuer=http://127.0.0.1:5556", "--url=http://localhost:8080"}, ""},
		{[]string{"--issuer=http://localhost:5556/dex", "--url=http://[::1]:8080"}, ""},
		{[]string{"--issuer=http://login.example.com/realms/customers", "--url=https://client.example.com"}, "--issuer"},
		{[]string{"--issuer=http://10.0.0.5", "--url=https://client.example.com"}, "--issuer"},
		{[]string{"--issuer=ftp://login.example.com", "--url=https://client.example.com"}, "--issuer"},
		{[]string{"--issuer=https://login.example.com/?realm=x", "--url=https://client.example.com"}, "--issuer"},
		{[]string{"--issuer=login.example.com", "--url=https://client.example.com"}, "--issuer"},
		{[]string{"--issuer=https://login.example.com", "--url=http://client.example.com"}, "--url"},
		{[]string{"--url=https://client.example.com"}, "--issuer"},
		{[]string{"--issuer=https://login.example.com", "--url=https://client.example.com", "--client-address-header=X-Forwarded-For"}, ""},
		{[]string{"--issuer=https://login.example.com", "--url=https://client.example.com", "--client-address-header=X-Forwarded-For:"}, "--client-address-header"},
	} {
		o, err := parseFlags(append(base, c.args...))
		switch {
		case c.error == "" && err != nil:
			t.Errorf("%q: %v", c.args, err)
		case c.error != "" && (err == nil || !strings.Contains(err.Error(), c.error)):
			t.Errorf("%q: %v, want an error about %s", c.args, err, c.error)
		case c.error == "" && o.clientAddressHeader == "" && strings.Contains(strings.Join(c.args, " "), "client-address-header"):
			t.Errorf("%q: the client address header was lost", c.args)
		}
	}
	if _, err := parseFlags(append(base, "--issuer=https://login.example.com", "--url=https://client.example.com", "--kube-api-qps=50")); err == nil {
		t.Error("--kube-api-qps is accepted: the client area has no client-side limit shared by every customer")
	}
}

// --metrics-listen: its own address, :9090 unless given, "0" for none,
// never the public --listen.
func TestParseFlagsMetricsListen(t *testing.T) {
	base := []string{"--client-id=client-area", "--issuer=https://login.example.com", "--url=https://client.example.com"}
	for _, c := range []struct {
		args  []string
		want  string // the address, when accepted
		error string // "" when accepted
	}{
		{nil, ":9090", ""},
		{[]string{"--metrics-listen=0"}, "0", ""},
		{[]string{"--metrics-listen=127.0.0.1:9100"}, "127.0.0.1:9100", ""},
		{[]string{"--metrics-listen=[::1]:9100"}, "[::1]:9100", ""},
		{[]string{"--metrics-listen=:8080"}, "", "--metrics-listen"},
		{[]string{"--listen=:9091", "--metrics-listen=:9091"}, "", "--metrics-listen"},
		{[]string{"--metrics-listen=9090"}, "", "--metrics-listen"},
		{[]string{"--metrics-listen="}, "", "--metrics-listen"},
		{[]string{"--metrics-listen=localhost"}, "", "--metrics-listen"},
	} {
		o, err := parseFlags(append(base, c.args...))
		switch {
		case c.error == "" && err != nil:
			t.Errorf("%q: %v", c.args, err)
		case c.error == "" && o.metricsListen != c.want:
			t.Errorf("%q: metrics on %q, want %q", c.args, o.metricsListen, c.want)
		case c.error != "" && (err == nil || !strings.Contains(err.Error(), c.error)):
			t.Errorf("%q: %v, want an error about %s", c.args, err, c.error)
		}
	}
}
