// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The npm `ws` package as a client of strata's gateway, run by
// gateway_interop_test.cpp: the same arguments, scenario and output as
// gateway_peer.py (whose header describes them).
//
//   node gateway_peer.js --url=URL --user=NAME --topic=TOPIC [--auth=query|header] [--ca=PEM]
'use strict';

const fs = require('fs');
const { WebSocket } = require('ws');

const options = { auth: 'query' };
for (const a of process.argv.slice(2)) {
    const m = /^--([^=]+)=(.*)$/s.exec(a);
    if (!m) {
        console.error(`gateway_peer: unexpected argument ${a}`);
        process.exit(2);
    }
    options[m[1]] = m[2];
}
for (const required of ['url', 'user', 'topic']) {
    if (!options[required]) {
        console.error('usage: node gateway_peer.js --url=URL --user=NAME --topic=TOPIC [--auth=query|header] [--ca=PEM]');
        process.exit(2);
    }
}
if (options.auth !== 'query' && options.auth !== 'header') {
    console.error(`gateway_peer: --auth is query or header, not ${options.auth}`);
    process.exit(2);
}
const ca = options.ca ? fs.readFileSync(options.ca) : undefined;

const timeout = 30000; // the whole scenario
const stepTimeout = 10000; // one message

// [the envelope as sent, its id as parsed, the data the reply must carry as
// written]: the same as gateway_peer.py's.
const echoData = '{"text":"h\u00e9llo \u2713","q":"say \\"hi\\"","user":"mallory","n":1.50}';
const echoes = [
    ['{"type":"echo","data":' + echoData + ',"id":7}', 7, echoData],
    ['{"type":"echo","data":[1, 2, {"deep":[null,true]}],"id":"e-2"}', 'e-2', '[1, 2, {"deep":[null,true]}]'],
    ['{"id":"e-3","type":"echo"}', 'e-3', 'null'],
];

// [what, the message, the error code that answers it]
const malformed = [
    ['invalid JSON', 'not json {', 'bad_envelope'],
    ['no type', '{"data":1,"id":"m-2"}', 'bad_envelope'],
    ['a type that is not a string', '{"type":42}', 'bad_envelope'],
    ['an id that is a boolean', '{"type":"echo","id":true}', 'bad_envelope'],
    ['not an object', '[1,2]', 'bad_envelope'],
    ['a binary message', Buffer.from([1, 2]), 'bad_envelope'],
    ['an unknown type', '{"type":"nobody","data":{},"id":"m-7"}', 'unknown_type'],
];

class Mismatch extends Error {}

function check(ok, what) {
    if (!ok)
        throw new Mismatch(what);
}

/** JSON values compared as values (key order included, which both sides keep). */
function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
}

class Refused extends Error {
    constructor(status) {
        super(`refused with ${status}`);
        this.status = status;
    }
}

/** One connection to the gateway and the envelopes it reads. */
class Peer {
    constructor(ws, name) {
        this.ws = ws;
        this.name = name;
        this.queue = [];
        this.waiting = null;
        this.closed = null;
        ws.on('message', (data, isBinary) => {
            this.queue.push({ data, isBinary });
            this.wake();
        });
        this.closing = new Promise((resolve) => {
            ws.on('close', (code, reason) => {
                this.closed = { code, reason: reason.toString() };
                this.wake();
                resolve(code);
            });
        });
    }

    wake() {
        if (this.waiting) {
            const w = this.waiting;
            this.waiting = null;
            w();
        }
    }

    send(message) {
        return new Promise((resolve, reject) =>
            this.ws.send(message, { binary: Buffer.isBuffer(message) }, (e) => (e ? reject(e) : resolve())));
    }

    async next(waitingFor) {
        const deadline = Date.now() + stepTimeout;
        while (!this.queue.length) {
            if (this.closed)
                throw new Mismatch(`${this.name}: the gateway closed (${this.closed.code} ${this.closed.reason}) ` +
                                   `while waiting for ${waitingFor}`);
            const left = deadline - Date.now();
            if (left <= 0)
                throw new Mismatch(`${this.name}: nothing came within ${stepTimeout} ms while waiting for ${waitingFor}`);
            await new Promise((resolve) => {
                const timer = setTimeout(resolve, left);
                this.waiting = () => {
                    clearTimeout(timer);
                    resolve();
                };
            });
        }
        const { data, isBinary } = this.queue.shift();
        check(!isBinary, `${this.name}: a binary message from the gateway`);
        const raw = data.toString('utf8');
        let env;
        try {
            env = JSON.parse(raw);
        } catch (e) {
            throw new Mismatch(`${this.name}: the gateway sent invalid JSON: ${raw}`);
        }
        check(env !== null && typeof env === 'object' && !Array.isArray(env) && typeof env.type === 'string',
              `${this.name}: not an envelope: ${raw}`);
        return [raw, env];
    }

