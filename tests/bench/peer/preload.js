// Preloaded with `node -r ./preload.js skill.js` for the benchmark's
// verification cases: points the SDK's signature verifier at the test signing
// chain of certs/make-test-chain.sh instead of Amazon's, without changing the
// SDK's files. skillserver gets the same two changes from its options
// --cert-connect-to and --trust-ca.
//
//   PEER_CERT_CONNECT_TO=HOST:PORT  where the chain files are fetched from
//                                   instead of s3.amazonaws.com:443 (a local
//                                   HTTPS host, tests/chain_host.py)
//   PEER_TRUST_CA=PEM               the test root: the local host's TLS
//                                   certificate and the signing chain are
//                                   both issued by it
//
// With neither set it changes nothing.
//
// What the verifier does (ask-sdk-express-adapter 2.14,
// dist/verifier/index.js): it checks that SignatureCertChainUrl is
// https://s3.amazonaws.com/echo.api/..., downloads the chain once per URL with
// require('https').get(url, callback) and caches it, checks the signing
// certificate's dates and its echo-api.amazon.com subjectAltName, and checks
// the chain with node-forge against a CA store that helper.generateCAStore()
// builds from require('tls').rootCertificates, Node's built-in roots (which
// NODE_EXTRA_CA_CERTS does not extend, and which cannot be redefined). Then
// it checks Signature-256 over the body with that certificate, per request.
// So two things are replaced here, nothing else:
//   1. https.get, for URLs on s3.amazonaws.com only: the same path, fetched
//      from PEER_CERT_CONNECT_TO, with TLS checked against the test root under
//      the name s3.amazonaws.com;
//   2. helper.generateCAStore: the store it builds gets the test root added.
// The URL checks, the download-once cache, the date and name checks, the
// chain check itself and the signature check stay the SDK's own.
'use strict';

const fs = require('node:fs');
const https = require('node:https');

const connectTo = process.env.PEER_CERT_CONNECT_TO;
const trustCa = process.env.PEER_TRUST_CA;

if (connectTo || trustCa) {
    if (!connectTo || !trustCa) {
        throw new Error('preload.js: set both PEER_CERT_CONNECT_TO and PEER_TRUST_CA');
    }
    const m = /^(.*):(\d+)$/.exec(connectTo);
    if (!m) throw new Error(`preload.js: PEER_CERT_CONNECT_TO is HOST:PORT, not ${connectTo}`);
    const root = fs.readFileSync(trustCa, 'utf8');

    const get = https.get;
    https.get = function getFromLocalChainHost(url, ...rest) {
        const u = typeof url === 'string' ? new URL(url) : url instanceof URL ? url : null;
        if (!u || u.hostname !== 's3.amazonaws.com') return get.call(this, url, ...rest);
        // get(url, callback) or get(url, options, callback)
        const given = typeof rest[0] === 'object' && rest[0] !== null ? rest.shift() : {};
        const options = {
            ...given,
            host: m[1],
            port: Number(m[2]),
            path: u.pathname + u.search,
            servername: 's3.amazonaws.com',
            headers: { host: 's3.amazonaws.com' },
            ca: [root],
        };
        return get.call(this, options, ...rest);
    };

    const helper = require('ask-sdk-express-adapter/dist/verifier/helper');
    const generateCAStore = helper.generateCAStore;
    helper.generateCAStore = function withTestRoot(certs) {
        return generateCAStore([...certs, root]);
    };
}
