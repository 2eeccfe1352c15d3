package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"runtime"
	"sync/atomic"
)

// Algorithm names a hashing algorithm the Hasher can produce.
type Algorithm string

// Algorithms a Hasher produces. Verify additionally accepts argon2i,
// passlib's pbkdf2 (SHA-1) and pbkdf2-sha512, and Django's pbkdf2_sha1; such
// hashes always report that they need a rehash.
const (
	Argon2id     Algorithm = "argon2id"
	Bcrypt       Algorithm = "bcrypt"
	PBKDF2SHA256 Algorithm = "pbkdf2-sha256"
)

// Argon2idParams are argon2 cost parameters. A zero field means "the default"
// wherever a params value is accepted.
type Argon2idParams struct {
	// Memory in KiB.
	Memory uint32
	// Time is the number of passes over memory.
	Time uint32
	// Threads is the degree of parallelism (lanes).
	Threads uint8
	// SaltLength in bytes (ignored by WithMaxArgon2id).
	SaltLength uint32
	// KeyLength is the length of the derived hash in bytes (ignored by
	// WithMaxArgon2id).
	KeyLength uint32
}

// Default parameters. The argon2id default is RFC 9106 §4's second
// recommended option (m = 64 MiB, t = 3, p = 4; also argon2-cffi's default),
// above OWASP's minimum of m = 19 MiB, t = 2, p = 1. RFC 9106's first option
// (m = 2 GiB) is too much memory for a login endpoint serving several
// requests at once.
var (
	defaultArgon2id    = Argon2idParams{Memory: 64 * 1024, Time: 3, Threads: 4, SaltLength: 16, KeyLength: 32}
	defaultMaxArgon2id = Argon2idParams{Memory: 256 * 1024, Time: 16, Threads: 16}
)

const (
	defaultBcryptCost       = 12
	defaultPBKDF2Iterations = 600_000
	defaultMaxBcryptCost    = 16
	defaultMaxPBKDF2Iter    = 5_000_000

	// Floors below which NewHasher refuses to produce hashes unless
	// WithInsecureParameters is given (OWASP Password Storage Cheat Sheet).
	minArgon2Memory     = 19 * 1024
	minArgon2Time       = 2
	minBcryptCost       = 10
	minPBKDF2Iterations = 600_000

	// MaxPasswordBytes is the longest password Hash and Verify accept.
	// Longer input is refused with ErrPasswordTooLong, never truncated.
	MaxPasswordBytes = 4096

	maxSaltBytes  = 128
	maxKeyBytes   = 128
	maxEncodedLen = 1024
)

type config struct {
	alg              Algorithm
	argon2           Argon2idParams
	bcryptCost       int
	pbkdf2Iterations int
	concurrency      int
	maxArgon2        Argon2idParams
	maxBcryptCost    int
	maxPBKDF2Iter    int
	insecure         bool
}

func defaultConfig() config {
	return config{
		alg:              Argon2id,
		argon2:           defaultArgon2id,
		bcryptCost:       defaultBcryptCost,
		pbkdf2Iterations: defaultPBKDF2Iterations,
		concurrency:      runtime.GOMAXPROCS(0),
		maxArgon2:        defaultMaxArgon2id,
		maxBcryptCost:    defaultMaxBcryptCost,
		maxPBKDF2Iter:    defaultMaxPBKDF2Iter,
	}
}

// Option configures a Hasher.
type Option func(*config)

// WithArgon2id makes argon2id the algorithm for new hashes, with the given
// parameters; zero fields take the defaults.
// Default: argon2id with Memory 64 MiB (65536 KiB), Time 3, Threads 4,
// SaltLength 16, KeyLength 32.
func WithArgon2id(p Argon2idParams) Option {
	return func(c *config) {
		c.alg = Argon2id
		c.argon2 = fillArgon2(p, defaultArgon2id)
	}
}

