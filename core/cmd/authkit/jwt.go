package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/authkit-go/authkit/core/token"
)

// maxInput bounds what the jwt subcommands read from stdin or a key file.
const maxInput = 1 << 20

const jwtUsage = `usage: authkit jwt <subcommand> [flags]

subcommands:
  keygen  --alg ALG [--kid K] [--jwk]           print a new private key (PEM PKCS#8, JWK, or an HS* secret)
  sign    --alg ALG --key FILE --claims JSON [--kid K] [--typ T] [--exp D]
                                                print a signed token (claims as given; --exp adds iat and exp)
  verify  --alg ALG --key FILE [--token T] [--iss I] [--aud A] [--leeway D] [--max-lifetime D] [--typ T]
                                                verify a token (from --token or stdin); print its claims
  inspect [--token T]                           decode a token WITHOUT verifying it

algorithms: HS256 HS384 HS512 RS256 RS384 RS512 PS256 ES256 ES384 EdDSA
exit status: 0 valid/ok, 1 token rejected, 2 bad usage or unreadable input
`

func runJWT(e env) int {
	return dispatch(e, "jwt", jwtUsage, map[string]func(env) int{
		"keygen": jwtKeygen, "sign": jwtSign, "verify": jwtVerify, "inspect": jwtInspect,
	})
}

// newFlags returns a flag set that reports to stderr and never exits.
func newFlags(e env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("authkit jwt "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses and refuses stray arguments. It returns the exit code
// to use when parsing failed, or -1.
func parseFlags(fs *flag.FlagSet, e env) int {
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage
	}
	return -1
}

func jwtKeygen(e env) int {
	fs := newFlags(e, "keygen")
	alg := fs.String("alg", "", "algorithm (required)")
	kid := fs.String("kid", "", "key id (default: the RFC 7638 thumbprint)")
	asJWK := fs.Bool("jwk", false, "print a private JWK instead of PEM")
	if code := parseFlags(fs, e); code >= 0 {
		return code
	}
	a, err := token.ParseAlgorithm(*alg)
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit jwt keygen: --alg:", err)
		return exitUsage
	}
	if a.IsSymmetric() && !*asJWK {
		// The printed text itself is the secret (as `sign`/`verify --key`
		// read it): base64url of the hash size in random bytes.
		n := map[token.Algorithm]int{token.HS256: 32, token.HS384: 48, token.HS512: 64}[a]
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			fmt.Fprintln(e.stderr, "authkit jwt keygen:", err)
			return exitUsage
		}
		fmt.Fprintln(e.stdout, base64.RawURLEncoding.EncodeToString(b))
		return exitOK
	}
	k, err := token.GenerateKey(a, *kid)
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit jwt keygen:", err)
		return exitUsage
	}
	var out []byte
	if *asJWK {
		out, err = k.MarshalPrivateJWK()
		out = append(out, '\n')
	} else {
		out, err = k.MarshalPEM()
		fmt.Fprintf(e.stderr, "kid: %s\n", k.KID())
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit jwt keygen:", err)
		return exitUsage
	}
	_, _ = e.stdout.Write(out)
	return exitOK
}

// loadKeys reads --key for alg. With an empty alg (allowed for JWK and JWKS
// files only) each key's own alg is used.
func loadKeys(e env, cmd, path string, alg token.Algorithm, kid string) ([]*token.Key, bool) {
	if path == "" {
		fmt.Fprintf(e.stderr, "authkit jwt %s: --key is required\n", cmd)
		return nil, false
	}
	data, err := readLimited(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "authkit jwt %s: --key: %v\n", cmd, err)
		return nil, false
	}
	var keys []*token.Key
	if alg == "" {
		trimmed := bytes.TrimSpace(data)
		if len(trimmed) == 0 || trimmed[0] != '{' {
			fmt.Fprintf(e.stderr, "authkit jwt %s: --alg is required\n", cmd)
			return nil, false
		}
		if bytes.Contains(trimmed, []byte(`"keys"`)) {
			keys, err = token.ParseJWKS(trimmed, "")
		} else {
			var k *token.Key
			if k, err = token.ParseJWK(trimmed, ""); err == nil {
				keys = []*token.Key{k}
			}
		}
	} else {
		keys, err = token.ParseKey(data, alg, kid)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "authkit jwt %s: --key: %v\n", cmd, err)
		return nil, false
	}
	return keys, true
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxInput {
		return nil, errors.New("file too large")
	}
	return data, nil
}

