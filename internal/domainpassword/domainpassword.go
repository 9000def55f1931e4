// Package domainpassword hashes and verifies domain login passwords (D5,
// W7) with Argon2id, as PHC strings:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// salt and key in unpadded standard base64. The operator hashes the
// password it draws into the DomainCredential; the client area verifies what
// a visitor types against that hash, and never reads the password itself.
package domainpassword

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"clientarea.dev/clientarea-operator/internal/argon2"
)

// The parameters of new hashes: OWASP's Password Storage Cheat Sheet's
// first Argon2id choice (19 MiB of memory, 2 passes, 1 lane), a 16-byte
// random salt and a 32-byte key.
const (
	Memory     uint32 = 19 * 1024 // KiB
	Time       uint32 = 2
	Threads    uint8  = 1
	SaltLength        = 16
	KeyLength         = 32
)

// WorkAreaBytes is the memory of one hash with the parameters above (a work
// area, mapped outside the Go heap where the system allows it).
const WorkAreaBytes = int64(Memory) * 1024

// Bounds of what Verify accepts, so that a hash with raised parameters
// still verifies, and a malformed one cannot make it spend unbounded memory
// or time.
const (
	maxMemory     = 256 * 1024 // KiB: 256 MiB
	maxTime       = 16
	maxThreads    = 16
	minSaltLength = 8
	maxSaltLength = 64
	minKeyLength  = 16
	maxKeyLength  = 64
)

// ErrMalformed is returned (wrapped) by Verify for an encoded hash that is
// not an Argon2id PHC string within bounds.
var ErrMalformed = errors.New("malformed Argon2id hash")

var b64 = base64.RawStdEncoding.Strict()

// Hash returns the Argon2id PHC string of password, with a new random salt,
// in memory of its own (see Hasher to reuse it).
func Hash(password string) (string, error) { return hash(nil, password) }

func hash(work *argon2.WorkArea, password string) (string, error) {
	salt := make([]byte, SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("drawing a salt: %w", err)
	}
	return encode(work, params{memory: Memory, time: Time, threads: Threads}, salt, password), nil
}

// Hasher hashes and verifies at most a fixed number of passwords at once,
// and reuses the work areas (Memory each) of earlier hashes, so that a burst
// of hashes (an import of many domains, a wave of sign-ins) costs that
// memory once per hash running at a time, instead of leaving 19 MiB of
// garbage per hash for the garbage collector. It keeps exactly one area per
// hash that may run at once (a sync.Pool would keep one per CPU, and a
// second through a garbage collection), and lets them go when no hash has
// run for keepAreas, so that an idle manager holds none. A hash whose
// parameters need more memory than Memory is verified in memory of its own,
// so a kept area never grows past Memory.
type Hasher struct {
	// areas holds one entry per hash that may run at once: taking one is
	// the right to hash, nil until an area is first needed and again once
	// it has been let go.
	areas chan *argon2.WorkArea
	idle  *time.Timer
}

// keepAreas is how long the work areas are kept after the last hash.
const keepAreas = time.Minute

// NewHasher returns a Hasher that computes at most concurrent hashes at
// once (at least 1).
func NewHasher(concurrent int) *Hasher {
	h := &Hasher{areas: make(chan *argon2.WorkArea, max(concurrent, 1))}
	for range cap(h.areas) {
		h.areas <- nil
	}
	h.idle = time.AfterFunc(keepAreas, h.release)
	return h
}

// release lets go of the areas that no hash holds.
func (h *Hasher) release() {
	for range cap(h.areas) {
		select {
		case work := <-h.areas:
			if work != nil {
				work.Free()
			}
			h.areas <- nil
		default:
			return
		}
	}
}

// run calls hash with a work area once a slot is free, or returns ctx's
// error if it ends first.
func (h *Hasher) run(ctx context.Context, hash func(*argon2.WorkArea)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var work *argon2.WorkArea
	select {
	case work = <-h.areas:
	case <-ctx.Done():
		return ctx.Err()
	}
	if work == nil {
		work = &argon2.WorkArea{}
	}
	defer func() {
		h.areas <- work
		h.idle.Reset(keepAreas)
	}()
	hash(work)
	return nil
}

