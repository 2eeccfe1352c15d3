package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateHostile = flag.Bool("update-hostile", false, "regenerate testdata/hostile.json")

// hostileCase is one token that must be rejected. The set lives in
// testdata/hostile.json so the CLI tests run exactly the same tokens.
type hostileCase struct {
	Name  string `json:"name"`
	Alg   string `json:"alg"`
	Key   string `json:"key"` // file under testdata/interop
	Token string `json:"token"`
	Iss   string `json:"iss,omitempty"`
	Aud   string `json:"aud,omitempty"`
}

func enc(s string) string { return b64.EncodeToString([]byte(s)) }

// forge signs header and payload JSON exactly as given.
func forge(t *testing.T, k *Key, header, payload string) string {
	t.Helper()
	input := enc(header) + "." + enc(payload)
	material, err := k.signer()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := algs[k.alg].method.Sign(input, material)
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64.EncodeToString(sig)
}

func hmacForge(secret []byte, header, payload string) string {
	input := enc(header) + "." + enc(payload)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + b64.EncodeToString(m.Sum(nil))
}

const goodClaims = `{"sub":"u","iss":"https://issuer.example","aud":"authkit","iat":1764331200,"exp":4102444800}`

func buildHostile(t *testing.T) []hostileCase {
	es := testKey(t, ES256)
	hs := testKey(t, HS256)
	hs512 := mustHMAC(t, hs.Secret(), HS512)
	rs := testKey(t, RS256)
	rs384 := testKey(t, RS384)
	attacker, _ := GenerateKey(ES256, "attacker")
	attackerJWK, _ := attacker.MarshalPublicJWK()
	esH := `{"alg":"ES256","typ":"JWT"}`
	good := forge(t, es, esH, goodClaims)
	parts := strings.Split(good, ".")
	rsPub := readTestdata(t, "interop", "RS256.pub.pem")
	esPub := readTestdata(t, "interop", "ES256.pub.pem")
	zeroSig := b64.EncodeToString(make([]byte, 64))
	emptyKey := make([]byte, 0)
	_ = ecdsa.GenerateKey
	_ = elliptic.P256
	_ = rand.Reader

	es256 := func(name, token string) hostileCase {
		return hostileCase{Name: name, Alg: "ES256", Key: "ES256.pub.pem", Token: token}
	}
	hs256 := func(name, token string) hostileCase {
		return hostileCase{Name: name, Alg: "HS256", Key: "HS256.secret", Token: token}
	}
	cases := []hostileCase{
		hs256("alg none", enc(`{"alg":"none","typ":"JWT"}`)+"."+enc(goodClaims)+"."),
		hs256("alg None", enc(`{"alg":"None"}`)+"."+enc(goodClaims)+"."),
		hs256("alg NONE", enc(`{"alg":"NONE"}`)+"."+enc(goodClaims)+"."),
		hs256("alg nOnE", enc(`{"alg":"nOnE"}`)+"."+enc(goodClaims)+"."),
		hs256("alg none with a signature", enc(`{"alg":"none"}`)+"."+enc(goodClaims)+"."+parts[2]),
		es256("stripped signature", parts[0]+"."+parts[1]+"."),
		es256("two segments", parts[0]+"."+parts[1]),
		{Name: "HS256 signed with the RSA public key PEM", Alg: "RS256", Key: "RS256.pub.pem",
			Token: hmacForge(rsPub, `{"alg":"HS256","typ":"JWT"}`, goodClaims)},
		{Name: "HS256 signed with the EC public key PEM", Alg: "ES256", Key: "ES256.pub.pem",
			Token: hmacForge(esPub, `{"alg":"HS256","typ":"JWT"}`, goodClaims)},
		hs256("kid traversal, right key", forge(t, hs, `{"alg":"HS256","kid":"../../etc/passwd"}`, goodClaims)),
		hs256("kid traversal, empty key", hmacForge(emptyKey, `{"alg":"HS256","kid":"../../../../dev/null"}`, goodClaims)),
		hs256("kid with NUL", forge(t, hs, `{"alg":"HS256","kid":"a\u0000b"}`, goodClaims)),
		es256("jku header", forge(t, attacker, `{"alg":"ES256","jku":"https://evil.example/jwks.json","kid":"attacker"}`, goodClaims)),
		es256("x5u header", forge(t, attacker, `{"alg":"ES256","x5u":"https://evil.example/cert.pem"}`, goodClaims)),
		es256("embedded jwk", forge(t, attacker, `{"alg":"ES256","jwk":`+string(attackerJWK)+`}`, goodClaims)),
		es256("jku header, right key", forge(t, es, `{"alg":"ES256","jku":"https://evil.example/jwks.json"}`, goodClaims)),
		es256("x5c header, right key", forge(t, es, `{"alg":"ES256","x5c":["MIIB"]}`, goodClaims)),
		es256("ECDSA r=s=0", parts[0]+"."+parts[1]+"."+zeroSig),
		es256("expired", forge(t, es, esH, `{"sub":"u","iat":1000000000,"exp":1000000900}`)),
		es256("nbf in the future", forge(t, es, esH, `{"sub":"u","nbf":4102444000,"exp":4102444800}`)),
		es256("iat in the future", forge(t, es, esH, `{"sub":"u","iat":4102444000,"exp":4102444800}`)),
		{Name: "wrong iss", Alg: "ES256", Key: "ES256.pub.pem", Iss: "https://other.example", Token: good},
		{Name: "wrong aud", Alg: "ES256", Key: "ES256.pub.pem", Aud: "someone-else", Token: good},
		{Name: "missing iss", Alg: "ES256", Key: "ES256.pub.pem", Iss: "https://issuer.example",
			Token: forge(t, es, esH, `{"sub":"u","exp":4102444800}`)},
		es256("missing exp", forge(t, es, esH, `{"sub":"u","iat":1764331200}`)),
		es256("crit unknown", forge(t, es, `{"alg":"ES256","crit":["http://example.invalid/x"],"http://example.invalid/x":1}`, goodClaims)),
		es256("crit exp", forge(t, es, `{"alg":"ES256","crit":["exp"],"exp":4102444800}`, goodClaims)),
		es256("100k dots", strings.Repeat(".", 100000)),
		es256("header of 100k dots", enc(strings.Repeat(".", 100000))+"."+parts[1]+"."+parts[2]),
		es256("extra segment", good+"."+parts[2]),
		es256("JWE compact", enc(`{"alg":"RSA-OAEP","enc":"A256GCM"}`)+".AAAA.AAAA.AAAA.AAAA"),
		es256("exp as string", forge(t, es, esH, `{"sub":"u","exp":"4102444800"}`)),
		es256("duplicate header alg", forge(t, es, `{"alg":"none","alg":"ES256"}`, goodClaims)),
		es256("case-variant header ALG", forge(t, es, `{"alg":"ES256","ALG":"none"}`, goodClaims)),
		es256("duplicate exp", forge(t, es, esH, `{"sub":"u","exp":1000000000,"exp":4102444800}`)),
		es256("case-variant EXP overriding exp", forge(t, es, esH, `{"sub":"u","exp":1000000000,"EXP":4102444800}`)),
		es256("only EXP", forge(t, es, esH, `{"sub":"u","EXP":4102444800}`)),
		es256("duplicate nested key", forge(t, es, esH, `{"sub":"u","exp":4102444800,"x":{"a":1,"A":2}}`)),
		es256("right alg, wrong key", forge(t, attacker, esH, goodClaims)),
		hs256("HS512 token for an HS256 key", forge(t, hs512, `{"alg":"HS512"}`, goodClaims)),
		{Name: "RS384 token for an RS256 key", Alg: "RS256", Key: "RS256.pub.pem", Token: forge(t, rs384, `{"alg":"RS384"}`, goodClaims)},
		{Name: "PS256 alg with an RS256 signature", Alg: "RS256", Key: "RS256.pub.pem",
			Token: enc(`{"alg":"PS256"}`) + "." + strings.SplitN(forge(t, rs, `{"alg":"PS256"}`, goodClaims), ".", 2)[1]},
		es256("CR/LF inserted", parts[0]+"."+parts[1][:10]+"\r\n"+parts[1][10:]+"."+parts[2]),
		es256("LF inserted in signature", parts[0]+"."+parts[1]+"."+parts[2][:5]+"\n"+parts[2][5:]),
		es256("space inserted", parts[0]+". "+parts[1]+"."+parts[2]),
		es256("exp in year 10000", forge(t, es, esH, `{"sub":"u","exp":253402300800}`)),
		es256("enc header", forge(t, es, `{"alg":"ES256","enc":"A128GCM"}`, goodClaims)),
		es256("zip header", forge(t, es, `{"alg":"ES256","zip":"DEF"}`, goodClaims)),
		es256("b64 false", forge(t, es, `{"alg":"ES256","b64":false,"crit":["b64"]}`, goodClaims)),
		es256("nested JWT cty", forge(t, es, `{"alg":"ES256","cty":"JWT"}`, goodClaims)),
		es256("padding on signature", good+"=="),
		es256("padding on header", parts[0]+"=."+parts[1]+"."+parts[2]),
		es256("standard base64 alphabet", parts[0]+"."+parts[1]+"."+strings.NewReplacer("-", "+", "_", "/").Replace(parts[2])+"+/"),
		es256("non-JSON payload", forge(t, es, esH, `hello`)),
		es256("JSON array payload", forge(t, es, esH, `[{"sub":"u","exp":4102444800}]`)),
		es256("JSON string payload", forge(t, es, esH, `"x"`)),
		es256("trailing data after claims", forge(t, es, esH, goodClaims+`{"exp":1}`)),
		es256("huge exp 1e400", forge(t, es, esH, `{"sub":"u","exp":1e400}`)),
		es256("huge exp integer", forge(t, es, esH, `{"sub":"u","exp":999999999999999999999999999999}`)),
		es256("negative exp", forge(t, es, esH, `{"sub":"u","exp":-1}`)),
		es256("exp null", forge(t, es, esH, `{"sub":"u","exp":null}`)),
		es256("exp true", forge(t, es, esH, `{"sub":"u","exp":true}`)),
		es256("iat as string", forge(t, es, esH, `{"sub":"u","iat":"1764331200","exp":4102444800}`)),
		es256("sub as number", forge(t, es, esH, `{"sub":12,"exp":4102444800}`)),
		es256("invalid UTF-8 in claims", forge(t, es, esH, "{\"sub\":\"\xff\",\"exp\":4102444800}")),
		es256("non-JSON header", forge(t, es, `alg=ES256`, goodClaims)),
		es256("header array", forge(t, es, `["ES256"]`, goodClaims)),
		es256("alg as array", forge(t, es, `{"alg":["ES256"]}`, goodClaims)),
		es256("missing alg", forge(t, es, `{"typ":"JWT"}`, goodClaims)),
		es256("empty token", ""),
		es256("garbage", "not a token"),
		es256("refresh typ", forge(t, es, `{"alg":"ES256","typ":"rt+jwt"}`, goodClaims)),
	}
	return cases
}

