#!/usr/bin/env bash
# Creates what deploy/compose needs and the repository never holds: deploy/compose/secrets/* (random passwords,
# the MongoDB key file and connection strings, identity's Ed25519 signing keys, the web's CSRF key, and a
# self-signed TLS certificate unless you put your own in secrets/tls_cert and secrets/tls_key first) and
# deploy/compose/.env (the settings of this host). Existing files are kept: run it again after deleting one to
# renew just that one. Needs bash, openssl (1.1.1+) and git.
#   deploy/compose/secrets.sh [hostname]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
host=${1:-localhost}

umask 077
mkdir -p secrets
chmod 700 secrets

# The containers run as other users than yours (distroless nonroot 65532, mongodb 999): the files are readable
# by all, the directory by you only.
new() { # new NAME COMMAND...: writes secrets/NAME from the command's output unless it exists
  local f="secrets/$1"; shift
  if [ -s "$f" ]; then echo "kept    $f"; return; fi
  "$@" > "$f.tmp" && mv "$f.tmp" "$f" && chmod 644 "$f" && echo "created $f"
}
password() { openssl rand -hex 24; }   # hex: no character needs escaping in a connection string

new mongo_keyfile openssl rand -base64 756
for u in root backup identity beneficiaries decisions payments web; do
  name=mongo_password_$u
  case $u in root) name=mongo_root_password ;; backup) name=mongo_backup_password ;; esac
  new "$name" password
done
hosts=mongo1:27017,mongo2:27017,mongo3:27017
uri() { printf 'mongodb://%s:%s@%s/?replicaSet=rs0&authSource=admin&w=majority\n' "$1" "$(cat "secrets/mongo_password_$1")" "$hosts"; }
for svc in identity beneficiaries decisions payments web; do new "mongo_uri_$svc" uri "$svc"; done
new identity_signing_key openssl genpkey -algorithm ed25519
new identity_signing_key_next openssl genpkey -algorithm ed25519
new identity_admin_password password
new web_login_csrf_key password
if [ ! -s secrets/tls_cert ] || [ ! -s secrets/tls_key ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host" -keyout secrets/tls_key -out secrets/tls_cert 2>/dev/null
  chmod 644 secrets/tls_key secrets/tls_cert
  echo "created secrets/tls_cert and secrets/tls_key: self-signed for $host — replace them by your CA's"
fi

if [ ! -s .env ]; then
  cat > .env <<ENV
# Settings of this host for deploy/compose (not secrets; never committed). See deploy/README.md.
ENTRAIDE_VERSION=$(git describe --tags --always 2>/dev/null || echo dev)
ENTRAIDE_COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
ENTRAIDE_HOSTNAME=$host
ENTRAIDE_ADMIN_USERNAME=admin
ENTRAIDE_SIGNING_KEYS=/run/secrets/identity_signing_key
ENV
  chmod 644 .env
  echo "created .env"
fi
echo "platform admin: $(grep ENTRAIDE_ADMIN_USERNAME .env | cut -d= -f2) / password in deploy/compose/secrets/identity_admin_password"