// Hash is the package's Hash in a reused work area.
func (h *Hasher) Hash(ctx context.Context, password string) (encoded string, err error) {
	if runErr := h.run(ctx, func(work *argon2.WorkArea) { encoded, err = hash(work, password) }); runErr != nil {
		return "", runErr
	}
	return encoded, err
}

// Verify is the package's Verify in a reused work area.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok bool, err error) {
	if runErr := h.run(ctx, func(work *argon2.WorkArea) { ok, err = verify(work, password, encoded) }); runErr != nil {
		return false, runErr
	}
	return ok, err
}

type params struct {
	memory, time uint32
	threads      uint8
}

func encode(work *argon2.WorkArea, p params, salt []byte, password string) string {
	key := areaFor(work, p).IDKey([]byte(password), salt, p.time, p.memory, p.threads, KeyLength)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify tells whether password matches the encoded hash. The comparison
// of the keys takes the same time wherever they differ. An encoded hash
// that does not parse is an error (ErrMalformed), never a match.
func Verify(password, encoded string) (bool, error) { return verify(nil, password, encoded) }

func verify(work *argon2.WorkArea, password, encoded string) (bool, error) {
	p, salt, key, err := parse(encoded)
	if err != nil {
		return false, err
	}
	got := areaFor(work, p).IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// areaFor is work when p fits in Memory, and otherwise nil: a work area
// for this hash alone, returned when it is done.
func areaFor(work *argon2.WorkArea, p params) *argon2.WorkArea {
	if p.memory > Memory {
		return nil
	}
	return work
}

// parse reads a PHC string strictly: exactly the fields of Argon2id version
// 19 in their order, decimal numbers without sign or leading zeros, and
// canonical unpadded base64.
func parse(encoded string) (params, []byte, []byte, error) {
	malformed := func(format string, args ...any) (params, []byte, []byte, error) {
		return params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" {
		return malformed("want $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>")
	}
	if fields[1] != "argon2id" {
		return malformed("algorithm %q, want argon2id", fields[1])
	}
	if fields[2] != "v="+strconv.Itoa(argon2.Version) {
		return malformed("version %q, want v=%d", fields[2], argon2.Version)
	}
	var p params
	names := []string{"m", "t", "p"}
	limits := []uint64{maxMemory, maxTime, maxThreads}
	values := make([]uint64, len(names))
	parts := strings.Split(fields[3], ",")
	if len(parts) != len(names) {
		return malformed("parameters %q, want m=<KiB>,t=<passes>,p=<lanes>", fields[3])
	}
	for i, part := range parts {
		value, ok := strings.CutPrefix(part, names[i]+"=")
		n, err := strconv.ParseUint(value, 10, 32)
		if !ok || err != nil || strconv.FormatUint(n, 10) != value || n < 1 || n > limits[i] {
			return malformed("parameter %q, want %s=<1 to %d>", part, names[i], limits[i])
		}
		values[i] = n
	}
	p.memory, p.time, p.threads = uint32(values[0]), uint32(values[1]), uint8(values[2])
	if p.memory < 8*uint32(p.threads) {
		return malformed("m=%d is below 8 KiB per lane", p.memory)
	}
	salt, err := b64.DecodeString(fields[4])
	if err != nil || len(salt) < minSaltLength || len(salt) > maxSaltLength {
		return malformed("salt: want %d to %d bytes in unpadded base64", minSaltLength, maxSaltLength)
	}
	key, err := b64.DecodeString(fields[5])
	if err != nil || len(key) < minKeyLength || len(key) > maxKeyLength {
		return malformed("key: want %d to %d bytes in unpadded base64", minKeyLength, maxKeyLength)
	}
	return p, salt, key, nil
}