func optionalAlg(e env, cmd, s string, required bool) (token.Algorithm, bool) {
	if s == "" && !required {
		return "", true
	}
	a, err := token.ParseAlgorithm(s)
	if err != nil {
		fmt.Fprintf(e.stderr, "authkit jwt %s: --alg: %v\n", cmd, err)
		return "", false
	}
	return a, true
}

func jwtSign(e env) int {
	fs := newFlags(e, "sign")
	alg := fs.String("alg", "", "algorithm (required)")
	keyPath := fs.String("key", "", "private key file: PEM, JWK, or the HS* secret")
	claims := fs.String("claims", "", "claims as a JSON object (required)")
	kid := fs.String("kid", "", "key id to put in the header")
	typ := fs.String("typ", "JWT", "typ header (empty for none)")
	exp := fs.Duration("exp", 0, "add iat (now) and exp (now + D)")
	if code := parseFlags(fs, e); code >= 0 {
		return code
	}
	a, ok := optionalAlg(e, "sign", *alg, true)
	if !ok {
		return exitUsage
	}
	keys, ok := loadKeys(e, "sign", *keyPath, a, *kid)
	if !ok {
		return exitUsage
	}
	k := keys[0]
	if !k.CanSign() {
		fmt.Fprintln(e.stderr, "authkit jwt sign: --key holds no private key")
		return exitUsage
	}
	if *kid != "" && k.KID() != *kid {
		fmt.Fprintln(e.stderr, "authkit jwt sign: --kid conflicts with the JWK's own kid")
		return exitUsage
	}
	payload := []byte(*claims)
	if *exp != 0 {
		if *exp < 0 {
			fmt.Fprintln(e.stderr, "authkit jwt sign: --exp must be positive")
			return exitUsage
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(payload, &m); err != nil {
			fmt.Fprintln(e.stderr, "authkit jwt sign: --claims is not a JSON object")
			return exitUsage
		}
		if _, has := m["exp"]; has {
			fmt.Fprintln(e.stderr, "authkit jwt sign: --claims already holds exp")
			return exitUsage
		}
		now := time.Now()
		trimmed := bytes.TrimSpace(payload)
		inner := bytes.TrimSpace(trimmed[1 : len(trimmed)-1])
		var b []byte
		b = append(b, '{')
		if len(inner) > 0 {
			b = append(append(b, inner...), ',')
		}
		if _, has := m["iat"]; !has {
			b = append(append(b, `"iat":`...), strconv.FormatInt(now.Unix(), 10)...)
			b = append(b, ',')
		}
		b = append(append(b, `"exp":`...), strconv.FormatInt(now.Add(*exp).Unix(), 10)...)
		payload = append(b, '}')
	}
	tok, err := token.Sign(k, *typ, payload)
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit jwt sign:", err)
		return exitUsage
	}
	fmt.Fprintln(e.stdout, tok)
	return exitOK
}

// readToken takes --token or reads stdin, trimming surrounding whitespace.
func readToken(e env, cmd, flagValue string) (string, bool) {
	if flagValue != "" {
		return strings.TrimSpace(flagValue), true
	}
	data, err := io.ReadAll(io.LimitReader(e.stdin, maxInput))
	if err != nil {
		fmt.Fprintf(e.stderr, "authkit jwt %s: reading stdin: %v\n", cmd, err)
		return "", false
	}
	return strings.TrimSpace(string(data)), true
}

