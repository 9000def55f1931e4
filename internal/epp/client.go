// Package epp is a client of the Extensible Provisioning Protocol (RFC
// 5730) over TLS (RFC 5734), with the domain, contact and host mappings
// (RFC 5731 to 5733) and the redemption grace period extension (RFC 3915).
//
// A Client keeps a small pool of logged-in sessions, sends a unique clTRID
// with every command, keeps idle sessions alive with hello, replaces a
// session that broke, and backs off exponentially after a failed connect or
// login so that a wrong password does not hammer the registry. It logs
// nothing, so it can leak no password or authInfo.
package epp

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Client.
type Config struct {
	// Address is the registry's host:port.
	Address string
	// TLS carries the client certificate and the trusted roots; its
	// MinVersion is raised to TLS 1.2 and an empty ServerName becomes the
	// host of Address.
	TLS                *tls.Config
	ClientID, Password string
	// MaxSessions bounds the sessions open at once (registries limit them);
	// default 1. Commands beyond it wait for a free session.
	MaxSessions int
	// CommandTimeout bounds each command, and separately the connect and
	// the login; default 30s.
	CommandTimeout time.Duration
	// KeepAlive is the longest an idle session stays silent before the
	// client says hello; set it below the registry's idle timeout. Default
	// 5m; negative disables keep-alive.
	KeepAlive time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failed connect or
	// login, doubling from one to the other; defaults 1s and 1m. While it
	// lasts, commands that need a new session fail at once with the last
	// error.
	MinBackoff, MaxBackoff time.Duration
	// MaxFrameSize bounds the frames accepted; default DefaultMaxFrameSize.
	MaxFrameSize int
	// ClTRIDPrefix starts every client transaction identifier, to find
	// them in the registry's logs; at most 32 characters, default "ca".
	ClTRIDPrefix string
	// Now times the back-off; default time.Now.
	Now func() time.Time
}

// String describes the configuration without the password, should it end
// up in a log.
func (c Config) String() string {
	return fmt.Sprintf("epp.Config{Address: %q, ClientID: %q, MaxSessions: %d, CommandTimeout: %s, KeepAlive: %s}",
		c.Address, c.ClientID, c.MaxSessions, c.CommandTimeout, c.KeepAlive)
}

// Client is a pool of EPP sessions with one registry, safe for concurrent
// use.
type Client struct {
	cfg Config
	// slots holds one token per session in use; a session outside the idle
	// list always belongs to a slot holder, so sessions never outnumber
	// MaxSessions.
	slots chan struct{}
	ids   transactionIDs
	done  chan struct{}
	wg    sync.WaitGroup

	mu       sync.Mutex
	idle     []*session
	closed   bool
	greeting *Greeting
	backoff  backoff
}

// NewClient validates cfg and starts the keep-alive; sessions are opened
// when commands need them.
func NewClient(cfg Config) (*Client, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	ids, err := newTransactionIDs(cfg.ClTRIDPrefix)
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     cfg,
		slots:   make(chan struct{}, cfg.MaxSessions),
		ids:     ids,
		done:    make(chan struct{}),
		backoff: backoff{min: cfg.MinBackoff, max: cfg.MaxBackoff},
	}
	if cfg.KeepAlive > 0 {
		c.wg.Add(1)
		go c.keepAlive()
	}
	return c, nil
}

func withDefaults(cfg Config) (Config, error) {
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil {
		return cfg, fmt.Errorf("epp: Address %q: %w", cfg.Address, err)
	}
	if cfg.ClientID == "" || cfg.Password == "" {
		return cfg, errors.New("epp: ClientID and Password are required")
	}
	if len(cfg.ClTRIDPrefix) > 32 {
		return cfg, errors.New("epp: ClTRIDPrefix is longer than 32 characters")
	}
	cfg.TLS = tlsConfig(cfg.TLS, host)
	setDefault(&cfg.MaxSessions, 1)
	setDefault(&cfg.CommandTimeout, 30*time.Second)
	setDefault(&cfg.KeepAlive, 5*time.Minute)
	setDefault(&cfg.MinBackoff, time.Second)
	setDefault(&cfg.MaxBackoff, time.Minute)
	setDefault(&cfg.MaxFrameSize, DefaultMaxFrameSize)
	setDefault(&cfg.ClTRIDPrefix, "ca")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func tlsConfig(base *tls.Config, host string) *tls.Config {
	cfg := &tls.Config{}
	if base != nil {
		cfg = base.Clone()
	}
	if cfg.MinVersion < tls.VersionTLS12 {
		cfg.MinVersion = tls.VersionTLS12
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return cfg
}

// Greeting is the registry's latest greeting, connecting if no session has
// been opened yet.
func (c *Client) Greeting(ctx context.Context) (Greeting, error) {
	c.mu.Lock()
	g := c.greeting
	c.mu.Unlock()
	if g != nil {
		return *g, nil
	}
	s, err := c.acquire(ctx)
	if err != nil {
		return Greeting{}, err
	}
	greeting := s.greeting
	c.release(s)
	return greeting, nil
}

// command runs one command on a pooled session with its own clTRID and
// the command timeout.
func (c *Client) command(ctx context.Context, name string, cmd commandXML) (*responseXML, error) {
	s, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer c.release(s)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CommandTimeout)
	defer cancel()
	cmd.ClTRID = c.ids.next()
	return s.command(ctx, name, cmd)
}

// acquire takes a slot, then an idle session or a new one.
func (c *Client) acquire(ctx context.Context) (*session, error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("epp: waiting for a free session: %w", ctx.Err())
	case <-c.done:
		return nil, ErrClosed
	}
	s, err := c.takeIdle()
	if err == nil && s == nil {
		s, err = c.open(ctx)
	}
	if err != nil {
		<-c.slots
		return nil, err
	}
	return s, nil
}

