package epp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestErrorResult(t *testing.T) {
	f, cfg := startFake(t, func(req fakeRequest) string {
		if req.Command != "domain:create" {
			return "-"
		}
		return strings.Replace(reply(req, 2302, ""), `<msg>result 2302</msg>`, `<msg>Object exists</msg>`+
			`<extValue><value><domain:name xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">a.example</domain:name></value><reason>already registered</reason></extValue>`, 1)
	})
	c := newTestClient(t, cfg)
	_, err := c.DomainCreate(testCtx(t), DomainCreate{Name: "a.example", AuthInfo: "code-1234"})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeObjectExists || e.Message != "Object exists" || e.Reason != "already registered" || e.Command != "domain:create" {
		t.Fatalf("error %#v", err)
	}
	if !IsPermanent(err) || IsRetryable(err) || IsSessionFatal(err) || IsLoginFailed(err) || CodeOf(err) != 2302 {
		t.Errorf("2302 misclassified")
	}
	if _, err := c.DomainDelete(testCtx(t), "a.example"); err != nil {
		t.Fatal(err)
	}
	if n := f.count("login"); n != 1 {
		t.Errorf("%d logins: an error result must not end the session", n)
	}
}

// TestBrokenSessions: a session that broke is discarded, and the next
// command logs in on a new one.
func TestBrokenSessions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(req fakeRequest) string
		check  func(error) bool
	}{
		{"2500 closing", func(req fakeRequest) string { return reply(req, 2500, "") },
			func(err error) bool { return CodeOf(err) == 2500 }},
		{"dropped connection", func(fakeRequest) string { return "" },
			func(err error) bool { _, ok := errors.AsType[*NetError](err); return ok }},
		{"wrong clTRID", func(req fakeRequest) string { return strings.Replace(reply(req, 1000, ""), req.ClTRID, "other-1", 1) },
			func(err error) bool { return errors.Is(err, ErrProtocol) }},
		{"not EPP", func(fakeRequest) string { return "<html/>" },
			func(err error) bool { return errors.Is(err, ErrProtocol) }},
		{"frame too large", func(req fakeRequest) string { return reply(req, 1000, strings.Repeat(" ", 2000)) },
			func(err error) bool { return errors.Is(err, ErrFrameSize) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var failed atomic.Bool
			f, cfg := startFake(t, func(req fakeRequest) string {
				if req.Command == "domain:delete" && !failed.Swap(true) {
					return tc.answer(req)
				}
				return "-"
			})
			cfg.MaxFrameSize = 1500
			c := newTestClient(t, cfg)
			_, err := c.DomainDelete(testCtx(t), "a.example")
			if err == nil || !tc.check(err) {
				t.Fatalf("error %v", err)
			}
			if !IsSessionFatal(err) || !IsRetryable(err) || IsPermanent(err) {
				t.Errorf("%v: want session-fatal and retryable", err)
			}
			if _, err := c.DomainDelete(testCtx(t), "a.example"); err != nil {
				t.Fatalf("the next command: %v", err)
			}
			if n := f.count("login"); n != 2 {
				t.Errorf("%d logins, want a new session", n)
			}
		})
	}
}

