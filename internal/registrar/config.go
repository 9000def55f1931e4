package registrar

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// Config is the file that connects the operator to registries (R1), given
// with --registry-config. Top-level domains no registry serves go to the
// built-in registrar, unless Config says otherwise.
type Config struct {
	// Registries are the EPP registries (or wholesale registrars) the
	// operator speaks to, each serving its top-level domains.
	Registries []RegistryConfig `json:"registries"`
	// Builtin names what the built-in registrar serves: "unconfigured"
	// (the default: every TLD no registry serves) or "none" (a Domain of
	// such a TLD stays Pending with the reason NoRegistry).
	Builtin string `json:"builtin,omitempty"`
}

// RegistryConfig is one registry.
type RegistryConfig struct {
	// Name names the registry in conditions, events and logs.
	Name string `json:"name"`
	// Address is the registry's EPP host and port, such as epp.example.net:700.
	Address string `json:"address"`
	// ServerName is the name the registry's TLS certificate is for, when
	// it is not the host of Address.
	ServerName string `json:"serverName,omitempty"`
	// TLDs are the top-level domains it serves, without a leading dot.
	TLDs []string `json:"tlds"`
	// CredentialsSecret is a Secret in the operator's namespace with the
	// keys clientID, password, tls.crt and tls.key, and optionally ca.crt
	// (the CA to trust instead of the system's).
	CredentialsSecret string `json:"credentialsSecret"`
	// MaxSessions is how many EPP sessions the operator opens at most; the
	// registry's own limit must not be passed. Default 2.
	MaxSessions int `json:"maxSessions,omitempty"`
	// CommandTimeout bounds each EPP command. Default 30s.
	CommandTimeout metav1.Duration `json:"commandTimeout,omitzero"`
	// AutoRenewGracePeriod is how long after an expiry the registry refunds
	// the auto-renewal it makes at expiry when the domain is deleted. A
	// domain without auto-renew is deleted at expiry when this is at least
	// an hour, and a day before expiry when it is zero (a registry that
	// bills its auto-renewal at once) (R4). Default 45 days, 1080h.
	AutoRenewGracePeriod *metav1.Duration `json:"autoRenewGracePeriod,omitempty"`
}

// DefaultAutoRenewGracePeriod is the auto-renew grace period of most
// generic top-level domains' registries.
const DefaultAutoRenewGracePeriod = 45 * 24 * time.Hour