// WithBcrypt makes bcrypt the algorithm for new hashes, at the given cost
// (log2 of the rounds). bcrypt uses only the first 72 bytes of a password;
// longer passwords are refused with ErrPasswordTooLong.
// Default: not selected; cost 12 when selected with 0.
func WithBcrypt(cost int) Option {
	return func(c *config) {
		c.alg = Bcrypt
		if cost != 0 {
			c.bcryptCost = cost
		}
	}
}

// WithPBKDF2SHA256 makes PBKDF2-HMAC-SHA256 the algorithm for new hashes,
// with the given iteration count (at least 600,000, OWASP's figure); the
// encoding is passlib's $pbkdf2-sha256$. Use it only where FIPS 140 requires
// it: argon2id resists GPU attacks far better.
// Default: not selected; 600000 iterations when selected with 0.
func WithPBKDF2SHA256(iterations int) Option {
	return func(c *config) {
		c.alg = PBKDF2SHA256
		if iterations != 0 {
			c.pbkdf2Iterations = iterations
		}
	}
}

// WithConcurrency bounds how many hash computations (Hash, Verify,
// VerifyDummy) run at once; the others wait, honouring their context. Peak
// memory for argon2 is about n × the argon2 memory parameter (for a stored
// hash: n × its m, at most n × the WithMaxArgon2id memory).
// Default: runtime.GOMAXPROCS(0).
func WithConcurrency(n int) Option {
	return func(c *config) { c.concurrency = n }
}

// WithMaxArgon2id bounds the argon2 parameters Verify accepts from a stored
// hash; a hash over any bound fails with ErrHashLimits before any work is
// done. Zero fields take the defaults.
// Default: Memory 256 MiB (262144 KiB), Time 16, Threads 16.
func WithMaxArgon2id(p Argon2idParams) Option {
	return func(c *config) { c.maxArgon2 = fillArgon2(p, defaultMaxArgon2id) }
}

// WithMaxBcryptCost bounds the bcrypt cost Verify accepts from a stored hash.
// Default: 16.
func WithMaxBcryptCost(cost int) Option {
	return func(c *config) { c.maxBcryptCost = cost }
}

// WithMaxPBKDF2Iterations bounds the PBKDF2 work Verify accepts from a stored
// hash: iterations × output blocks.
// Default: 5000000.
func WithMaxPBKDF2Iterations(n int) Option {
	return func(c *config) { c.maxPBKDF2Iter = n }
}

// WithInsecureParameters lets the Hasher produce hashes with parameters below
// the OWASP floors (argon2 m < 19 MiB or t < 2, bcrypt cost < 10, PBKDF2 <
// 600,000 iterations). FOR TESTS ONLY: NEVER USE IT IN PRODUCTION.
// Default: off.
func WithInsecureParameters() Option {
	return func(c *config) { c.insecure = true }
}

func fillArgon2(p, def Argon2idParams) Argon2idParams {
	if p.Memory == 0 {
		p.Memory = def.Memory
	}
	if p.Time == 0 {
		p.Time = def.Time
	}
	if p.Threads == 0 {
		p.Threads = def.Threads
	}
	if p.SaltLength == 0 {
		p.SaltLength = def.SaltLength
	}
	if p.KeyLength == 0 {
		p.KeyLength = def.KeyLength
	}
	return p
}

