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

	"github.com/authkit-go/authkit/core/strictjson"
	"github.com/authkit-go/authkit/core/token"
)

// maxInput bounds what the jwt subcommands read from stdin or a key file.
const maxInput = 1 << 20

const jwtUsage = `usage: authkit jwt <subcommand> [flags]

subcommands:
  keygen  --alg ALG [--kid K] [--jwk]           print a new private key (PEM PKCS#8, JWK, or an HS* secret)
  sign    --alg ALG --key FILE --claims JSON [--kid K] [--typ T] [--exp D]
                                                print a signed token; adds iat and exp = now + D
                                                (default 15m, the access-token lifetime; 0: neither)
  verify  --alg ALG --key FILE [--token T] [--iss I] [--aud A] [--leeway D] [--max-lifetime D] [--typ T]
                                                verify a token (from --token or stdin); print its claims
  inspect [--token T]                           decode a token WITHOUT verifying it

Run 'authkit jwt <subcommand> -h' for its flags.
algorithms: HS256 HS384 HS512 RS256 RS384 RS512 PS256 ES256 ES384 EdDSA
exit status: 0 valid/ok, 1 token rejected, 2 bad usage or unreadable input
(no token at all, or for inspect one that cannot be decoded)
`

// defaultSignExp is jwt sign's default --exp: the Issuer's access-token
// lifetime, so a token signed without --exp verifies.
const defaultSignExp = 15 * time.Minute

func runJWT(e env) int {
	return dispatch(e, "jwt", jwtUsage, map[string]func(env) int{
		"keygen": jwtKeygen, "sign": jwtSign, "verify": jwtVerify, "inspect": jwtInspect,
	})
}

// newFlags returns the flag set of "authkit jwt <name>".
func newFlags(name string) *flag.FlagSet { return flag.NewFlagSet("jwt "+name, flag.ContinueOnError) }

func jwtKeygen(e env) int {
	const name = "jwt keygen"
	fs := newFlags("keygen")
	alg := fs.String("alg", "", "algorithm (required)")
	kid := fs.String("kid", "", "key id (default: the RFC 7638 thumbprint)")
	asJWK := fs.Bool("jwk", false, "print a private JWK instead of PEM")
	if code, ok := parseFlagsOf(e, fs, name, "--alg ALG [--kid K] [--jwk]",
		"Print a new private key: PEM PKCS#8, a private JWK with --jwk, or for HS* a\nrandom secret. Keep it out of source control: in a secret manager, or a file\nonly the service can read (mode 0600)."); !ok {
		return code
	}
	a, err := parseAlg(*alg, true)
	if err != nil {
		return usageError(e, name, err)
	}
	if a.IsSymmetric() && !*asJWK {
		// The printed text itself is the secret (as `sign`/`verify --key`
		// read it): base64url of the hash size in random bytes.
		n := map[token.Algorithm]int{token.HS256: 32, token.HS384: 48, token.HS512: 64}[a]
		b := make([]byte, n)
		rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
		fmt.Fprintln(e.stdout, base64.RawURLEncoding.EncodeToString(b))
		return exitOK
	}
	k, err := token.GenerateKey(a, *kid)
	if err != nil {
		return usageError(e, name, err)
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
		return usageError(e, name, err)
	}
	_, _ = e.stdout.Write(out)
	return exitOK
}

// flagKeys reads the keys that --alg and --key name, for sign and verify.
// alg may be empty unless required: a JWK or JWKS file then gives each
// key's own alg.
func flagKeys(alg, path, kid string, algRequired bool) ([]*token.Key, error) {
	a, err := parseAlg(alg, algRequired)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, errors.New("--key is required")
	}
	data, err := readLimited(path)
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	var keys []*token.Key
	if a == "" {
		trimmed := bytes.TrimSpace(data)
		if len(trimmed) == 0 || trimmed[0] != '{' {
			return nil, errors.New("--alg is required")
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
		keys, err = token.ParseKey(data, a, kid)
	}
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	return keys, nil
}