    /**
     * Reads until each of `wanted` ([[name, predicate, count]]) has matched
     * its count of messages; a message none of them still wants is a
     * mismatch. Returns [{name: [[raw, env]...]}, the names in arrival order].
     */
    async expect(wanted) {
        const got = {};
        for (const [name] of wanted)
            got[name] = [];
        const order = [];
        const open = () => wanted.filter(([name, , count]) => got[name].length < count);
        while (open().length) {
            const names = open().map(([name]) => name).join(', ');
            const [raw, env] = await this.next(names);
            const match = open().find(([, matches]) => matches(env));
            if (!match)
                throw new Mismatch(`${this.name}: unexpected while waiting for ${names}: ${raw}`);
            got[match[0]].push([raw, env]);
            order.push(match[0]);
        }
        return [got, order];
    }

    async close() {
        this.ws.close(1000, 'bye');
        const code = await this.closing;
        check(code === 1000, `${this.name}: the gateway answered close 1000 with ${code}`);
        return code;
    }
}

function replyTo(type, id) {
    return (env) => env.type === type && env.id === id;
}

function mailbox(env) {
    return env.type === 'note' && 'seq' in env && !('topic' in env);
}

function connect(token, after) {
    const query = [];
    const headers = {};
    if (options.auth === 'query')
        query.push('access_token=' + encodeURIComponent(token));
    else
        headers.Authorization = 'Bearer ' + token;
    if (after !== undefined)
        query.push(`after=${after}`);
    const url = options.url + (query.length ? '?' + query.join('&') : '');
    const ws = new WebSocket(url, { headers, ca, handshakeTimeout: stepTimeout, perMessageDeflate: false });
    // Listening from the start: the welcome may come with the handshake's last bytes.
    const peer = new Peer(ws, token + (after !== undefined ? `?after=${after}` : ''));
    return new Promise((resolve, reject) => {
        ws.once('open', () => resolve(peer));
        ws.once('unexpected-response', (req, res) => {
            reject(new Refused(res.statusCode));
            req.destroy();
        });
        ws.on('error', reject);
    });
}

async function welcome(peer, user) {
    const [raw, env] = await peer.next('the welcome');
    check(env.type === 'welcome', `${peer.name}: the first message is not the welcome: ${raw}`);
    const data = env.data;
    check(data !== null && typeof data === 'object', `${peer.name}: the welcome has no data object: ${raw}`);
    check(data.user === user, `${peer.name}: the welcome names another user: ${raw}`);
    check(Number.isInteger(data.session) && data.session > 0, `${peer.name}: the welcome's session: ${raw}`);
    check(Number.isInteger(data.seq), `${peer.name}: the welcome's seq: ${raw}`);
    return data;
}

