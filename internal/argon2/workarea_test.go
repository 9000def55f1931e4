package argon2

import (
	"bytes"
	"crypto/rand"
	"testing"

	upstream "golang.org/x/crypto/argon2"
)

// TestWorkAreaMatchesXCrypto reuses one work area across keys of different
// passwords, salts, passes, lanes and memory sizes (growing and shrinking),
// and checks each against golang.org/x/crypto/argon2's IDKey: memory left by
// an earlier key never changes a later one.
func TestWorkAreaMatchesXCrypto(t *testing.T) {
	work := &WorkArea{}
	cases := []struct {
		time, memory uint32
		threads      uint8
	}{
		{2, 19 * 1024, 1}, {1, 64, 1}, {3, 256, 4}, {2, 19 * 1024, 1}, {1, 8 * 1024, 2}, {2, 19 * 1024, 1},
	}
	for i, c := range cases {
		password, salt := make([]byte, 1+i*7), make([]byte, 16)
		_, _ = rand.Read(password)
		_, _ = rand.Read(salt)
		got := work.IDKey(password, salt, c.time, c.memory, c.threads, 32)
		want := upstream.IDKey(password, salt, c.time, c.memory, c.threads, 32)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d (t=%d m=%d p=%d): work area key %x, x/crypto %x", i, c.time, c.memory, c.threads, got, want)
		}
	}
	for i, b := range work.memory {
		if b != (block{}) {
			t.Fatalf("block %d of the work area still holds data after the key was derived", i)
		}
	}
}

// BenchmarkWorkArea is the domain password's hash (19 MiB, 2 passes, 1
// lane) in a reused work area: no allocation beyond the key.
func BenchmarkWorkArea(b *testing.B) {
	work := &WorkArea{}
	password, salt := []byte("a 24-character password"), make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		work.IDKey(password, salt, 2, 19*1024, 1, 32)
	}
}
