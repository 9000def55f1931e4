package numbering

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"clientarea.dev/clientarea-operator/internal/testenv"
)

// The ClaimStore is tested against a real API server (etcd and
// kube-apiserver with the project's CRDs, see internal/testenv), never a
// fake client: what matters is what the server makes of the NumberClaims.
// The server starts only when a test asks for it, so that the tests of the
// Sequence over a Store in memory stay fast when run alone.

var (
	envOnce sync.Once
	env     *testenv.Env
	envErr  error
	// names numbers the sequences of the tests, which share the server.
	names atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if env != nil {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// startEnv returns the API server, which it starts on first use.
func startEnv(t *testing.T) *testenv.Env {
	t.Helper()
	envOnce.Do(func() {
		// Not t.Context(): the server outlives the test that starts it.
		env, envErr = testenv.Start(context.Background())
	})
	if envErr != nil {
		t.Fatal(envErr)
	}
	return env
}

// uniqueName is a sequence (or series) name no other test, nor another run
// of this one (-count), uses, so that tests see only their own claims.
func uniqueName(base string) string {
	return fmt.Sprintf("%s-%d", base, names.Add(1))
}