// fakeTime is a clock the back-off tests move.
type fakeTime struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) step(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func TestLoginBackoff(t *testing.T) {
	var refuse atomic.Bool
	refuse.Store(true)
	f, cfg := startFake(t, func(req fakeRequest) string {
		if req.Command == "login" && refuse.Load() {
			return reply(req, 2200, "")
		}
		return "-"
	})
	clock := &fakeTime{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg.Now = clock.Now
	c := newTestClient(t, cfg)
	attempt := func(wantLogins int) {
		t.Helper()
		_, err := c.DomainDelete(testCtx(t), "a.example")
		if !IsLoginFailed(err) || IsRetryable(err) || CodeOf(err) != 2200 {
			t.Fatalf("error %v: want the login failure", err)
		}
		if n := f.count("login"); n != wantLogins {
			t.Fatalf("%d login attempts, want %d", n, wantLogins)
		}
	}
	attempt(1)
	attempt(1) // within the 1s back-off: the last error, no login
	clock.step(time.Second)
	attempt(2)
	clock.step(time.Second) // the back-off doubled to 2s
	attempt(2)
	clock.step(time.Second)
	attempt(3)
	for range 10 {
		clock.step(time.Hour)
		c.mu.Lock()
		c.backoff.fail(clock.Now(), errors.New("x"))
		wait := c.backoff.until.Sub(clock.Now())
		c.mu.Unlock()
		if wait > time.Minute {
			t.Fatalf("back-off %s beyond the 1m cap", wait)
		}
	}
	refuse.Store(false)
	clock.step(time.Minute)
	if _, err := c.DomainDelete(testCtx(t), "a.example"); err != nil {
		t.Fatalf("after the back-off: %v", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.backoff.failures != 0 {
		t.Errorf("a successful login did not reset the back-off")
	}
}

func TestLoginCodes(t *testing.T) {
	for _, tc := range []struct {
		code                int
		loginFailed, closes bool
	}{
		{2200, true, false},
		{2501, true, true},
		{2502, false, true},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			_, cfg := startFake(t, func(req fakeRequest) string {
				if req.Command == "login" {
					return reply(req, tc.code, "")
				}
				return "-"
			})
			_, err := newTestClient(t, cfg).DomainDelete(testCtx(t), "a.example")
			if IsLoginFailed(err) != tc.loginFailed || IsSessionFatal(err) != tc.closes || IsRetryable(err) == tc.loginFailed {
				t.Errorf("%v: login failed %v, session fatal %v, retryable %v", err, IsLoginFailed(err), IsSessionFatal(err), IsRetryable(err))
			}
		})
	}
}

func TestHandshakeRefused(t *testing.T) {
	_, cfg := startFake(t, nil)
	cfg.TLS = &tls.Config{RootCAs: cfg.TLS.RootCAs} // no client certificate
	_, err := newTestClient(t, cfg).DomainDelete(testCtx(t), "a.example")
	if !IsLoginFailed(err) {
		t.Errorf("%v: a refused client certificate is a login failure", err)
	}
	_, cfg = startFake(t, nil)
	cfg.TLS = &tls.Config{Certificates: cfg.TLS.Certificates} // the server is not trusted
	_, err = newTestClient(t, cfg).DomainDelete(testCtx(t), "a.example")
	if !IsLoginFailed(err) {
		t.Errorf("%v: an untrusted registry certificate is a handshake failure", err)
	}
}

func TestKeepAlive(t *testing.T) {
	f, cfg := startFake(t, nil)
	cfg.KeepAlive = 100 * time.Millisecond
	c := newTestClient(t, cfg)
	if _, err := c.DomainDelete(testCtx(t), "a.example"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.count("hello") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := f.count("hello"); n < 2 {
		t.Fatalf("%d hellos on an idle session", n)
	}
	if _, err := c.DomainDelete(testCtx(t), "a.example"); err != nil || f.count("login") != 1 {
		t.Errorf("after keep-alive: %v, %d logins", err, f.count("login"))
	}
}

func TestMaxSessions(t *testing.T) {
	f, cfg := startFake(t, func(req fakeRequest) string {
		if req.Command == "domain:delete" {
			time.Sleep(30 * time.Millisecond)
		}
		return "-"
	})
	cfg.MaxSessions = 2
	c := newTestClient(t, cfg)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.DomainDelete(testCtx(t), "a.example"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	f.mu.Lock()
	maxOpen := f.maxOpen
	f.mu.Unlock()
	if maxOpen != 2 || f.count("login") != 2 {
		t.Errorf("%d connections at once, %d logins; want 2", maxOpen, f.count("login"))
	}
}

func TestCommandTimeout(t *testing.T) {
	var slow atomic.Bool
	slow.Store(true)
	f, cfg := startFake(t, func(req fakeRequest) string {
		if req.Command == "domain:delete" && slow.Swap(false) {
			time.Sleep(time.Second)
		}
		return "-"
	})
	cfg.CommandTimeout = 100 * time.Millisecond
	c := newTestClient(t, cfg)
	start := time.Now()
	_, err := c.DomainDelete(testCtx(t), "a.example")
	if !errors.Is(err, context.DeadlineExceeded) || !IsRetryable(err) || !IsSessionFatal(err) {
		t.Fatalf("error %v: want a retryable deadline", err)
	}
	if elapsed := time.Since(start); elapsed > 800*time.Millisecond {
		t.Errorf("the command took %s", elapsed)
	}
	if _, err := c.DomainDelete(testCtx(t), "a.example"); err != nil {
		t.Fatalf("the next command: %v", err)
	}
	if n := f.count("login"); n != 2 {
		t.Errorf("%d logins", n)
	}
}

func TestCallerCancels(t *testing.T) {
	_, cfg := startFake(t, func(req fakeRequest) string {
		if req.Command == "domain:delete" {
			time.Sleep(time.Second)
		}
		return "-"
	})
	c := newTestClient(t, cfg)
	ctx, cancel := context.WithCancel(testCtx(t))
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.DomainDelete(ctx, "a.example")
	if !errors.Is(err, context.Canceled) || time.Since(start) > 900*time.Millisecond {
		t.Errorf("error %v after %s", err, time.Since(start))
	}
}

func TestCloseLogsOut(t *testing.T) {
	f, cfg := startFake(t, nil)
	c := newTestClient(t, cfg)
	if _, err := c.DomainDelete(testCtx(t), "a.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := f.count("logout"); n != 1 {
		t.Errorf("%d logouts", n)
	}
	if _, err := c.DomainDelete(testCtx(t), "a.example"); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNewClientValidates(t *testing.T) {
	valid := Config{Address: "127.0.0.1:700", ClientID: "reg", Password: "pw-123456"}
	for name, modify := range map[string]func(*Config){
		"address":  func(c *Config) { c.Address = "no-port" },
		"clientID": func(c *Config) { c.ClientID = "" },
		"password": func(c *Config) { c.Password = "" },
		"prefix":   func(c *Config) { c.ClTRIDPrefix = strings.Repeat("p", 33) },
	} {
		cfg := valid
		modify(&cfg)
		if _, err := NewClient(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	c, err := NewClient(valid)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if c.cfg.TLS.MinVersion != tls.VersionTLS12 || c.cfg.TLS.ServerName != "127.0.0.1" || c.cfg.MaxSessions != 1 {
		t.Errorf("defaults %+v", c.cfg)
	}
}

func TestClassification(t *testing.T) {
	netErr := &NetError{Command: "domain:info", Err: errors.New("connection reset")}
	for _, tc := range []struct {
		err                                        error
		retryable, fatal, permanent, loginRejected bool
	}{
		{&Error{Command: "domain:info", Code: 2400}, true, false, false, false},
		{&Error{Command: "domain:info", Code: 2500}, true, true, false, false},
		{&Error{Command: "domain:info", Code: 2501}, true, true, false, false},
		{&Error{Command: "login", Code: 2501}, false, true, false, true},
		{&Error{Command: "login", Code: 2200}, false, false, false, true},
		{&Error{Command: "domain:info", Code: 2502}, true, true, false, false},
		{&Error{Command: "domain:create", Code: 2302}, false, false, true, false},
		{&Error{Command: "domain:create", Code: 2005}, false, false, true, false},
		{&Error{Command: "domain:renew", Code: 2105}, false, false, true, false},
		{&Error{Command: "domain:info", Code: 2201}, false, false, true, false},
		{netErr, true, true, false, false},
		{fmt.Errorf("wrapped: %w", netErr), true, true, false, false},
		{&NetError{Command: "connect", Handshake: true, Err: errors.New("bad certificate")}, false, true, false, true},
		{context.DeadlineExceeded, true, true, false, false},
		{ErrClosed, false, false, false, false},
	} {
		if IsRetryable(tc.err) != tc.retryable || IsSessionFatal(tc.err) != tc.fatal ||
			IsPermanent(tc.err) != tc.permanent || IsLoginFailed(tc.err) != tc.loginRejected {
			t.Errorf("%v: retryable %v fatal %v permanent %v login %v", tc.err,
				IsRetryable(tc.err), IsSessionFatal(tc.err), IsPermanent(tc.err), IsLoginFailed(tc.err))
		}
	}
}
