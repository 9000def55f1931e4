package registrar

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadConfigShipped: the configuration the README shows is read as written.
func TestReadConfigShipped(t *testing.T) {
	cfg, err := ReadConfig(filepath.Join("..", "..", "config", "registry", "registries.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Registries) != 1 || cfg.Registries[0].Name != "test-registry" || cfg.Registries[0].CommandTimeout.Duration != 30*time.Second {
		t.Fatalf("read %+v", cfg)
	}
	router := Build(nil, "system", cfg, Builtin{}, nil)
	if _, ok := router.Routes["eu"].(*secretBacked); !ok {
		t.Fatalf(".eu is not routed to the registry: %+v", router.Routes)
	}
	if router.DeleteBefore("example.eu") != 0 || router.DeleteBefore("example.de") != 0 {
		t.Fatal("with a grace period, a domain is deleted at expiry, not before")
	}
}

// TestReadConfigErrors: each mistake is refused, naming its field.
func TestReadConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"registries:\n- name: Bad_Name\n  address: a:700\n  tlds: [de]\n  credentialsSecret: s\n", "registries[0].name"},
		{"registries:\n- name: r\n  tlds: [de]\n", "registries[0]: address and credentialsSecret are required"},
		{"registries:\n- name: r\n  address: a:700\n  credentialsSecret: s\n", "registries[0].tlds"},
		{"registries:\n- name: r\n  address: a:700\n  tlds: [.de]\n  credentialsSecret: s\n", `".de" is not a lowercase top-level domain`},
		{"registries:\n- {name: r, address: 'a:700', tlds: [de], credentialsSecret: s}\n- {name: q, address: 'b:700', tlds: [de], credentialsSecret: t}\n", `registries[1].tlds: "de" is served by r already`},
		{"registries: []\nbuiltin: sometimes\n", "builtin"},
		{"registries:\n- name: r\n  hostname: a:700\n", "hostname"},
		{"registries:\n- {name: r, address: 'a:700', tlds: [de], credentialsSecret: s, maxSessions: -1}\n", "cannot be negative"},
	} {
		path := filepath.Join(t.TempDir(), "registries.yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadConfig(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.yaml, err, tc.want)
		}
	}
}

// TestByTLD: the longest routed suffix wins; the rest go to the fallback,
// or fail with NoRegistry without one.
func TestByTLD(t *testing.T) {
	uk, couk, fallback := Builtin{}, &secretBacked{}, Builtin{Clock: nil}
	router := ByTLD{Routes: map[string]Registrar{"uk": uk, "co.uk": couk}, Grace: map[string]time.Duration{"co.uk": 0}}
	if reg, _ := router.For("example.co.uk"); reg != couk {
		t.Errorf("example.co.uk went to %v", reg)
	}
	if reg, _ := router.For("example.uk"); reg != uk {
		t.Errorf("example.uk went to %v", reg)
	}
	if _, err := router.For("example.de"); ReasonOf(err) != ReasonNoRegistry {
		t.Errorf("example.de without a fallback: %v", err)
	}
	if router.DeleteBefore("example.co.uk") != 24*time.Hour {
		t.Error("a registry without an auto-renew grace period: delete a day before expiry")
	}
	router.Fallback = fallback
	if reg, err := router.For("example.de"); err != nil || reg != fallback {
		t.Errorf("example.de with a fallback: %v %v", reg, err)
	}
}