// parseAlg reads --alg; an empty one is "" unless required.
func parseAlg(s string, required bool) (token.Algorithm, error) {
	if s == "" && !required {
		return "", nil
	}
	a, err := token.ParseAlgorithm(s)
	if err != nil {
		return "", fmt.Errorf("--alg: %w", err)
	}
	return a, nil
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

func jwtSign(e env) int {
	const name = "jwt sign"
	fs := newFlags("sign")
	alg := fs.String("alg", "", "algorithm (required)")
	keyPath := fs.String("key", "", "private key file: PEM, JWK, or the HS* secret")
	claims := fs.String("claims", "", "claims as a JSON object (required)")
	kid := fs.String("kid", "", "key id to put in the header")
	typ := fs.String("typ", "JWT", "typ header (empty for none)")
	exp := fs.Duration("exp", defaultSignExp, "lifetime: add exp = now + D, and iat = now unless --claims has one; 0 adds neither")
	if code, ok := parseFlagsOf(e, fs, name, "--alg ALG --key FILE --claims JSON [--kid K] [--typ T] [--exp D]",
		"Print a token signed with --key. The claims are signed as given, plus iat\nand exp unless --exp is 0 or --claims already holds exp."); !ok {
		return code
	}
	keys, err := flagKeys(*alg, *keyPath, *kid, true)
	if err != nil {
		return usageError(e, name, err)
	}
	k := keys[0]
	if !k.CanSign() {
		return usageError(e, name, "--key holds no private key")
	}
	if *kid != "" && k.KID() != *kid {
		return usageError(e, name, "--kid conflicts with the JWK's own kid")
	}
	if *claims == "" {
		return usageError(e, name, "--claims is required (a JSON object, e.g. '{\"sub\":\"alice\"}')")
	}
	payload, msg := withLifetime(*claims, *exp, given(fs, "exp"), time.Now())
	if msg != "" {
		return usageError(e, name, msg)
	}
	tok, err := token.Sign(k, *typ, payload)
	if err != nil {
		return usageError(e, name, err)
	}
	fmt.Fprintln(e.stdout, tok)
	return exitOK
}

// withLifetime returns the payload jwt sign signs: claims as given, plus
// exp = now + lifetime and, unless claims has one, iat = now. A lifetime of
// 0, or claims that hold exp themselves (when --exp was not given), add
// nothing. msg says what is wrong.
func withLifetime(claims string, lifetime time.Duration, explicit bool, now time.Time) (payload []byte, msg string) {
	var ms strictjson.Members
	if err := strictjson.Scan(claims, &ms); err != nil {
		return nil, "invalid claims: --claims must be one JSON object: " + err.Error()
	}
	_, hasExp := ms.Lookup("exp")
	switch {
	case lifetime < 0:
		return nil, "--exp must not be negative"
	case hasExp && explicit && lifetime != 0:
		return nil, "--claims already holds exp; drop it or --exp"
	case hasExp || lifetime == 0:
		return []byte(claims), ""
	}
	trimmed := strings.TrimSpace(claims)
	inner := strings.TrimSpace(trimmed[1 : len(trimmed)-1])
	b := []byte{'{'}
	if inner != "" {
		b = append(append(b, inner...), ',')
	}
	if _, has := ms.Lookup("iat"); !has {
		b = strconv.AppendInt(append(b, `"iat":`...), now.Unix(), 10)
		b = append(b, ',')
	}
	b = strconv.AppendInt(append(b, `"exp":`...), now.Add(lifetime).Unix(), 10)
	return append(b, '}'), ""
}

// readToken takes --token or reads stdin, trimming surrounding whitespace.
// No token at all is unreadable input (exit 2), for verify and inspect
// alike.
func readToken(e env, flagValue string) (string, error) {
	tok := strings.TrimSpace(flagValue)
	if flagValue == "" {
		data, err := io.ReadAll(io.LimitReader(e.stdin, maxInput))
		if err != nil {
			return "", fmt.Errorf("reading stdin: %w", err)
		}
		tok = strings.TrimSpace(string(data))
	}
	if tok == "" {
		return "", errors.New("no token: give --token or pipe one to stdin")
	}
	return tok, nil
}

func jwtVerify(e env) int {
	const name = "jwt verify"
	fs := newFlags("verify")
	alg := fs.String("alg", "", "algorithm the key is pinned to (required except for JWK files carrying alg)")
	keyPath := fs.String("key", "", "key file: PEM (key or certificate), JWK, JWKS, or the HS* secret (required)")
	raw := fs.String("token", "", "the token (default: read from stdin)")
	iss := fs.String("iss", "", "required issuer")
	aud := fs.String("aud", "", "required audience")
	typ := fs.String("typ", "", "required typ header (e.g. at+jwt)")
	leeway := fs.Duration("leeway", token.DefaultLeeway, "clock-skew tolerance for exp, nbf, iat")
	maxLifetime := fs.Duration("max-lifetime", 0, "maximum exp - iat (default: unbounded)")
	if code, ok := parseFlagsOf(e, fs, name, "--alg ALG --key FILE [--token T] [--iss I] [--aud A] [--leeway D] [--max-lifetime D] [--typ T]",
		"Verify a token (from --token, else stdin) and print its claims. Exit 0 when\nvalid, 1 when rejected (the reason on stderr), 2 for bad usage or no token."); !ok {
		return code
	}
	keys, err := flagKeys(*alg, *keyPath, "", false)
	if err != nil {
		return usageError(e, name, err)
	}
	set, err := token.NewVerifyKeySet(publicKeys(keys)...)
	if err != nil {
		return usageError(e, name, "--key:", err)
	}
	opts := []token.VerifierOption{token.WithLeeway(*leeway)}
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
		return usageError(e, name, err)
	}
	tok, err := readToken(e, *raw)
	if err != nil {
		return usageError(e, name, err)
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
	const name = "jwt inspect"
	fs := newFlags("inspect")
	raw := fs.String("token", "", "the token (default: read from stdin)")
	if code, ok := parseFlagsOf(e, fs, name, "[--token T]",
		"Decode a token's header and claims WITHOUT verifying it. Exit 2 when there is\nno token or it cannot be decoded."); !ok {
		return code
	}
	tok, err := readToken(e, *raw)
	if err != nil {
		return usageError(e, name, err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) < 2 {
		return usageError(e, name, "not a compact JWT")
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
		return usageError(e, name, "header:", err)
	}
	c, err := decode(parts[1])
	if err != nil {
		return usageError(e, name, "claims:", err)
	}
	out, err := json.MarshalIndent(struct {
		Verified bool            `json:"signature_verified"`
		Header   json.RawMessage `json:"header"`
		Claims   json.RawMessage `json:"claims"`
	}{false, h, c}, "", "  ")
	if err != nil {
		return usageError(e, name, err)
	}
	fmt.Fprintln(e.stderr, "WARNING: signature NOT verified; do not trust these claims")
	fmt.Fprintln(e.stdout, string(out))
	return exitOK
}