func (c *config) validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, a...)...)
	}
	if c.concurrency < 1 {
		return bad("concurrency %d < 1", c.concurrency)
	}
	if c.maxBcryptCost < 4 || c.maxBcryptCost > 31 {
		return bad("max bcrypt cost %d outside 4..31", c.maxBcryptCost)
	}
	if c.maxPBKDF2Iter < 1 {
		return bad("max PBKDF2 iterations %d < 1", c.maxPBKDF2Iter)
	}
	a := c.argon2
	switch c.alg {
	case Argon2id:
		if a.Time < 1 || a.Threads < 1 || a.Memory < 8*uint32(a.Threads) {
			return bad("argon2id parameters m=%d t=%d p=%d invalid", a.Memory, a.Time, a.Threads)
		}
		if a.SaltLength < 8 || a.SaltLength > maxSaltBytes || a.KeyLength < 16 || a.KeyLength > maxKeyBytes {
			return bad("argon2id salt length %d or key length %d out of range", a.SaltLength, a.KeyLength)
		}
		if !c.insecure && (a.Memory < minArgon2Memory || a.Time < minArgon2Time) {
			return bad("argon2id m=%d t=%d below the OWASP floor (m=%d, t=%d)", a.Memory, a.Time, minArgon2Memory, minArgon2Time)
		}
		if a.Memory > c.maxArgon2.Memory || a.Time > c.maxArgon2.Time || a.Threads > c.maxArgon2.Threads {
			return bad("argon2id parameters exceed the configured maxima")
		}
	case Bcrypt:
		if c.bcryptCost < 4 || c.bcryptCost > c.maxBcryptCost {
			return bad("bcrypt cost %d outside 4..%d", c.bcryptCost, c.maxBcryptCost)
		}
		if !c.insecure && c.bcryptCost < minBcryptCost {
			return bad("bcrypt cost %d below %d", c.bcryptCost, minBcryptCost)
		}
	case PBKDF2SHA256:
		if c.pbkdf2Iterations < 1 || c.pbkdf2Iterations > c.maxPBKDF2Iter {
			return bad("PBKDF2 iterations %d outside 1..%d", c.pbkdf2Iterations, c.maxPBKDF2Iter)
		}
		if !c.insecure && c.pbkdf2Iterations < minPBKDF2Iterations {
			return bad("PBKDF2 iterations %d below %d", c.pbkdf2Iterations, minPBKDF2Iterations)
		}
	default:
		return bad("unknown algorithm %q", c.alg)
	}
	return nil
}

// Hasher hashes and verifies passwords. It is safe for concurrent use; every
// computation passes through a concurrency limit so a login flood queues
// instead of exhausting memory.
type Hasher struct {
	cfg      config
	sem      chan struct{}
	inFlight atomic.Int64
	dummy    string

	// computations counts key derivations performed (tests observe it).
	computations atomic.Uint64
	// afterAcquire, when set by tests, is called with the in-flight count
	// right after a slot is taken.
	afterAcquire func(inFlight int64)
}

// NewHasher returns a Hasher configured by opts.
func NewHasher(opts ...Option) (*Hasher, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := &Hasher{cfg: cfg, sem: make(chan struct{}, cfg.concurrency)}
	d, err := h.dummyHash()
	if err != nil {
		return nil, err
	}
	h.dummy = d
	return h, nil
}

// Algorithm reports the algorithm new hashes use.
func (h *Hasher) Algorithm() Algorithm { return h.cfg.alg }

// InFlight reports how many hash computations are running right now; it
// never exceeds the WithConcurrency limit.
func (h *Hasher) InFlight() int { return int(h.inFlight.Load()) }

func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	n := h.inFlight.Add(1)
	if h.afterAcquire != nil {
		h.afterAcquire(n)
	}
	return nil
}

func (h *Hasher) release() {
	h.inFlight.Add(-1)
	<-h.sem
}

// Hash returns the encoded hash of password with the current algorithm and
// parameters and a fresh random salt. The password's bytes are hashed
// exactly as given, without normalisation (see the package doc). It waits
// for a slot in the concurrency limit, honouring ctx.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if password == "" {
		return "", ErrEmptyPassword
	}
	if len(password) > MaxPasswordBytes || (h.cfg.alg == Bcrypt && len(password) > bcryptMaxBytes) {
		return "", ErrPasswordTooLong
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	h.computations.Add(1)
	switch h.cfg.alg {
	case Bcrypt:
		return bcryptHash(password, h.cfg.bcryptCost)
	case PBKDF2SHA256:
		return pbkdf2Hash(password, h.cfg.pbkdf2Iterations)
	default:
		return argon2Hash(password, h.cfg.argon2)
	}
}