func jwtVerify(e env) int {
	fs := newFlags(e, "verify")
	alg := fs.String("alg", "", "algorithm the key is pinned to (required except for JWK files carrying alg)")
	keyPath := fs.String("key", "", "key file: PEM (key or certificate), JWK, JWKS, or the HS* secret (required)")
	raw := fs.String("token", "", "the token (default: read from stdin)")
	iss := fs.String("iss", "", "required issuer")
	aud := fs.String("aud", "", "required audience")
	typ := fs.String("typ", "", "required typ header (e.g. at+jwt)")
	leeway := fs.Duration("leeway", token.DefaultLeeway, "clock-skew tolerance for exp, nbf, iat")
	maxLifetime := fs.Duration("max-lifetime", 0, "maximum exp - iat (default: unbounded)")
	if code := parseFlags(fs, e); code >= 0 {
		return code
	}
	a, ok := optionalAlg(e, "verify", *alg, false)
	if !ok {
		return exitUsage
	}
	keys, ok := loadKeys(e, "verify", *keyPath, a, "")
	if !ok {
		return exitUsage
	}
	set, err := token.NewVerifyKeySet(publicKeys(keys)...)
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit jwt verify: --key:", err)
		return exitUsage
	}
	opts := []token.Option{token.WithLeeway(*leeway)}
	if *maxLifetime > 0 {
		opts = append(opts, token.WithMaxLifetime(*maxLifetime))
	} else {
		opts = append(opts, token.WithoutMaxLifetime())
	}
	if *iss != "" {
		opts = append(opts, token.WithIssuer(*iss))
	}
	if *aud != "" {
		opts = append(opts, token.WithAudience(*aud))
	}
	if *typ != "" {
		opts = append(opts, token.WithType(*typ))
	}
	v, err := token.NewVerifier(set, opts...)
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit jwt verify:", err)
		return exitUsage
	}
	tok, ok := readToken(e, "verify", *raw)
	if !ok {
		return exitUsage
	}
	claims, err := v.Verify(context.Background(), tok)
	if err != nil {
		fmt.Fprintln(e.stderr, "invalid token:", err)
		return exitNegative
	}
	var out bytes.Buffer
	if err := json.Compact(&out, claims.Raw); err != nil {
		fmt.Fprintln(e.stderr, "invalid token:", err)
		return exitNegative
	}
	fmt.Fprintln(e.stdout, out.String())
	return exitOK
}

func publicKeys(keys []*token.Key) []*token.Key {
	out := make([]*token.Key, len(keys))
	for i, k := range keys {
		out[i] = k.Public()
	}
	return out
}

func jwtInspect(e env) int {
	fs := newFlags(e, "inspect")
	raw := fs.String("token", "", "the token (default: read from stdin)")
	if code := parseFlags(fs, e); code >= 0 {
		return code
	}
	tok, ok := readToken(e, "inspect", *raw)
	if !ok {
		return exitUsage
	}
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		fmt.Fprintln(e.stderr, "authkit jwt inspect: not a compact JWT")
		return exitUsage
	}
	decode := func(s string) (json.RawMessage, error) {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return nil, err
		}
		if !json.Valid(b) {
			q, _ := json.Marshal(string(b))
			return q, nil
		}
		return b, nil
	}
	h, err := decode(parts[0])
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit jwt inspect: header:", err)
		return exitUsage
	}
	c, err := decode(parts[1])
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit jwt inspect: claims:", err)
		return exitUsage
	}
	out, err := json.MarshalIndent(struct {
		Verified bool            `json:"signature_verified"`
		Header   json.RawMessage `json:"header"`
		Claims   json.RawMessage `json:"claims"`
	}{false, h, c}, "", "  ")
	if err != nil {
		fmt.Fprintln(e.stderr, "authkit jwt inspect:", err)
		return exitUsage
	}
	fmt.Fprintln(e.stderr, "WARNING: signature NOT verified; do not trust these claims")
	fmt.Fprintln(e.stdout, string(out))
	return exitOK
}
