#!/usr/bin/python3
"""Generate keys and tokens with independent JWT implementations.

Keys are made with jwcrypto; tokens are signed by PyJWT (no kid, typ "JWT",
integer iat) and by jwcrypto (with kid, no typ). authkit's tests verify them
all through the Verifier and through `authkit jwt verify`.

Run from this directory with Debian's python3-jwt and python3-jwcrypto:
    /usr/bin/python3 gen_interop.py
The outputs under interop/ are committed; rerunning replaces them.
"""
import json
import os
import secrets

import jwt  # PyJWT
from jwcrypto import jwk, jws
from jwcrypto.common import json_encode

OUT = "interop"
IAT = 1764331200          # 2025-11-28T12:00:00Z
EXP = 4102444800          # 2100-01-01T00:00:00Z
CLAIMS = {"sub": "interop-user", "iss": "https://issuer.example", "aud": "authkit",
          "iat": IAT, "exp": EXP, "name": "Ada", "roles": ["admin"]}

SPECS = {
    "HS256": ("oct", {"size": 256}), "HS384": ("oct", {"size": 384}), "HS512": ("oct", {"size": 512}),
    "RS256": ("RSA", {"size": 2048}), "RS384": ("RSA", {"size": 2048}), "RS512": ("RSA", {"size": 2048}),
    "PS256": ("RSA", {"size": 2048}),
    "ES256": ("EC", {"crv": "P-256"}), "ES384": ("EC", {"crv": "P-384"}),
    "EdDSA": ("OKP", {"crv": "Ed25519"}),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    jwks = {"keys": []}
    for alg, (kty, params) in SPECS.items():
        kid = "interop-" + alg.lower()
        if kty == "oct":
            # The secret is the file's text (as `authkit jwt verify --key` reads it).
            text = secrets.token_urlsafe(48)
            with open(f"{OUT}/{alg}.secret", "w") as f:
                f.write(text + "\n")
            key = jwk.JWK(kty="oct", k=jwk.base64url_encode(text.encode()), kid=kid, alg=alg)
            pyjwt_key = text.encode()
        else:
            key = jwk.JWK.generate(kty=kty, kid=kid, alg=alg, use="sig", **params)
            with open(f"{OUT}/{alg}.pub.pem", "wb") as f:
                f.write(key.export_to_pem())
            with open(f"{OUT}/{alg}.key.pem", "wb") as f:
                f.write(key.export_to_pem(private_key=True, password=None))
            with open(f"{OUT}/{alg}.pub.jwk", "w") as f:
                f.write(key.export_public() + "\n")
            jwks["keys"].append(json.loads(key.export_public()))
            pyjwt_key = key.export_to_pem(private_key=True, password=None)
        # PyJWT: typ JWT, no kid.
        tok = jwt.encode(CLAIMS, pyjwt_key, algorithm=alg)
        with open(f"{OUT}/{alg}.pyjwt.token", "w") as f:
            f.write(tok + "\n")
        # jwcrypto: kid, no typ.
        s = jws.JWS(json_encode(CLAIMS).encode())
        s.add_signature(key, None, json_encode({"alg": alg, "kid": kid}))
        with open(f"{OUT}/{alg}.jwcrypto.token", "w") as f:
            f.write(s.serialize(compact=True) + "\n")
    with open(f"{OUT}/public.jwks", "w") as f:
        json.dump(jwks, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
