#!/bin/sh
# make-endpoint-cert.sh [--days N] [--key-type rsa|ecdsa] [--force | --if-missing] DOMAIN DIR
# make-endpoint-cert.sh [--days N] [--key-type rsa|ecdsa] [--force | --if-missing] --class DIR
#
# Make a self-signed HTTPS certificate for the skill endpoint at DOMAIN the
# way the Alexa developer console accepts one (spec/request-verification.md
# §1.5): an RSA 2048 key (or ECDSA P-256 with --key-type ecdsa), and an X.509
# certificate whose subjectAltName holds DOMAIN. Writes into DIR (created if
# missing):
#   private-key.pem     the key (mode 600): --tls-key; never share or commit it
#   certificate.pem     the certificate: --tls-cert, and what you paste into the
#                       console (Build > Endpoint > HTTPS > "I will upload a
#                       self-signed certificate in X.509 format")
#   configuration.cnf   the OpenSSL configuration it was made from
#
# For DOMAIN localhost the certificate also names 127.0.0.1 and ::1, so local
# clients that check the name accept it with the certificate as their CA.
# Self-signed certificates are for development: a published skill needs one
# from a certificate authority.
#
# --class makes the certificate of a class server (skillserver serve --class)
# for this machine instead of a DOMAIN: its subjectAltName holds the host
# name, NAME.local, every address of the machine that is not loopback or
# link-local (from `ip -o addr`, else `hostname -I`), localhost, 127.0.0.1 and
# ::1, so a child's browser accepts it by whichever of them it is given.
# Link-local IPv6 addresses (fe80::) are left out: a browser cannot open one
# without a zone (%eth0), which no URL bar takes. It then prints the
# addresses the children type. Run it again (--force) when the machine gets a
# new address on another network.
#
#   --days N       validity (default 365)
#   --key-type T   rsa (default): RSA 2048, the key Amazon's instructions make.
#                  ecdsa: ECDSA on the P-256 curve. Its handshake signature
#                  costs a fraction of RSA's (README, "TLS"), but Amazon's
#                  documentation names only RSA, so rsa stays the default for
#                  a certificate uploaded to the console.
#   --force        replace an existing key and certificate
#   --if-missing   do nothing (and succeed) when both files already exist
#
# The subject fields can be set with CERT_COUNTRY, CERT_STATE, CERT_CITY and
# CERT_ORG (defaults: US, WA, Seattle, skillserver).
set -eu

usage() {
    echo "usage: $0 [--days N] [--key-type rsa|ecdsa] [--force | --if-missing] DOMAIN DIR" >&2
    echo "       $0 [--days N] [--key-type rsa|ecdsa] [--force | --if-missing] --class DIR" >&2
    exit 2
}

days=365
key_type=rsa
force=0
if_missing=0
class=0
while [ $# -gt 0 ]; do
    case $1 in
    --days)
        [ $# -ge 2 ] || usage
        days=$2
        shift 2
        ;;
    --key-type)
        [ $# -ge 2 ] || usage
        key_type=$2
        shift 2
        ;;
    --force) force=1; shift ;;
    --if-missing) if_missing=1; shift ;;
    --class) class=1; shift ;;
    --help | -h) usage ;;
    -*) echo "$0: unknown option $1" >&2; usage ;;
    *) break ;;
    esac
done
# This machine's addresses that a browser on the class's network can open,
# one a line: no loopback (named separately below) and no link-local IPv6.
machine_addresses() {
    if command -v ip >/dev/null 2>&1; then
        # "2: eth0    inet 192.0.2.2/24 brd ... scope global eth0"
        ip -o addr show 2>/dev/null |
            awk '$3 == "inet" || $3 == "inet6" { sub("/.*", "", $4); print $4 }'
    else
        hostname -I 2>/dev/null | tr ' ' '\n'
    fi | while read -r a; do
        case $a in
        '' | 127.* | ::1 | [Ff][Ee]8* | [Ff][Ee][9AaBb]*) ;;
        *[!0-9A-Fa-f.:]*) ;; # not an address: never written into the configuration
        *) echo "$a" ;;
        esac
    done | awk '!seen[$0]++'
}

if [ $class -eq 1 ]; then
    [ $# -eq 1 ] || usage
    domain=$(hostname 2>/dev/null || uname -n)
    dir=$1
else
    [ $# -eq 2 ] || usage
    domain=$1
    dir=$2
fi

case $days in
'' | *[!0-9]*) echo "$0: --days takes a number of days, not '$days'" >&2; exit 2 ;;
esac
case $key_type in
rsa)
    # Amazon's example lists keyEncipherment and dataEncipherment, which only
    # suit RSA key exchange. skillserver offers forward-secret (ECDHE) key
    # exchange and TLS 1.3 only, where the key signs the handshake, so
    # digitalSignature is added; the console checks the subjectAltName, not
    # this.
    key_usage="digitalSignature, keyEncipherment, dataEncipherment"
    ;;
