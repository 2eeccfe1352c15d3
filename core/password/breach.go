package password

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// BreachChecker reports whether a password is known to attackers: on a list
// of common passwords or in a breach corpus. An error means no answer.
type BreachChecker interface {
	Breached(ctx context.Context, password string) (bool, error)
}

//go:generate sh testdata/gen_common.sh

// commonBin holds the first 8 bytes of the SHA-256 of each listed password,
// as sorted big-endian uint64s (see testdata/README.md).
//
//go:embed common.bin
var commonBin []byte

type commonList struct{}

// CommonPasswords returns an offline BreachChecker over the embedded list:
// the top 100,000 of SecLists' "10 million password list top 1M" plus every
// password of 10 or more bytes from the whole million, 211,017 distinct
// entries (source and licence in testdata/README.md). Entries are stored as
// 64-bit truncated SHA-256 hashes, so a password not on the list is reported
// as common with probability about 211,017 / 2^64 ≈ 1.1e-14. A password
// matches exactly or in lower case. It never returns an error.
func CommonPasswords() BreachChecker { return commonList{} }

// Breached implements BreachChecker.
func (commonList) Breached(_ context.Context, password string) (bool, error) {
	if inCommon(password) {
		return true, nil
	}
	if lower := strings.ToLower(password); lower != password {
		return inCommon(lower), nil
	}
	return false, nil
}

func inCommon(password string) bool {
	sum := sha256.Sum256([]byte(password))
	k := binary.BigEndian.Uint64(sum[:8])
	lo, hi := 0, len(commonBin)/8
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		v := binary.BigEndian.Uint64(commonBin[8*mid:])
		switch {
		case v == k:
			return true
		case v < k:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return false
}

// PwnedChecker is a BreachChecker over the Have I Been Pwned "Pwned
// Passwords" range API. Only the first 5 hex digits of the password's SHA-1
// leave the process (k-anonymity); requests ask for padded responses
// (Add-Padding: true) so the response size does not reveal the prefix, and
// padding entries (count 0) are ignored.
type PwnedChecker struct {
	cfg pwnedConfig
}

type pwnedConfig struct {
	baseURL  string
	client   *http.Client
	timeout  time.Duration
	failOpen bool
	minCount int
}

// PwnedOption configures a PwnedChecker.
type PwnedOption func(*pwnedConfig)

// WithPwnedBaseURL sets the range API's base URL; the 5-digit prefix is
// appended to it.
// Default: "https://api.pwnedpasswords.com/range/".
func WithPwnedBaseURL(u string) PwnedOption { return func(c *pwnedConfig) { c.baseURL = u } }

// WithPwnedHTTPClient sets the HTTP client used for requests.
// Default: a client with no timeout of its own (WithPwnedTimeout bounds each call).
func WithPwnedHTTPClient(hc *http.Client) PwnedOption {
	return func(c *pwnedConfig) { c.client = hc }
}

// WithPwnedTimeout bounds each lookup.
// Default: 5s.
func WithPwnedTimeout(d time.Duration) PwnedOption { return func(c *pwnedConfig) { c.timeout = d } }

// WithPwnedMinCount sets how many breach occurrences make a password
// breached.
// Default: 1.
func WithPwnedMinCount(n int) PwnedOption { return func(c *pwnedConfig) { c.minCount = n } }

// WithPwnedFailOpen makes Breached answer "not breached" (false, nil) when
// the API cannot be reached or answers badly. SECURITY WARNING: while the
// API is unreachable — or an attacker blocks it — breached passwords are
// then accepted. By default the checker fails closed: Breached returns an
// error wrapping ErrBreachCheck and Policy.Check returns it, so a password
// change is refused (retry later) rather than silently weakened. That costs
// little because the check runs only when a password is set, never at login.
// Default: fail closed.
func WithPwnedFailOpen() PwnedOption { return func(c *pwnedConfig) { c.failOpen = true } }

// NewPwnedChecker returns a PwnedChecker.
func NewPwnedChecker(opts ...PwnedOption) (*PwnedChecker, error) {
	cfg := pwnedConfig{
		baseURL:  "https://api.pwnedpasswords.com/range/",
		client:   &http.Client{},
		timeout:  5 * time.Second,
		minCount: 1,
	}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case cfg.baseURL == "" || !(strings.HasPrefix(cfg.baseURL, "https://") || strings.HasPrefix(cfg.baseURL, "http://")):
		return nil, fmt.Errorf("%w: pwned base URL must be http(s)", ErrInvalidConfig)
	case cfg.client == nil:
		return nil, fmt.Errorf("%w: nil HTTP client", ErrInvalidConfig)
	case cfg.timeout <= 0:
		return nil, fmt.Errorf("%w: pwned timeout must be positive", ErrInvalidConfig)
	case cfg.minCount < 1:
		return nil, fmt.Errorf("%w: pwned min count must be at least 1", ErrInvalidConfig)
	}
	if !strings.HasSuffix(cfg.baseURL, "/") {
		cfg.baseURL += "/"
	}
	return &PwnedChecker{cfg: cfg}, nil
}

// maxRangeBody bounds the response read from the API; real padded responses
// are under 50 KB.
const maxRangeBody = 1 << 20

// Breached implements BreachChecker.
func (p *PwnedChecker) Breached(ctx context.Context, password string) (bool, error) {
	n, err := p.count(ctx, password)
	if err != nil {
		if p.cfg.failOpen && ctx.Err() == nil {
			return false, nil
		}
		return false, err
	}
	return n >= p.cfg.minCount, nil
}

func (p *PwnedChecker) count(ctx context.Context, password string) (int, error) {
	sum := sha1.Sum([]byte(password))
	hexSum := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := hexSum[:5], hexSum[5:]
	ctx, cancel := context.WithTimeout(ctx, p.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.baseURL+prefix, nil)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBreachCheck, err)
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", "authkit-password")
	resp, err := p.cfg.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBreachCheck, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%w: status %d", ErrBreachCheck, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRangeBody+1))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBreachCheck, err)
	}
	if len(body) > maxRangeBody {
		return 0, fmt.Errorf("%w: response larger than %d bytes", ErrBreachCheck, maxRangeBody)
	}
	return parseRange(body, suffix)
}

var errBadRange = errors.New("malformed range response")

// parseRange reads a range response ("SUFFIX:COUNT" lines, CRLF or LF) and
// returns the count for suffix (35 upper-case hex digits), 0 when absent.
// Padding lines have count 0 and so never match.
func parseRange(body []byte, suffix string) (int, error) {
	found := 0
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			continue
		}
		s, c, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(s) != 35 || !isHex(s) || len(c) == 0 || len(c) > 12 {
			return 0, fmt.Errorf("%w: %w", ErrBreachCheck, errBadRange)
		}
		n, err := strconv.Atoi(string(c))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%w: %w", ErrBreachCheck, errBadRange)
		}
		if n > 0 && found == 0 && strings.EqualFold(string(s), suffix) {
			found = n
		}
	}
	return found, nil
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