var (
	registryNamePattern = regexp.MustCompile(`^[a-z0-9][-a-z0-9]{0,62}$`)
	tldPattern          = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?([.][a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// ReadConfig reads and checks the file at path; each problem names its field.
func ReadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	var cfg Config
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := cfg.validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

func (c Config) validate() error {
	var errs []error
	if c.Builtin != "" && c.Builtin != "unconfigured" && c.Builtin != "none" {
		errs = append(errs, fmt.Errorf("builtin: %q is neither unconfigured nor none", c.Builtin))
	}
	served := map[string]string{}
	for i, r := range c.Registries {
		field := fmt.Sprintf("registries[%d]", i)
		if !registryNamePattern.MatchString(r.Name) {
			errs = append(errs, fmt.Errorf("%s.name: %q must be lowercase letters, digits and '-', at most 63", field, r.Name))
		}
		if r.Address == "" || r.CredentialsSecret == "" {
			errs = append(errs, fmt.Errorf("%s: address and credentialsSecret are required", field))
		}
		if len(r.TLDs) == 0 {
			errs = append(errs, fmt.Errorf("%s.tlds: name at least one top-level domain", field))
		}
		for _, tld := range r.TLDs {
			if !tldPattern.MatchString(tld) {
				errs = append(errs, fmt.Errorf("%s.tlds: %q is not a lowercase top-level domain without a leading dot", field, tld))
			} else if other, ok := served[tld]; ok {
				errs = append(errs, fmt.Errorf("%s.tlds: %q is served by %s already", field, tld, other))
			}
			served[tld] = r.Name
		}
		if r.MaxSessions < 0 || r.CommandTimeout.Duration < 0 || (r.AutoRenewGracePeriod != nil && r.AutoRenewGracePeriod.Duration < 0) {
			errs = append(errs, fmt.Errorf("%s: maxSessions, commandTimeout and autoRenewGracePeriod cannot be negative", field))
		}
	}
	return kerrors.NewAggregate(errs)
}

// Credentials are the keys of a registry's credentials Secret.
const (
	CredentialsClientID = "clientID"
	CredentialsPassword = "password"
	CredentialsCert     = corev1.TLSCertKey
	CredentialsKey      = corev1.TLSPrivateKeyKey
	CredentialsCA       = "ca.crt"
)

// Build makes the registrar of cfg: each registry's EPP registrar for its
// TLDs, and builtin for the rest unless cfg says none. The credentials are
// read from the Secrets in namespace when first needed (secretBacked).
func Build(reader client.Reader, namespace string, cfg Config, builtin Registrar, clock Clock) ByTLD {
	router := ByTLD{Routes: map[string]Registrar{}, Grace: map[string]time.Duration{}}
	if cfg.Builtin != "none" {
		router.Fallback = builtin
	}
	for _, r := range cfg.Registries {
		reg := &secretBacked{reader: reader, namespace: namespace, cfg: r, clock: clock}
		grace := DefaultAutoRenewGracePeriod
		if r.AutoRenewGracePeriod != nil {
			grace = r.AutoRenewGracePeriod.Duration
		}
		for _, tld := range r.TLDs {
			router.Routes[tld], router.Grace[tld] = reg, grace
		}
	}
	return router
}

// secretBacked is one registry's EPP registrar, made from its credentials
// Secret at the first call that finds the Secret: a registry configured
// before its Secret exists starts working once it is created, and until
// then every call fails with ReasonLoginFailed, naming the Secret, which the
// Domain shows. A Secret changed later takes effect at the next start.
type secretBacked struct {
	reader    client.Reader
	namespace string
	cfg       RegistryConfig
	clock     Clock

	mu  sync.Mutex
	reg *EPP
}

var (
	_ Registrar = (*secretBacked)(nil)
	_ Poller    = (*secretBacked)(nil)
)

// registrar is the EPP registrar, made now if it is not yet.
func (s *secretBacked) registrar(ctx context.Context) (*EPP, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reg != nil {
		return s.reg, nil
	}
	secret := &corev1.Secret{}
	where := fmt.Sprintf("registry %s, Secret %s/%s", s.cfg.Name, s.namespace, s.cfg.CredentialsSecret)
	if err := s.reader.Get(ctx, client.ObjectKey{Namespace: s.namespace, Name: s.cfg.CredentialsSecret}, secret); err != nil {
		return nil, &Error{Reason: ReasonLoginFailed, Err: fmt.Errorf("%s: %w", where, err)}
	}
	reg, err := NewEPP(EPPConfig{
		Name: s.cfg.Name, Address: s.cfg.Address, ServerName: s.cfg.ServerName, CAPEM: secret.Data[CredentialsCA],
		ClientID: string(secret.Data[CredentialsClientID]), Password: string(secret.Data[CredentialsPassword]),
		CertPEM: secret.Data[CredentialsCert], KeyPEM: secret.Data[CredentialsKey],
		MaxSessions: s.cfg.MaxSessions, CommandTimeout: s.cfg.CommandTimeout.Duration, Clock: s.clock,
	})
	if err != nil {
		return nil, &Error{Reason: ReasonLoginFailed, Err: fmt.Errorf("%s: %w", where, err)}
	}
	s.reg = reg
	return reg, nil
}

func (s *secretBacked) Register(ctx context.Context, d Domain) (Registration, error) {
	reg, err := s.registrar(ctx)
	if err != nil {
		return Registration{}, err
	}
	return reg.Register(ctx, d)
}

func (s *secretBacked) Renew(ctx context.Context, name string, expiresAt time.Time, years int32) (Registration, error) {
	reg, err := s.registrar(ctx)
	if err != nil {
		return Registration{}, err
	}
	return reg.Renew(ctx, name, expiresAt, years)
}

func (s *secretBacked) Update(ctx context.Context, d Domain) error {
	reg, err := s.registrar(ctx)
	if err != nil {
		return err
	}
	return reg.Update(ctx, d)
}

func (s *secretBacked) Delete(ctx context.Context, name string) error {
	reg, err := s.registrar(ctx)
	if err != nil {
		return err
	}
	return reg.Delete(ctx, name)
}

func (s *secretBacked) TransferIn(ctx context.Context, d Domain, authCode string) (Registration, error) {
	reg, err := s.registrar(ctx)
	if err != nil {
		return Registration{}, err
	}
	return reg.TransferIn(ctx, d, authCode)
}

func (s *secretBacked) SetTransferCode(ctx context.Context, name, code string) error {
	reg, err := s.registrar(ctx)
	if err != nil {
		return err
	}
	return reg.SetTransferCode(ctx, name, code)
}

func (s *secretBacked) Info(ctx context.Context, name string) (Status, error) {
	reg, err := s.registrar(ctx)
	if err != nil {
		return Status{}, err
	}
	return reg.Info(ctx, name)
}

func (s *secretBacked) Poll(ctx context.Context) (*Message, error) {
	reg, err := s.registrar(ctx)
	if err != nil {
		return nil, err
	}
	return reg.Poll(ctx)
}

func (s *secretBacked) Ack(ctx context.Context, id string) error {
	reg, err := s.registrar(ctx)
	if err != nil {
		return err
	}
	return reg.Ack(ctx, id)
}
