// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The Node.js peer of the SSE fan-out benchmark (load/sse_fanout.sh): the
// same three routes and bytes as load/sse_fanout_server.cpp, written the way
// a Node server is usually written: `http` module, a Set of responses, each
// event encoded once into a Buffer and res.write() to every subscriber
// (Node frames it as a chunk). process.hrtime.bigint() is libuv's
// uv_hrtime, CLOCK_MONOTONIC on Linux: the clock strata's steady_clock and
// the load client read.
//
//   node sse_node_server.js [--port 8094] [--address 127.0.0.1] [--rate 10] [--size 64]
'use strict';

const http = require('http');

const opt = { port: 8094, address: '127.0.0.1', rate: 10, size: 64 };
for (let i = 2; i < process.argv.length; i += 2) {
  const name = process.argv[i].replace(/^--/, '');
  const value = process.argv[i + 1];
  if (!(name in opt) || value === undefined) {
    console.error('usage: node sse_node_server.js [--port 8094] [--address 127.0.0.1] [--rate EVENTS/S] [--size BYTES]');
    process.exit(2);
  }
  opt[name] = name === 'address' ? value : Number(value);
}

const subscribers = new Set();
let lastId = 0;
let generation = 0; // a start or stop ends the running schedule

function encode() {
  const t = process.hrtime.bigint().toString().padStart(20, '0');
  const data = ('t=' + t + ' ').padEnd(opt.size, 'x');
  lastId += 1;
  return Buffer.from('id: ' + lastId + '\ndata: ' + data + '\n\n', 'latin1');
}

// Events are due at start + k / rate. setTimeout has a 1 ms resolution and
// a tick may run late, so each tick publishes every event that has come due.
function start(rate) {
  const gen = ++generation;
  const period = BigInt(Math.round(1e9 / rate));
  let due = process.hrtime.bigint();
  const tick = () => {
    if (gen !== generation) return;
    let now = process.hrtime.bigint();
    while (due <= now) {
      const event = encode();
      for (const res of subscribers) res.write(event);
      due += period;
      now = process.hrtime.bigint();
    }
    setTimeout(tick, Number((due - now) / 1000000n));
  };
  setImmediate(tick);
}

const server = http.createServer({ noDelay: true, requestTimeout: 0 }, (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/events') {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.write(':\n\n');
    subscribers.add(res);
    res.on('close', () => subscribers.delete(res));
  } else if (req.method === 'POST' && url.pathname === '/start') {
    const rate = url.searchParams.has('rate') ? Number(url.searchParams.get('rate')) : opt.rate;
    if (!(rate > 0)) {
      res.writeHead(400).end('bad rate\n');
      return;
    }
    start(rate);
    res.writeHead(204).end();
  } else if (req.method === 'POST' && url.pathname === '/stop') {
    generation += 1;
    const body = lastId + '\n';
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) }).end(body);
  } else {
    res.writeHead(404).end();
  }
});
server.listen(opt.port, opt.address, 4096, () => {
  console.log(`node listening on http://${opt.address}:${server.address().port}`);
});