async function run() {
    const seen = { peer: 'node', auth: options.auth, tls: options.url.startsWith('wss:') };

    // 1. A token the gateway does not know: refused before the upgrade.
    try {
        const p = await connect('nobody');
        p.ws.close();
        throw new Mismatch('the token nobody was accepted');
    } catch (e) {
        if (!(e instanceof Refused))
            throw e;
        seen.refused = e.status;
    }
    check(seen.refused === 401, `the token nobody got ${seen.refused}, not 401`);

    // 2. The welcome.
    let peer = await connect(options.user);
    let w = await welcome(peer, options.user);
    check(w.seq === 0, `a fresh mailbox, but the welcome says seq ${w.seq}`);
    seen.user = w.user;
    seen.session = w.session;
    seen.welcome_seq = w.seq;

    // 3. Subscribe.
    await peer.send(JSON.stringify({ type: 'subscribe', data: { topic: options.topic }, id: 's-1' }));
    let [got] = await peer.expect([['subscribed', replyTo('subscribed', 's-1'), 1]]);
    let [raw, env] = got.subscribed[0];
    check(same(env.data, { topic: options.topic, seq: 0 }), `subscribed: ${raw}`);
    seen.subscribed = env.data;

    // 4. Echoes with ids, sent at once.
    for (const [text] of echoes)
        await peer.send(text);
    let order;
    [got, order] = await peer.expect(echoes.map(([, id]) => [`echo ${id}`, replyTo('echo', id), 1]));
    check(same(order, echoes.map(([, id]) => `echo ${id}`)), `the echoes came back in the order ${order}`);
    for (const [, id, data] of echoes) {
        [raw, env] = got[`echo ${id}`][0];
        check(raw.includes(`"data":${data}`), `echo ${id}: the data changed on the way: ${raw}`);
        check(same(env.data, JSON.parse(data)), `echo ${id}: ${raw}`);
    }
    seen.echo_ids = echoes.map(([, id]) => id);

    // 5. Messages on the topic.
    await peer.send(`{"type":"broadcast","data":{"topic":${JSON.stringify(options.topic)},"count":3},"id":"b-1"}`);
    [got] = await peer.expect([
        ['broadcasted', replyTo('broadcasted', 'b-1'), 1],
        ['score', (e) => e.type === 'score' && 'topic' in e, 3],
    ]);
    const scores = got.score.map(([, e]) => e);
    scores.forEach((e, i) => {
        check(e.topic === options.topic, `a topic message names another topic: ${JSON.stringify(e)}`);
        check(same(e.data, { n: i + 1 }), `topic message ${i + 1} has the data ${JSON.stringify(e.data)}`);
    });
    seen.topic_seqs = scores.map((e) => e.seq);
    check(same(seen.topic_seqs, [1, 2, 3]), `the topic's seqs: ${seen.topic_seqs}`);

    // 6. Malformed envelopes: an error each, and the connection stays up.
    seen.errors = [];
    for (const [what, message, code] of malformed) {
        await peer.send(message);
        [raw, env] = await peer.next(`the error for ${what}`);
        check(env.type === 'error', `${what}: answered with ${raw}`);
        const data = env.data;
        check(data && data.code === code, `${what}: the error is not ${code}: ${raw}`);
        check(typeof data.reason === 'string' && data.reason.length > 0, `${what}: the error has no reason: ${raw}`);
        if (code === 'unknown_type')
            check(env.id === 'm-7' && data.for === 'nobody', `${what}: the error's id or for: ${raw}`);
        seen.errors.push(data.code);
    }
    await peer.send('{"type":"echo","data":"still here","id":"m-8"}');
    [got] = await peer.expect([['echo', replyTo('echo', 'm-8'), 1]]);
    check(got.echo[0][1].data === 'still here', `after the errors: ${got.echo[0][0]}`);
    seen.still_up = true;

    // 7. Ping.
    await peer.send('{"type":"ping","id":"p-1"}');
    [got] = await peer.expect([['pong', replyTo('pong', 'p-1'), 1]]);
    seen.pong_id = got.pong[0][1].id;

    // 8. Pushes through the mailbox.
    await peer.send('{"type":"notify","data":{"count":2},"id":"n-1"}');
    [got] = await peer.expect([['notified', replyTo('notified', 'n-1'), 1], ['note', mailbox, 2]]);
    const notes = got.note.map(([, e]) => e);
    notes.forEach((e, i) => check(same(e.data, { n: i + 1 }), `push ${i + 1} has the data ${JSON.stringify(e.data)}`));
    seen.mailbox_seqs = notes.map((e) => e.seq);
    check(same(seen.mailbox_seqs, [1, 2]), `the mailbox's seqs: ${seen.mailbox_seqs}`);
    const last = seen.mailbox_seqs[seen.mailbox_seqs.length - 1];

    // 9. Away.
    seen.close_codes = [await peer.close()];

    // 10. Pushes while away, asked for on another user's connection.
    const admin = options.user + '-admin';
    const control = await connect(admin);
    w = await welcome(control, admin);
    seen.admin_session = w.session;
    await control.send(`{"type":"notify_user","data":{"user":${JSON.stringify(options.user)},"count":3},"id":"c-1"}`);
    await control.expect([['notified', replyTo('notified', 'c-1'), 1]]);
    seen.close_codes.push(await control.close());

    // 11. Back, from the cursor.
    peer = await connect(options.user, last);
    w = await welcome(peer, options.user);
    seen.resume_session = w.session;
    seen.resume_welcome_seq = w.seq;
    check(w.seq === last + 3, `the welcome after the pushes says seq ${w.seq}, not ${last + 3}`);
    [got] = await peer.expect([['missed', mailbox, 3]]);
    const missed = got.missed.map(([, e]) => e);
    missed.forEach((e, i) =>
        check(same(e.data, { missed: i + 1 }), `missed push ${i + 1} has the data ${JSON.stringify(e.data)}`));
    seen.resumed_seqs = missed.map((e) => e.seq);
    check(same(seen.resumed_seqs, [last + 1, last + 2, last + 3]),
          `the missed pushes came with the seqs ${seen.resumed_seqs}`);
    // Nothing is replayed twice: the next mailbox message is a new push.
    await peer.send('{"type":"notify","data":{"count":1},"id":"n-2"}');
    [got] = await peer.expect([['notified', replyTo('notified', 'n-2'), 1], ['note', mailbox, 1]]);
    [raw, env] = got.note[0];
    check(same(env.data, { n: 1 }) && env.seq === last + 4, `after the missed pushes came ${raw}`);
    seen.new_seq = env.seq;
    seen.close_codes.push(await peer.close());
    return seen;
}

const watchdog = setTimeout(() => {
    console.error(`gateway_peer: the scenario took more than ${timeout} ms`);
    process.exit(1);
}, timeout);
run().then(
    (seen) => {
        clearTimeout(watchdog);
        process.stdout.write(JSON.stringify(seen) + '\n');
    },
    (e) => {
        if (e instanceof Mismatch)
            console.error(`gateway_peer: mismatch: ${e.message}`);
        else
            console.error(`gateway_peer: ${e && e.stack ? e.stack : e}`);
        process.exit(1);
    });
