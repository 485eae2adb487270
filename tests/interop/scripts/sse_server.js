// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// A text/event-stream server that is not strata, on Node's http module, for
// strata's event_source to read. It writes the stream's corner cases in
// separate pieces (a BOM split in two, CRLF and CR line ends, a CRLF and a
// UTF-8 sequence split across writes, comments, fields without a space,
// unknown fields, an invalid retry) and cuts connections on purpose. Each
// request is logged on stdout as
//   REQUEST <path> last-event-id=<value or -> accept=<value or ->
//
//   /stream     first: events 1-3 with ids, then the connection is cut after
//               a whole event; with Last-Event-ID: "resumed after <it>" (id 4)
//               and a typed event (id 5), then it stays open
//   /cut        first: event 1, then "id: 2" and a data line with no blank
//               line after them, and the connection is cut; with
//               Last-Event-ID: "resumed after <it>" (id 3), open
//   /nocontent  204, which tells a client to stop
//   /plain      200 text/plain with a body that looks like an event
//
// usage: node sse_server.js PORT [LIFETIME_MS]
'use strict';

const http = require('http');

const port = Number(process.argv[2]);
const lifetime = Number(process.argv[3] || 120000);
if (!(port > 0)) {
    console.error('usage: node sse_server.js PORT [LIFETIME_MS]');
    process.exit(2);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function write(res, bytes) {
    return new Promise((resolve, reject) => res.write(bytes, (e) => (e ? reject(e) : resolve())));
}

function start_stream(res) {
    res.writeHead(200, {
        // A parameter and capitals: the media type is what counts.
        'Content-Type': 'Text/Event-Stream; charset=utf-8',
        'Cache-Control': 'no-store',
    });
    res.flushHeaders();
}

/// Writes each piece on its own, a little apart, so that they tend to reach
/// the client in separate reads.
async function send_pieces(res, pieces) {
    for (const piece of pieces) {
        await write(res, piece);
        await sleep(20);
    }
}

/// Cuts the connection once what was written has left.
async function cut(res) {
    await sleep(50);
    res.socket.destroy();
}

const first_stream = [
    Buffer.from([0xef, 0xbb]),
    Buffer.concat([Buffer.from([0xbf]), Buffer.from(': a comment first\r\n')]),
    'retry: 100\r\n\r\n',
    'id: 1\r\ndata: first\r',
    '\n\r\n',
    'id: 2\revent: tick\rdata: line one\rdata: line two\r\r',
    'data: no id here\n\nevent:tock\ndata:no space\nfoo: ignored\nretry: soon\n\n',
    Buffer.concat([Buffer.from(': keep-alive\nid: 3\ndata: caf'), Buffer.from([0xc3])]),
    Buffer.concat([Buffer.from([0xa9]), Buffer.from(' third\n\n')]),
];

async function handle(req, res) {
    const url = new URL(req.url, 'http://localhost');
    const last_event_id = req.headers['last-event-id'];
    console.log(`REQUEST ${url.pathname} last-event-id=${last_event_id ?? '-'} accept=${req.headers.accept ?? '-'}`);
    switch (url.pathname) {
    case '/stream':
        start_stream(res);
        if (last_event_id === undefined) {
            await send_pieces(res, first_stream);
            await cut(res);
        } else {
            await send_pieces(res, [
                `id: 4\r\ndata: resumed after ${last_event_id}\r\n\r\n`,
                'event: done\nid: 5\ndata: fifth\ndata: last\n\n',
            ]);
        }
        return;
    case '/cut':
        start_stream(res);
        if (last_event_id === undefined) {
            await send_pieces(res, ['retry: 100\n\nid: 1\ndata: whole\n\n', 'id: 2\ndata: cut short\n']);
            await cut(res);
        } else {
            await send_pieces(res, [`id: 3\ndata: resumed after ${last_event_id}\n\n`]);
        }
        return;
    case '/nocontent':
        res.writeHead(204);
        res.end();
        return;
    case '/plain':
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('data: not an event stream\n\n');
        return;
    default:
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('no such stream\n');
    }
}

const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
        // A client that left mid-stream is no failure of the server.
        if (e.code !== 'ERR_STREAM_DESTROYED' && e.code !== 'EPIPE' && e.code !== 'ECONNRESET')
            console.error(`sse_server: ${e.stack || e}`);
        res.destroy();
    });
});
server.on('error', (e) => {
    console.error(`sse_server: ${e.message}`);
    process.exit(1);
});
server.listen(port, '127.0.0.1', () => console.log(`LISTENING ${port}`));
// Whoever started it may die without stopping it.
setTimeout(() => {
    console.error(`sse_server: exiting after ${lifetime} ms`);
    process.exit(1);
}, lifetime).unref();
