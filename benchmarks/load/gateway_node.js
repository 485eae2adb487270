// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The Node.js peer of the gateway benchmark (load/gateway.sh): a gateway of
// the same function as strata's for the part of the protocol the benchmark
// uses (include/strata/gateway/README.md), written the way a Node team
// writes one: Node's `http` server, the npm `ws` package
// (permessage-deflate off), JSON.parse of every envelope and JSON.stringify
// of every message sent, a Map of topics each with a Set of sockets. One
// process, one thread of JavaScript.
//
//   GET /gateway?access_token=T   (or Authorization: Bearer T) the token is
//                                 the user id; none: 401 before the upgrade
//   -> {"type":"welcome","data":{"user":U,"session":N,"seq":0}}
//   {"type":"subscribe","data":{"topic":X},"id":I?}
//   -> {"type":"subscribed","data":{"topic":X,"seq":S},"id":I?}
//   {"type":"location_update","data":D}
//   -> to every subscriber of loc/U: {"type":"location","data":D,"topic":"loc/U","seq":S}
//   bad JSON, not an object, no type, a bad id, a binary message
//   -> {"type":"error","data":{"code":"bad_envelope","reason":R},"id":I?}
//   an unknown type -> {"type":"error","data":{"code":"unknown_type","reason":R,"for":T},"id":I?}
//
// `seq` counts the messages published on a topic; a subscriber gets the
// count at the time it subscribed and each later message's. Nothing is
// retained (no `after`, no mailbox: the benchmark resumes nothing).
//
//   node gateway_node.js [--port 8100] [--address 127.0.0.1] [--path /gateway]
//
// `ws` is looked up as usual (NODE_PATH, node_modules), then in
// tests/interop/node_modules, where scripts/install-deps.sh installs it.
'use strict';

const http = require('http');
const path = require('path');

function requireWs() {
  try {
    return require('ws');
  } catch (e) {
    return require(path.join(__dirname, '..', '..', 'tests', 'interop', 'node_modules', 'ws'));
  }
}
const { WebSocketServer } = requireWs();

const opt = { port: 8100, address: '127.0.0.1', path: '/gateway' };
for (let i = 2; i < process.argv.length; i += 2) {
  const name = process.argv[i].replace(/^--/, '');
  const value = process.argv[i + 1];
  if (!(name in opt) || value === undefined) {
    console.error('usage: node gateway_node.js [--port 8100] [--address 127.0.0.1] [--path /gateway]');
    process.exit(2);
  }
  opt[name] = name === 'port' ? Number(value) : value;
}

const topics = new Map(); // name -> { seq, subscribers: Set of sockets }
let sessions = 0;

function topicOf(name) {
  let topic = topics.get(name);
  if (topic === undefined) {
    topic = { seq: 0, subscribers: new Set() };
    topics.set(name, topic);
  }
  return topic;
}

function publish(name, type, data) {
  const topic = topicOf(name);
  topic.seq += 1;
  if (topic.subscribers.size === 0) return;
  const text = JSON.stringify({ type, data, topic: name, seq: topic.seq });
  for (const ws of topic.subscribers) ws.send(text);
}

function reply(ws, type, data, id) {
  const message = { type, data };
  if (id !== undefined) message.id = id;
  ws.send(JSON.stringify(message));
}

function error(ws, code, reason, type, id) {
  const data = { code, reason };
  if (type !== undefined) data.for = type;
  reply(ws, 'error', data, id);
}

function onConnection(ws, user) {
  const session = ++sessions;
  const subscribed = new Set(); // topic names
  ws.on('error', () => {});
  ws.on('close', () => {
    for (const name of subscribed) topics.get(name).subscribers.delete(ws);
  });
  ws.on('message', (raw, isBinary) => {
    if (isBinary) return error(ws, 'bad_envelope', 'a binary message');
    let env;
    try {
      env = JSON.parse(raw.toString());
    } catch (e) {
      return error(ws, 'bad_envelope', 'invalid JSON');
    }
    if (env === null || typeof env !== 'object' || Array.isArray(env))
      return error(ws, 'bad_envelope', 'not a JSON object');
    const id = env.id;
    if (id !== undefined && typeof id !== 'string' && typeof id !== 'number')
      return error(ws, 'bad_envelope', 'id is not a string or a number');
    const type = env.type;
    if (typeof type !== 'string' || type === '')
      return error(ws, 'bad_envelope', 'type missing or not a string', undefined, id);
    const data = env.data === undefined ? null : env.data;
    switch (type) {
      case 'location_update':
        return publish('loc/' + user, 'location', data);
      case 'subscribe': {
        const name = data !== null && typeof data === 'object' ? data.topic : undefined;
        if (typeof name !== 'string' || name === '')
          return error(ws, 'bad_envelope', 'subscribe needs data.topic', type, id);
        const topic = topicOf(name);
        topic.subscribers.add(ws);
        subscribed.add(name);
        return reply(ws, 'subscribed', { topic: name, seq: topic.seq }, id);
      }
      default:
        return error(ws, 'unknown_type', 'no service handles ' + type, type, id);
    }
  });
  reply(ws, 'welcome', { user, session, seq: 0 });
}

function refuse(socket, status) {
  socket.end('HTTP/1.1 ' + status + '\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const server = http.createServer({ noDelay: true }, (req, res) => {
  res.writeHead(404, { 'Content-Length': '0' });
  res.end();
});
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => {});
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== opt.path) return refuse(socket, '404 Not Found');
  const bearer = /^Bearer +(.+)$/i.exec(req.headers.authorization || '');
  const token = url.searchParams.get('access_token') || (bearer ? bearer[1] : '');
  if (!token) return refuse(socket, '401 Unauthorized');
  wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, token));
});
server.listen(opt.port, opt.address, () => {
  console.log('gateway_node: listening on ' + opt.address + ':' + opt.port + opt.path);
});
