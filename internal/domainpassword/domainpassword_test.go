package domainpassword_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"clientarea.dev/clientarea-operator/internal/domainpassword"
)

// The reference implementation's Argon2id test vector (phc-winner-argon2,
// src/test.c: version 1.3, t=2, m=2^16 KiB, p=1, password "password", salt
// "somesalt"), in its own PHC encoding.
const referenceVector = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"

func TestKnownVector(t *testing.T) {
	ok, err := domainpassword.Verify("password", referenceVector)
	if err != nil || !ok {
		t.Fatalf("W7: the reference vector does not verify: %v, %v", ok, err)
	}
	ok, err = domainpassword.Verify("Password", referenceVector)
	if err != nil || ok {
		t.Fatalf("W7: another password verifies against the reference vector: %v, %v", ok, err)
	}
}

func TestHashVerifies(t *testing.T) {
	const password = "Xk7-pQ2_mN9aB4cD6eF8gH3j"
	encoded, err := domainpassword.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	// OWASP's parameters, a 16-byte salt (22 base64 characters) and a
	// 32-byte key (43).
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(encoded) {
		t.Fatalf("W7: hash %q is not an Argon2id PHC string with OWASP's parameters", encoded)
	}
	if strings.Contains(encoded, password) {
		t.Fatal("W7: the hash contains the password")
	}
	ok, err := domainpassword.Verify(password, encoded)
	if err != nil || !ok {
		t.Fatalf("W7: the password does not verify against its hash: %v, %v", ok, err)
	}
	for _, wrong := range []string{"", "Xk7-pQ2_mN9aB4cD6eF8gH3", password + "x", strings.ToLower(password), " " + password} {
		ok, err := domainpassword.Verify(wrong, encoded)
		if err != nil || ok {
			t.Errorf("W7: wrong password %q: %v, %v", wrong, ok, err)
		}
	}
	again, err := domainpassword.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	if again == encoded {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestMalformed(t *testing.T) {
	fields := strings.Split(referenceVector, "$")
	with := func(i int, value string) string {
		changed := append([]string(nil), fields...)
		changed[i] = value
		return strings.Join(changed, "$")
	}
	salt, key := fields[4], fields[5]
	for name, encoded := range map[string]string{
		"empty":                "",
		"plain text":           "password",
		"no leading $":         strings.TrimPrefix(referenceVector, "$"),
		"trailing $":           referenceVector + "$",
		"argon2i":              with(1, "argon2i"),
		"argon2d":              with(1, "argon2d"),
		"upper-case id":        with(1, "Argon2id"),
		"version 16":           with(2, "v=16"),
		"no version":           "$argon2id$m=65536,t=2,p=1$" + salt + "$" + key,
		"parameters reordered": with(3, "t=2,m=65536,p=1"),
		"parameter missing":    with(3, "m=65536,t=2"),
		"extra parameter":      with(3, "m=65536,t=2,p=1,x=1"),
		"leading zero":         with(3, "m=065536,t=2,p=1"),
		"plus sign":            with(3, "m=+65536,t=2,p=1"),
		"negative":             with(3, "m=65536,t=-2,p=1"),
		"zero passes":          with(3, "m=65536,t=0,p=1"),
		"zero lanes":           with(3, "m=65536,t=2,p=0"),
		"memory too large":     with(3, "m=4194304,t=2,p=1"),
		"too many passes":      with(3, "m=65536,t=1000,p=1"),
		"too many lanes":       with(3, "m=65536,t=2,p=255"),
		"memory below lanes":   with(3, "m=8,t=2,p=2"),
		"not a number":         with(3, "m=lots,t=2,p=1"),
		"padded salt":          with(4, salt+"="),
		"salt not base64":      with(4, "c29tZXNhbHQ!"),
		"url-safe base64 key":  with(5, strings.NewReplacer("+", "-", "/", "_").Replace(key)+"-_"),
		"salt too short":       with(4, "c2FsdA"),
		"key too short":        with(5, "a2V5"),
		"empty salt":           with(4, ""),
		"empty key":            with(5, ""),
		"non-canonical tail":   with(5, key[:len(key)-1]+"d"),
	} {
		ok, err := domainpassword.Verify("password", encoded)
		if ok || !errors.Is(err, domainpassword.ErrMalformed) {
			t.Errorf("%s (%q): want ErrMalformed and no match, got %v, %v", name, encoded, ok, err)
		}
	}
}

func ExampleVerify() {
	encoded, _ := domainpassword.Hash("the domain password")
	ok, err := domainpassword.Verify("the domain password", encoded)
	fmt.Println(ok, err)
	ok, err = domainpassword.Verify("a guess", encoded)
	fmt.Println(ok, err)
	// Output:
	// true <nil>
	// false <nil>
}

// TestHasherReusesWorkAreas hashes and verifies through one Hasher that
// runs one hash at a time, each in the work area of one before: every hash
// verifies (by the Hasher and by the package), a wrong password never does,
// the reference vector (m=64 MiB, above the kept areas' size) verifies too,
// and a caller whose context has ended gets its error instead of a hash.
func TestHasherReusesWorkAreas(t *testing.T) {
	ctx := context.Background()
	hasher := domainpassword.NewHasher(1)
	for i := range 4 {
		password := fmt.Sprintf("password-%d-Xk7pQ2mN9aB4cD6e", i)
		encoded, err := hasher.Hash(ctx, password)
		if err != nil {
			t.Fatal(err)
		}
		for _, verify := range []func(string, string) (bool, error){
			func(p, e string) (bool, error) { return hasher.Verify(ctx, p, e) }, domainpassword.Verify,
		} {
			if ok, err := verify(password, encoded); err != nil || !ok {
				t.Fatalf("W7: hash %d does not verify: %v, %v", i, ok, err)
			}
			if ok, err := verify(password+"x", encoded); err != nil || ok {
				t.Fatalf("W7: a wrong password verifies against hash %d: %v, %v", i, ok, err)
			}
		}
	}
	if ok, err := hasher.Verify(ctx, "password", referenceVector); err != nil || !ok {
		t.Fatalf("W7: the reference vector does not verify in a Hasher: %v, %v", ok, err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := hasher.Hash(cancelled, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a caller whose context has ended: want context.Canceled, got %v", err)
	}
}

// BenchmarkHash and BenchmarkHasher compare a domain password's hash in
// memory of its own (19 MiB allocated per hash) with one in a Hasher's
// reused work area (`go test -bench . -benchmem ./internal/domainpassword`).
func BenchmarkHash(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := domainpassword.Hash("Xk7-pQ2_mN9aB4cD6eF8gH3j"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHasher(b *testing.B) {
	hasher := domainpassword.NewHasher(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hasher.Hash(context.Background(), "Xk7-pQ2_mN9aB4cD6eF8gH3j"); err != nil {
			b.Fatal(err)
		}
	}
}
