// Package token issues and verifies JSON Web Tokens for authkit: access
// and refresh tokens, single-use purpose tokens, signing keys with
// rotation, a JWKS endpoint and a remote JWKS cache, and revocation.
//
// Verification is strict by design (see Verifier): each key is pinned to
// one algorithm, tokens are pre-parsed with authkit's own checks before any
// claim is trusted, and key-carrying headers (jku, x5u, x5c, jwk) are
// rejected outright rather than ignored. Signatures themselves are made and
// checked by github.com/golang-jwt/jwt/v5's signing methods on crypto/*.
//
// Wiring an issuer:
//
//	key, err := token.GenerateKey(token.ES256, "") // or token.ParseKeyPEM(pemBytes, token.ES256, "2025-11")
//	if err != nil { ... }
//	keys, err := token.NewKeySet(key)
//	if err != nil { ... }
//	iss, err := token.NewIssuer(keys,
//		token.WithIssuer("https://auth.example.com"),
//		token.WithAudience("api"),
//		token.WithStore(store), // redisstore.New(client) (tokenstore/redisstore) for more than one instance
//	)
//	if err != nil { ... }
//	http.Handle("GET /.well-known/jwks.json", keys.JWKSHandler())
//	pair, err := iss.IssuePair(ctx, token.Subject{ID: "user-42", Roles: []string{"admin"}})
//	claims, err := iss.Authenticate(ctx, bearer) // per request: verify + revocation check
//
// A service that only verifies fetches the issuer's keys:
//
//	remote, err := token.NewRemoteKeySet("https://auth.example.com/.well-known/jwks.json")
//	v, err := token.NewVerifier(remote, token.WithIssuer("https://auth.example.com"),
//		token.WithAudience("api"), token.WithType(token.TypeAccess))
//	claims, err := v.Verify(ctx, bearer)
//
// Verified-token cache: an Issuer (for access tokens) and a Verifier over a
// KeySet or RemoteKeySet remember the claims of tokens that passed one full
// verification, keyed by the exact token bytes, so that a client repeating
// its token skips the signature check (about 70 µs for ES256). exp, nbf and
// iat are checked again on every hit, Authenticate asks the revocation
// store every time, and any change of the keys empties the cache. On by
// default with 10,000 entries and 16 MiB (WithVerifiedCache,
// WithoutVerifiedCache).
//
// Algorithms: ES256 is the recommended default; EdDSA and PS256 are good
// choices too. RS256/384/512 are supported for interoperability only (ASVS
// 5.0 no longer approves RSASSA-PKCS1-v1_5). HMAC secrets must be at least
// 32 bytes and RSA keys 2048 bits.
package token
