// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The npm `ws` package as the peer of strata's WebSocket, run by
// websocket_interop_test.cpp; the same commands and output as ws_peer.py.
//
//   node ws_peer.js client --url=URL [--deflate=VARIANT] [--subprotocols=a,b]
//       Sends the shared messages and checks their echoes, pings and waits
//       for the pong, closes with 4000 and a reason. Prints, one a line:
//         OPEN subprotocol=<name or -> extensions=<Sec-WebSocket-Extensions or ->
//         ECHO <message name> ok | ECHO <name> mismatch <why>
//         PONG ok | PONG timeout
//         CLOSED <code the peer's close frame had> <its reason>
//
//   node ws_peer.js server [--deflate=VARIANT] [--subprotocols=a,b]
//       Listens on 127.0.0.1 (a port of its own), prints LISTENING <port>, and
//       echoes every message, except three commands:
//         cmd:info   answers "subprotocol=<name or -> extensions=<header or ->"
//         cmd:ping   pings; answers "pong received" once the pong came back
//         cmd:close  closes with 1001 "node server going away"
//       and logs OPEN ..., PONG ..., CLOSED <code> <reason> (what came back).
//
// Deflate variants: off, on (ws's default offer or answer), no_context_takeover
// (both directions), window_bits_10 (both directions). Every variant with
// deflate compresses every message (threshold 0; ws's default skips those
// under 1 KiB).
'use strict';

const { WebSocket, WebSocketServer } = require('ws');

const options = { mode: process.argv[2], deflate: 'on', subprotocols: '' };
for (const a of process.argv.slice(3)) {
    const m = /^--([^=]+)=(.*)$/s.exec(a);
    if (!m) {
        console.error(`ws_peer: unexpected argument ${a}`);
        process.exit(2);
    }
    options[m[1]] = m[2];
}
const timeout = 30000;

/** Bytes whose repeats lie far apart, the same in the C++ and the Python peers. */
function pattern(n) {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; ++i)
        out[i] = Math.floor((i * 2654435761) / 8192) % 256;
    return out;
}

/** Bytes deflate cannot shrink (xorshift32), the same in the C++ and the Python peers. */
function noise(n) {
    const out = Buffer.alloc(n);
    let x = 2463534242;
    for (let i = 0; i < n; ++i) {
        x = (x ^ (x << 13)) >>> 0;
        x = (x ^ (x >>> 17)) >>> 0;
        x = (x ^ (x << 5)) >>> 0;
        out[i] = x & 0xff;
    }
    return out;
}

// [name, message]: what the client sends, in this order. The C++ test has
// the same list (peer_messages()).
const messages = [
    ['text', 'hello, strata'],
    ['utf8', 'h\u00e9llo \u2713 \u{1d11e}'],
    ['empty_text', ''],
    ['empty_binary', Buffer.alloc(0)],
    ['repetitive', 'strata websocket '.repeat(4096)],
    ['mib', pattern(1024 * 1024)],
    ['noise', noise(64 * 1024)],
];

function perMessageDeflate(variant) {
    switch (variant) {
    case 'off':
        return false;
    case 'on':
        return { threshold: 0 };
    case 'no_context_takeover':
        return { threshold: 0, clientNoContextTakeover: true, serverNoContextTakeover: true };
    case 'window_bits_10':
        return { threshold: 0, serverMaxWindowBits: 10, clientMaxWindowBits: 10 };
    default:
        console.error(`ws_peer: unknown deflate variant ${variant}`);
        process.exit(2);
    }
}

const subprotocols = options.subprotocols.split(',').filter(Boolean);

function say(line) {
    process.stdout.write(line + '\n');
}

/** Messages as they arrive, awaited one at a time. */
function inbox(ws) {
    const queue = [];
    const waiting = [];
    let closed = null;
    ws.on('message', (data, isBinary) => {
        const m = isBinary ? data : data.toString('utf8');
        if (waiting.length)
            waiting.shift().resolve(m);
        else
            queue.push(m);
    });
    ws.on('close', () => {
        closed = new Error('closed');
        for (const w of waiting.splice(0))
            w.reject(closed);
    });
    return () => {
        if (queue.length)
            return Promise.resolve(queue.shift());
        if (closed)
            return Promise.reject(closed);
        return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    };
}

