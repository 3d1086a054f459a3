// The benchmark's peer: the same skill as tests/bench/skills/welcome, written
// with the official Alexa Skills Kit SDK for Node.js (ask-sdk-core) and served
// by its Express adapter (ask-sdk-express-adapter), the way the SDK's
// documentation shows a skill hosted as a web service.
//
//   node [-r ./preload.js] skill.js --port-file FILE [--listen HOST:PORT]
//        [--tls-cert PEM --tls-key PEM] [--no-verify] [--processes N]
//
// POST /skills/welcome (and POST /) run the skill. Signature and timestamp
// verification are on unless --no-verify is given. With --tls-cert and
// --tls-key it serves HTTPS, else plain HTTP. Once it accepts connections it
// writes the port to FILE. --processes N runs N processes sharing the port
// (node:cluster); the default is one, as the SDK's examples run. SIGTERM
// stops it.
'use strict';

const cluster = require('node:cluster');
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const Alexa = require('ask-sdk-core');
const express = require('express');
const { ExpressAdapter } = require('ask-sdk-express-adapter');

function usage(message) {
    process.stderr.write(`skill.js: ${message}\n`);
    process.exit(2);
}

function parseArgs(argv) {
    const opts = { listen: '127.0.0.1:0', verify: true, processes: 1 };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            if (i + 1 >= argv.length) usage(`${a} needs a value`);
            return argv[++i];
        };
        if (a === '--listen') opts.listen = value();
        else if (a === '--port-file') opts.portFile = value();
        else if (a === '--tls-cert') opts.tlsCert = value();
        else if (a === '--tls-key') opts.tlsKey = value();
        else if (a === '--no-verify') opts.verify = false;
        else if (a === '--processes') opts.processes = Number(value());
        else usage(`unknown option ${a}`);
    }
    if (!opts.portFile) usage('--port-file is required');
    if (!!opts.tlsCert !== !!opts.tlsKey) usage('--tls-cert and --tls-key go together');
    if (!Number.isInteger(opts.processes) || opts.processes < 1) {
        usage('--processes takes a whole number of at least 1');
    }
    const m = /^(.*):(\d+)$/.exec(opts.listen);
    if (!m) usage(`--listen takes HOST:PORT, not ${opts.listen}`);
    opts.host = m[1].replace(/^\[(.*)\]$/, '$1');
    opts.port = Number(m[2]);
    return opts;
}

const LaunchRequestHandler = {
    canHandle(handlerInput) {
        return Alexa.getRequestType(handlerInput.requestEnvelope) === 'LaunchRequest';
    },
    handle(handlerInput) {
        return handlerInput.responseBuilder
            .speak('Welcome! Say thank you.')
            .reprompt('Say thank you.')
            .getResponse();
    },
};

// The same SSML as the Python skill: the name is escaped, the rest is markup.
const ThankYouIntentHandler = {
    canHandle(handlerInput) {
        return (
            Alexa.getRequestType(handlerInput.requestEnvelope) === 'IntentRequest' &&
            Alexa.getIntentName(handlerInput.requestEnvelope) === 'ThankYouIntent'
        );
    },
    handle(handlerInput) {
        const name = Alexa.getSlotValue(handlerInput.requestEnvelope, 'name') || 'friend';
        return handlerInput.responseBuilder
            .speak(
                `You are welcome, ${Alexa.escapeXmlCharacters(name)}! ` +
                    '<break time="200ms"/> Have a great day.',
            )
            .withShouldEndSession(true)
            .getResponse();
    },
};

const SessionEndedRequestHandler = {
    canHandle(handlerInput) {
        return Alexa.getRequestType(handlerInput.requestEnvelope) === 'SessionEndedRequest';
    },
    handle(handlerInput) {
        return handlerInput.responseBuilder.getResponse();
    },
};

function serve(opts) {
    const skill = Alexa.SkillBuilders.custom()
        .addRequestHandlers(LaunchRequestHandler, ThankYouIntentHandler, SessionEndedRequestHandler)
        .create();
    const adapter = new ExpressAdapter(skill, opts.verify, opts.verify);
    const app = express();
    app.post('/skills/welcome', adapter.getRequestHandlers());
    app.post('/', adapter.getRequestHandlers());
    const server = opts.tlsCert
        ? https.createServer(
              { cert: fs.readFileSync(opts.tlsCert), key: fs.readFileSync(opts.tlsKey) },
              app,
          )
        : http.createServer(app);
    server.listen(opts.port, opts.host);
    return server;
}

function writePort(file, port) {
    fs.writeFileSync(`${file}.tmp`, `${port}\n`);
    fs.renameSync(`${file}.tmp`, file);
}

function main() {
    const opts = parseArgs(process.argv.slice(2));
    if (opts.processes === 1) {
        const server = serve(opts);
        server.on('listening', () => writePort(opts.portFile, server.address().port));
        process.on('SIGTERM', () => server.close(() => process.exit(0)));
        return;
    }
    if (cluster.isPrimary) {
        // The processes share one listening socket: the port is known once
        // the first of them listens, and written when all of them do.
        let listening = 0;
        let stopping = false;
        cluster.on('listening', (worker, address) => {
            listening++;
            if (listening === opts.processes) writePort(opts.portFile, address.port);
        });
        cluster.on('exit', (worker, code, signal) => {
            if (!stopping) {
                process.stderr.write(`skill.js: process ${worker.process.pid} ended (${signal || code})\n`);
                process.exit(1);
            }
        });
        process.on('SIGTERM', () => {
            stopping = true;
            for (const id in cluster.workers) cluster.workers[id].process.kill('SIGTERM');
            cluster.disconnect(() => process.exit(0));
        });
        for (let i = 0; i < opts.processes; i++) cluster.fork();
        return;
    }
    const server = serve(opts);
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

main();