// release returns a session to the idle list, or closes it if it broke or
// the client closed, and frees its slot.
func (c *Client) release(s *session) {
	c.mu.Lock()
	keep := !s.broken && !c.closed
	if keep {
		c.idle = append(c.idle, s)
	}
	c.mu.Unlock()
	if !keep {
		_ = s.close()
	}
	<-c.slots
}

// takeIdle pops the most recently used idle session, if any.
func (c *Client) takeIdle() (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if n := len(c.idle); n > 0 {
		s := c.idle[n-1]
		c.idle = c.idle[:n-1]
		return s, nil
	}
	return nil, nil
}

// open connects and logs in, unless a recent failure is still being backed
// off: then it fails at once with that failure.
func (c *Client) open(ctx context.Context) (*session, error) {
	c.mu.Lock()
	err := c.backoff.wait(c.cfg.Now())
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	s, err := c.connect(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.backoff.fail(c.cfg.Now(), err)
		return nil, err
	}
	c.backoff.succeed()
	g := s.greeting
	c.greeting = &g
	return s, nil
}

func (c *Client) connect(ctx context.Context) (*session, error) {
	dialCtx, cancel := context.WithTimeout(ctx, c.cfg.CommandTimeout)
	defer cancel()
	s, err := dial(dialCtx, c.cfg.Address, c.cfg.TLS, c.cfg.MaxFrameSize)
	if err != nil {
		return nil, err
	}
	loginCtx, cancel := context.WithTimeout(ctx, c.cfg.CommandTimeout)
	defer cancel()
	if err := s.login(loginCtx, c.cfg.ClientID, c.cfg.Password, c.ids.next()); err != nil {
		_ = s.close()
		return nil, err
	}
	return s, nil
}

// keepAlive says hello on sessions idle for half the KeepAlive period, so
// that none stays silent longer than KeepAlive.
func (c *Client) keepAlive() {
	defer c.wg.Done()
	interval := c.cfg.KeepAlive / 2
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-ticker.C:
			c.refreshIdle(time.Now().Add(-interval))
		}
	}
}

// refreshIdle says hello on each session idle since before cutoff. It
// takes a slot per session like any command, and skips the round when
// every slot is busy (then no session is idle for long anyway).
func (c *Client) refreshIdle(cutoff time.Time) {
	for {
		select {
		case c.slots <- struct{}{}:
		default:
			return
		}
		s := c.takeStale(cutoff)
		if s == nil {
			<-c.slots
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.CommandTimeout)
		_ = s.hello(ctx)
		cancel()
		c.release(s)
	}
}

// takeStale removes the least recently used idle session if it was last
// used before cutoff.
func (c *Client) takeStale(cutoff time.Time) *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.idle) == 0 || !c.idle[0].lastUsed.Before(cutoff) {
		return nil
	}
	s := c.idle[0]
	c.idle = c.idle[1:]
	return s
}

// Close logs out of the idle sessions and closes them; sessions in use
// close when their command ends. Commands after Close fail with ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	idle := c.idle
	c.idle = nil
	c.mu.Unlock()
	close(c.done)
	c.wg.Wait()
	var errs []error
	for _, s := range idle {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.CommandTimeout)
		errs = append(errs, s.logout(ctx, c.ids.next()))
		cancel()
	}
	return errors.Join(errs...)
}

// backoff spaces out connect attempts after failures: MinBackoff after the
// first, doubling up to MaxBackoff, until one succeeds.
type backoff struct {
	min, max time.Duration
	failures int
	until    time.Time
	last     error
}

func (b *backoff) wait(now time.Time) error {
	if b.last == nil || !now.Before(b.until) {
		return nil
	}
	return fmt.Errorf("epp: not reconnecting for %s after: %w", b.until.Sub(now).Round(time.Millisecond), b.last)
}

func (b *backoff) fail(now time.Time, err error) {
	d := b.min
	for i := 0; i < b.failures && d < b.max; i++ {
		d *= 2
	}
	b.until = now.Add(min(d, b.max))
	b.failures++
	b.last = err
}

func (b *backoff) succeed() {
	b.failures = 0
	b.last = nil
}

// transactionIDs makes clTRIDs unique across clients and restarts: the
// prefix, a random part drawn per client, and a counter.
type transactionIDs struct {
	base    string
	counter *atomic.Uint64
}

func newTransactionIDs(prefix string) (transactionIDs, error) {
	random := make([]byte, 6)
	if _, err := rand.Read(random); err != nil {
		return transactionIDs{}, fmt.Errorf("epp: drawing a transaction prefix: %w", err)
	}
	return transactionIDs{base: prefix + "-" + hex.EncodeToString(random) + "-", counter: new(atomic.Uint64)}, nil
}

func (t transactionIDs) next() string {
	return t.base + strconv.FormatUint(t.counter.Add(1), 10)
}