func mustHMAC(t *testing.T, secret []byte, alg Algorithm) *Key {
	t.Helper()
	k, err := NewHMACKey(secret, alg, "")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func loadHostile(t *testing.T) []hostileCase {
	t.Helper()
	path := filepath.Join("testdata", "hostile.json")
	if *updateHostile {
		cases := buildHostile(t)
		data, err := json.MarshalIndent(cases, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var cases []hostileCase
	if err := json.Unmarshal(readTestdata(t, "hostile.json"), &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

// TestHostile runs every hostile token through a Verifier configured as
// `authkit jwt verify` would be, and requires an ErrInvalid rejection.
func TestHostile(t *testing.T) {
	cases := loadHostile(t)
	if len(cases) < 60 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			keys, err := ParseKey(readTestdata(t, "interop", tc.Key), Algorithm(tc.Alg), "")
			if err != nil {
				t.Fatal(err)
			}
			set, _ := NewVerifyKeySet(keys...)
			opts := []VerifierOption{WithoutMaxLifetime()}
			if tc.Iss != "" {
				opts = append(opts, WithIssuer(tc.Iss))
			}
			if tc.Aud != "" {
				opts = append(opts, WithAudience(tc.Aud))
			}
			v, err := NewVerifier(set, opts...)
			if err != nil {
				t.Fatal(err)
			}
			c, err := v.Verify(context.Background(), tc.Token)
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify = %+v, %v; want an ErrInvalid rejection", c, err)
			}
		})
	}
}

// TestHostileControl proves the hostile set's keys and good token verify,
// so each rejection is due to the one thing the case changes.
func TestHostileControl(t *testing.T) {
	es := testKey(t, ES256)
	raw := forge(t, es, `{"alg":"ES256","typ":"JWT"}`, goodClaims)
	keys, err := ParseKey(readTestdata(t, "interop", "ES256.pub.pem"), ES256, "")
	if err != nil {
		t.Fatal(err)
	}
	set, _ := NewVerifyKeySet(keys...)
	v, _ := NewVerifier(set, WithoutMaxLifetime(), WithIssuer("https://issuer.example"), WithAudience("authkit"))
	if _, err := v.Verify(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
}
