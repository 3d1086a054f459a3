#!/bin/sh
# make-test-chain.sh DIR - make a throw-away certificate chain that imitates
# Amazon's request-signing chain, for tests and for `skillserver sign`.
#
# Writes into DIR (created if missing):
#   root.pem              the test root CA; trust it with --trust-ca
#   root.key, inter.key   CA keys (only needed to issue more certificates)
#   inter.pem             intermediate CA, issued by root
#   leaf.key              the signing key: `skillserver sign --key DIR/leaf.key`
#   other.key             a second RSA key, for "signed with the wrong key" tests
#   chain.pem             leaf (SAN echo-api.amazon.com) + intermediate: valid
#   expired.pem           same, but the leaf expired in 2020
#   notyet.pem            same, but the leaf becomes valid in 2090
#   wrongsan.pem          leaf with SAN DNS:echo-api.example.com only
#   wildcard.pem          leaf with SAN DNS:*.amazon.com only (not good enough)
#   nosan.pem             leaf without SAN, echo-api.amazon.com only in the CN
#   untrusted.pem         valid-looking chain under a root that nobody trusts
#   selfsigned.pem        self-signed leaf with the right SAN
#   nointer.pem           the good leaf without its intermediate
#   badusage.pem          leaf whose keyUsage lacks digitalSignature
#   s3.pem, s3.key        TLS server certificate for s3.amazonaws.com issued by
#                         root, for a local HTTPS host that serves the chain
#                         files (reach it with --cert-connect-to)
#
# Every key is freshly generated here: no private key is ever committed.
# Needs the openssl command (1.1.1 or 3.x).
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dir=$1
mkdir -p "$dir"
cd "$dir"

work=$(mktemp -d ./.ca.XXXXXX)
trap 'rm -rf "$work"' EXIT

key() {
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
    chmod 600 "$1"
}

# One config for `openssl ca`, which (unlike `x509 -req` in OpenSSL 3.0) can
# set arbitrary start and end dates. Each certificate kind is an extension
# section.
cat >"$work/ca.cnf" <<'EOF'
[ca]
default_ca = testca

[testca]
dir = .
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none

[anything]
commonName = supplied
organizationName = optional

[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused

[v3_ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[leaf]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:echo-api.amazon.com
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[leaf_wrongsan]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
subjectAltName = DNS:echo-api.example.com
authorityKeyIdentifier = keyid

[leaf_wildcard]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
subjectAltName = DNS:*.amazon.com
authorityKeyIdentifier = keyid

[leaf_nosan]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
authorityKeyIdentifier = keyid

[leaf_badusage]
basicConstraints = CA:false
keyUsage = critical, keyEncipherment
subjectAltName = DNS:echo-api.amazon.com
authorityKeyIdentifier = keyid

[leaf_self]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
subjectAltName = DNS:echo-api.amazon.com

[server]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:s3.amazonaws.com
authorityKeyIdentifier = keyid
EOF

# issue NAME CA_NAME SUBJECT_CN EXT START END: NAME.csr (made from leaf.key
# unless NAME.key exists) signed by CA_NAME into NAME.crt (in $work).
issue() {
    name=$1 ca=$2 cn=$3 ext=$4 start=$5 end=$6
    keyfile=leaf.key
    [ -f "$name.key" ] && keyfile=$name.key
    openssl req -new -key "$keyfile" -subj "/O=skillserver test/CN=$cn" \
        -config "$work/ca.cnf" -out "$work/$name.csr"
    (cd "$work" && openssl ca -batch -notext -config ca.cnf \
        -cert "../$ca.pem" -keyfile "../$ca.key" \
        -extensions "$ext" -startdate "$start" -enddate "$end" \
        -in "$name.csr" -out "$name.crt" 2>/dev/null)
}

mkdir "$work/new"
: >"$work/index.txt"
echo 1000 >"$work/serial"

# Dates in the past or far future are what `openssl ca` makes possible.
past=20000101000000Z
far=20991231235959Z

key root.key
key inter.key
key leaf.key
key other.key
key s3.key
openssl req -new -x509 -key root.key -subj "/O=skillserver test/CN=skillserver test root" \
    -config "$work/ca.cnf" -extensions v3_ca -days 36500 -out root.pem
openssl req -new -x509 -key other.key -subj "/O=skillserver test/CN=untrusted test root" \
    -config "$work/ca.cnf" -extensions v3_ca -days 36500 -out other.pem

issue inter root "skillserver test intermediate" v3_ca "$past" "$far"
cp "$work/inter.crt" inter.pem

issue good inter echo-api.amazon.com leaf "$past" "$far"
issue expired inter echo-api.amazon.com leaf 20200101000000Z 20201231235959Z
issue notyet inter echo-api.amazon.com leaf 20900101000000Z "$far"
issue wrongsan inter echo-api.amazon.com leaf_wrongsan "$past" "$far"
issue wildcard inter echo-api.amazon.com leaf_wildcard "$past" "$far"
issue nosan inter echo-api.amazon.com leaf_nosan "$past" "$far"
issue badusage inter echo-api.amazon.com leaf_badusage "$past" "$far"
issue untrusted other echo-api.amazon.com leaf "$past" "$far"
issue s3 root s3.amazonaws.com server "$past" "$far"
cp "$work/s3.crt" s3.pem

# The signing chain as Amazon ships it: signing certificate first.
cat "$work/good.crt" inter.pem >chain.pem
for v in expired notyet wrongsan wildcard nosan badusage; do
    cat "$work/$v.crt" inter.pem >"$v.pem"
done
cat "$work/untrusted.crt" other.pem >untrusted.pem
cp "$work/good.crt" nointer.pem
openssl req -new -x509 -key leaf.key -subj "/O=skillserver test/CN=echo-api.amazon.com" \
    -config "$work/ca.cnf" -extensions leaf_self -days 36500 -out selfsigned.pem
rm -f other.pem