function same(a, b) {
    if (typeof a === 'string' || typeof b === 'string')
        return a === b;
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
}

function waitFor(emitter, event, ms) {
    return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), ms);
        emitter.once(event, (...args) => {
            clearTimeout(timer);
            resolve(args);
        });
    });
}

async function runClient() {
    const ws = new WebSocket(options.url, subprotocols, {
        perMessageDeflate: perMessageDeflate(options.deflate),
        handshakeTimeout: timeout,
    });
    let extensions = '-';
    ws.on('upgrade', (res) => {
        extensions = res.headers['sec-websocket-extensions'] || '-';
    });
    const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve([code, reason.toString()])));
    const next = inbox(ws);
    await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
    });
    say(`OPEN subprotocol=${ws.protocol || '-'} extensions=${extensions}`);
    for (const [name, data] of messages) {
        ws.send(data, { binary: Buffer.isBuffer(data) });
        const got = await next();
        if (typeof got !== typeof data)
            say(`ECHO ${name} mismatch type ${typeof got}`);
        else if (!same(got, data))
            say(`ECHO ${name} mismatch ${got.length} of ${data.length}`);
        else
            say(`ECHO ${name} ok`);
    }
    const pong = waitFor(ws, 'pong', 5000);
    ws.ping(Buffer.from('node ping'));
    say((await pong) ? 'PONG ok' : 'PONG timeout');
    ws.close(4000, 'node says goodbye');
    const [code, reason] = await closed;
    say(`CLOSED ${code} ${reason}`);
}

function serve() {
    const wss = new WebSocketServer({
        host: '127.0.0.1',
        port: 0,
        perMessageDeflate: perMessageDeflate(options.deflate),
        handleProtocols: (offered) => subprotocols.find((p) => offered.has(p)) || false,
    });
    // The response's Sec-WebSocket-Extensions, kept for the connection's info.
    const answered = new WeakMap();
    wss.on('headers', (headers, req) => {
        const line = headers.find((h) => /^sec-websocket-extensions:/i.test(h));
        answered.set(req, line ? line.slice(line.indexOf(':') + 1).trim() : '-');
    });
    wss.on('listening', () => say(`LISTENING ${wss.address().port}`));
    wss.on('connection', (ws, req) => {
        const info = `subprotocol=${ws.protocol || '-'} extensions=${answered.get(req) || '-'}`;
        say(`OPEN ${info}`);
        ws.on('message', async (data, isBinary) => {
            const text = isBinary ? null : data.toString('utf8');
            if (text === 'cmd:info') {
                ws.send(info);
            } else if (text === 'cmd:ping') {
                const pong = waitFor(ws, 'pong', 5000);
                ws.ping(Buffer.from('node server ping'));
                if (await pong) {
                    say('PONG ok');
                    ws.send('pong received');
                } else {
                    say('PONG timeout');
                    ws.send('pong timeout');
                }
            } else if (text === 'cmd:close') {
                ws.close(1001, 'node server going away');
            } else {
                ws.send(isBinary ? data : text, { binary: isBinary });
            }
        });
        ws.on('close', (code, reason) => say(`CLOSED ${code} ${reason.toString()}`));
        ws.on('error', (e) => say(`ERROR ${e.message}`));
    });
    wss.on('error', (e) => {
        console.error(`ws_peer: ${e.stack || e}`);
        process.exit(1);
    });
}

if (options.mode === 'client') {
    const watchdog = setTimeout(() => {
        console.error(`ws_peer: gave up after ${timeout} ms`);
        process.exit(1);
    }, timeout);
    runClient().then(
        () => {
            clearTimeout(watchdog);
        },
        (e) => {
            console.error(`ws_peer: ${e && e.stack ? e.stack : e}`);
            process.exit(1);
        });
} else if (options.mode === 'server') {
    serve();
} else {
    console.error('usage: node ws_peer.js client --url=URL | server [--deflate=VARIANT] [--subprotocols=a,b]');
    process.exit(2);
}
