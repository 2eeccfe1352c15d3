#!/usr/bin/python3
"""Generate cross-implementation password hash samples for authkit's password package.

Run on Debian 12 with:
    apt-get install -y python3-argon2 python3-passlib python3-bcrypt python3-django php-cli
    /usr/bin/python3 gen_samples.py > samples.json

Every sample is {impl, password, hash}; TestCrossImplementationSamples verifies each one.
Parameters are kept modest so the test runs quickly under -race, except for a few
samples that use each implementation's real defaults.
"""
import json
import subprocess

import argon2
import bcrypt
import passlib
from passlib import hash as ph
import django
from django.conf import settings

settings.configure(PASSWORD_HASHERS=[
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
])
django.setup()
from django.contrib.auth.hashers import make_password  # noqa: E402

samples = []


def add(impl, password, h):
    samples.append({"impl": impl, "password": password, "hash": h})


pws = ["correct horse battery staple", "Pässwörd-ünïcödé-✓", "x", "Tr0ub4dor&3 with spaces "]

# argon2-cffi
ver = argon2.__version__
add(f"argon2-cffi {ver} defaults", pws[0], argon2.PasswordHasher().hash(pws[0]))
add(f"argon2-cffi {ver} OWASP m=19456,t=2,p=1", pws[1],
    argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(pws[1]))
for i, pw in enumerate(pws):
    add(f"argon2-cffi {ver} low params", pw,
        argon2.PasswordHasher(time_cost=1 + i, memory_cost=64 + 64 * i, parallelism=1 + i % 2,
                              hash_len=16 + 8 * i, salt_len=8 + 8 * i).hash(pw))
    add(f"argon2-cffi {ver} argon2i", pw,
        argon2.PasswordHasher(time_cost=2, memory_cost=256, parallelism=2,
                              type=argon2.Type.I).hash(pw))

# passlib
pv = passlib.__version__
for pw in pws:
    add(f"passlib {pv} pbkdf2_sha256 default", pw, ph.pbkdf2_sha256.hash(pw))
    add(f"passlib {pv} pbkdf2_sha256 rounds=1000 salt_size=8", pw,
        ph.pbkdf2_sha256.using(rounds=1000, salt_size=8).hash(pw))
    add(f"passlib {pv} pbkdf2_sha1", pw, ph.pbkdf2_sha1.using(rounds=2000).hash(pw))
    add(f"passlib {pv} pbkdf2_sha512", pw, ph.pbkdf2_sha512.using(rounds=2000).hash(pw))
    add(f"passlib {pv} bcrypt 2b", pw, ph.bcrypt.using(rounds=4).hash(pw))
    add(f"passlib {pv} bcrypt 2a", pw, ph.bcrypt.using(rounds=5, ident="2a").hash(pw))
    add(f"passlib {pv} bcrypt 2y", pw, ph.bcrypt.using(rounds=4, ident="2y").hash(pw))
    add(f"passlib {pv} argon2", pw, ph.argon2.using(rounds=2, memory_cost=512, parallelism=2).hash(pw))

# pyca bcrypt (OpenBSD's bcrypt code)
bv = bcrypt.__version__
for pw in pws:
    add(f"pyca-bcrypt {bv} (OpenBSD) 2b", pw, bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4)).decode())
    add(f"pyca-bcrypt {bv} (OpenBSD) 2a", pw,
        bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4, prefix=b"2a")).decode())
add(f"pyca-bcrypt {bv} (OpenBSD) 2b cost 6", pws[0], bcrypt.hashpw(pws[0].encode(), bcrypt.gensalt(6)).decode())

# Django
dv = django.__version__
from django.contrib.auth.hashers import PBKDF2PasswordHasher, PBKDF2SHA1PasswordHasher  # noqa: E402

add(f"django {dv} pbkdf2_sha256 default", pws[0], make_password(pws[0], hasher="pbkdf2_sha256"))
add(f"django {dv} pbkdf2_sha1 default", pws[1], make_password(pws[1], hasher="pbkdf2_sha1"))
for pw in pws:
    add(f"django {dv} pbkdf2_sha256 iterations=1000", pw, PBKDF2PasswordHasher().encode(pw, PBKDF2PasswordHasher().salt(), 1000))
    add(f"django {dv} pbkdf2_sha1 iterations=1000", pw, PBKDF2SHA1PasswordHasher().encode(pw, PBKDF2SHA1PasswordHasher().salt(), 1000))

# PHP password_hash
php = r'''
$pws = json_decode(stream_get_contents(STDIN));
$out = [];
foreach ($pws as $pw) {
  $out[] = ["impl" => "php " . PHP_VERSION . " password_hash PASSWORD_BCRYPT cost 4", "password" => $pw,
            "hash" => password_hash($pw, PASSWORD_BCRYPT, ["cost" => 4])];
  if (defined("PASSWORD_ARGON2ID")) {
    $out[] = ["impl" => "php " . PHP_VERSION . " password_hash PASSWORD_ARGON2ID low", "password" => $pw,
              "hash" => password_hash($pw, PASSWORD_ARGON2ID, ["memory_cost" => 1024, "time_cost" => 2, "threads" => 1])];
  }
}
$out[] = ["impl" => "php " . PHP_VERSION . " password_hash PASSWORD_DEFAULT", "password" => $pws[0],
          "hash" => password_hash($pws[0], PASSWORD_DEFAULT)];
if (defined("PASSWORD_ARGON2ID")) {
  $out[] = ["impl" => "php " . PHP_VERSION . " password_hash PASSWORD_ARGON2ID default", "password" => $pws[0],
            "hash" => password_hash($pws[0], PASSWORD_ARGON2ID)];
}
echo json_encode($out);
'''
try:
    res = subprocess.run(["php", "-r", php], input=json.dumps(pws), capture_output=True, text=True, check=True)
    samples.extend(json.loads(res.stdout))
except (OSError, subprocess.CalledProcessError) as e:
    import sys
    print(f"php unavailable, skipped: {e}", file=sys.stderr)

print(json.dumps(samples, indent=1, ensure_ascii=False))