// Verify checks password against an encoded hash in any supported format
// (PHC argon2id/argon2i, bcrypt $2a$/$2b$/$2y$/$2x$, passlib
// $pbkdf2-sha256$/$pbkdf2$/$pbkdf2-sha512$, Django pbkdf2_sha256/pbkdf2_sha1).
// It returns nil on a match, ErrMismatch on a wrong password, and
// ErrMalformedHash, ErrUnsupportedHash or ErrHashLimits for a hash it will
// not compute. The comparison is constant-time, and byte-exact: password
// is not normalised, as the stored hash was made from the bytes as typed.
//
// needsRehash is true on a match whose hash uses another algorithm or weaker
// parameters than the Hasher's current ones: the caller should then store
// the result of Hash for the same password.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (needsRehash bool, err error) {
	d, err := h.decode(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordBytes {
		return false, ErrPasswordTooLong
	}
	if d.alg == "bcrypt" {
		if len(password) > bcryptMaxBytes {
			return false, ErrPasswordTooLong
		}
		if d.minor == 'x' && !isASCII(password) {
			// $2x$ marks crypt_blowfish's sign-extension bug, which only
			// changes the result for bytes >= 0x80.
			return false, fmt.Errorf("%w: $2x$ bcrypt with a non-ASCII password", ErrUnsupportedHash)
		}
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	ok := h.compute(d, password)
	h.release()
	if !ok {
		return false, ErrMismatch
	}
	return h.needsRehash(d), nil
}

// VerifyDummy spends one verification, with the Hasher's current algorithm
// and parameters, on a dummy hash made when the Hasher was built. Call it
// when a login names an unknown user, so that the answer takes as long as a
// wrong password for a known user. It returns only a context error.
func (h *Hasher) VerifyDummy(ctx context.Context) error {
	var buf [16]byte
	_, _ = rand.Read(buf[:])
	_, err := h.Verify(ctx, string(buf[:]), h.dummy)
	if err != nil && err != ErrMismatch {
		return err
	}
	return nil
}

// compute derives the key for d and compares it in constant time.
func (h *Hasher) compute(d *decoded, password string) bool {
	h.computations.Add(1)
	switch d.alg {
	case "bcrypt":
		return bcryptCompare(d, password)
	case "argon2id", "argon2i":
		return subtle.ConstantTimeCompare(argon2Key(d, password), d.key) == 1
	default:
		return subtle.ConstantTimeCompare(pbkdf2Key(d, password), d.key) == 1
	}
}

func (h *Hasher) needsRehash(d *decoded) bool {
	c := h.cfg
	switch {
	case d.alg == string(Argon2id) && c.alg == Argon2id:
		a := c.argon2
		return d.memory < a.Memory || d.time < a.Time || len(d.key) < int(a.KeyLength) || len(d.salt) < int(a.SaltLength)
	case d.alg == "bcrypt" && c.alg == Bcrypt:
		return d.cost < c.bcryptCost
	case d.alg == string(PBKDF2SHA256) && c.alg == PBKDF2SHA256:
		return d.iterations < c.pbkdf2Iterations || len(d.key) < 32 || len(d.salt) < 16
	}
	return true
}

// dummyHash builds an encoded hash in the current format from random bytes:
// verifying against it costs exactly one verification, and building it costs
// none.
func (h *Hasher) dummyHash() (string, error) {
	c := h.cfg
	switch c.alg {
	case Bcrypt:
		raw := make([]byte, 16+23)
		_, _ = rand.Read(raw)
		return fmt.Sprintf("$2b$%02d$%s%s", c.bcryptCost, bcryptB64.EncodeToString(raw[:16]), bcryptB64.EncodeToString(raw[16:])), nil
	case PBKDF2SHA256:
		salt, key := make([]byte, 16), make([]byte, 32)
		_, _ = rand.Read(salt)
		_, _ = rand.Read(key)
		return encodePBKDF2(c.pbkdf2Iterations, salt, key), nil
	default:
		salt, key := make([]byte, c.argon2.SaltLength), make([]byte, c.argon2.KeyLength)
		_, _ = rand.Read(salt)
		_, _ = rand.Read(key)
		return encodeArgon2id(c.argon2, salt, key), nil
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