ecdsa)
    # An ECDSA key can only sign: clients that check keyUsage (Java does)
    # refuse one that claims to encipher.
    key_usage="digitalSignature"
    ;;
*) echo "$0: --key-type takes rsa or ecdsa, not '$key_type'" >&2; exit 2 ;;
esac
# A host name (optionally a wildcard's first label) or an IP address; nothing
# that could break out of the configuration file below.
case $domain in
'' | *[!A-Za-z0-9.:*-]* | *'*'?*'*'*)
    echo "$0: '$domain' is not a domain name such as skill.example.com" >&2
    exit 2
    ;;
esac

key=$dir/private-key.pem
cert=$dir/certificate.pem
cnf=$dir/configuration.cnf

if [ -e "$key" ] || [ -e "$cert" ]; then
    if [ $if_missing -eq 1 ] && [ -s "$key" ] && [ -s "$cert" ]; then
        exit 0
    fi
    if [ $force -ne 1 ]; then
        echo "$0: $dir already has a key or certificate; use --force to replace them" \
            "(and upload the new certificate to the developer console again)" >&2
        exit 1
    fi
fi

# The key's folder (and data/, when it is made here) are private: only the
# server reads them.
(umask 077 && mkdir -p "$dir")

case $domain in
*:* | *[!0-9.]*) is_ip=0 ;;
*) is_ip=1 ;;
esac
case $domain in *:*) is_ip=1 ;; esac

if [ $class -eq 1 ]; then
    case $domain in
    '' | *[!A-Za-z0-9.-]*) echo "$0: this machine's host name '$domain' is not usable" >&2; exit 1 ;;
    esac
    addresses=$(machine_addresses)
    short=${domain%%.*}
    names="DNS.1 = $domain
DNS.2 = $short.local
DNS.3 = localhost"
    [ "$short" = "$domain" ] || names="$names
DNS.4 = $short"
    n=1
    for a in $addresses 127.0.0.1 ::1; do
        names="$names
IP.$n = $a"
        n=$((n + 1))
    done
elif [ $is_ip -eq 1 ]; then
    names="IP.1 = $domain"
elif [ "$domain" = localhost ]; then
    names="DNS.1 = localhost
IP.1 = 127.0.0.1
IP.2 = ::1"
else
    names="DNS.1 = $domain"
fi

cat >"$cnf" <<EOF
[req]
distinguished_name = req_distinguished_name
x509_extensions = v3_req
prompt = no

[req_distinguished_name]
C = ${CERT_COUNTRY:-US}
ST = ${CERT_STATE:-WA}
L = ${CERT_CITY:-Seattle}
O = ${CERT_ORG:-skillserver}
CN = $domain

[v3_req]
keyUsage = $key_usage
extendedKeyUsage = serverAuth
subjectAltName = @subject_alternate_names

[subject_alternate_names]
$names
EOF

# The key is written with no access for others from its first byte.
trap 'rm -f "$key.tmp" "$cert.tmp"' EXIT
old_umask=$(umask)
umask 077
rm -f "$key.tmp"
if [ "$key_type" = ecdsa ]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$key.tmp" 2>/dev/null
else
    openssl genrsa -out "$key.tmp" 2048 2>/dev/null
fi
umask "$old_umask"
openssl req -new -x509 -sha256 -days "$days" -key "$key.tmp" -config "$cnf" \
    -out "$cert.tmp"
mv "$key.tmp" "$key"
mv "$cert.tmp" "$cert"
chmod 600 "$key"

if [ $class -eq 1 ]; then
    echo "Made a self-signed certificate for this machine, $domain (valid $days days):"
    echo "  $cert"
    echo "  $key   (secret: never commit or share it)"
    echo "Start the class server with:"
    echo "  skillserver serve --class --listen 0.0.0.0:8443 --tls-cert $cert --tls-key $key"
    echo "The children type one of these into their browser:"
    if [ -z "$addresses" ]; then
        echo "  (this machine has no network address yet: join the class's network and run"
        echo "  this again with --force)"
    fi
    for a in $addresses; do
        case $a in
        *:*) echo "  https://[$a]:8443/class/" ;;
        *) echo "  https://$a:8443/class/" ;;
        esac
    done
    echo "  https://$short.local:8443/class/   (where the network knows .local names)"
    echo "The first time, each browser warns that the connection is not private: the"
    echo "certificate was made by this machine, not bought. The class page explains how"
    echo "to go on (https://ADDRESS:8443/class/teacher)."
    exit 0
fi

cat <<EOF
Made a self-signed certificate for $domain (valid $days days):
  $cert
  $key   (secret: never commit or share it)
Serve with:
  skillserver serve --listen 0.0.0.0:443 --tls-cert $cert --tls-key $key
In the Alexa developer console: Build > Endpoint > HTTPS, enter
https://$domain/skills/NAME, choose "I will upload a self-signed certificate in
X.509 format" and paste all of $cert (BEGIN and END lines included).
EOF
