// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The npm `eventsource` package (a WHATWG EventSource on Node's fetch)
// against --url: listens for messages and for the event types in --types,
// waits for --count events, then prints
//   OPENS <open events>
//   EVENT <type> <lastEventId> <data as JSON>     (tab-separated, in order)
// Exits 1 with a message on stderr when the events do not come in time.
// For https URLs, NODE_EXTRA_CA_CERTS names the CA to trust.
//
// usage: node eventsource_client.js --url=URL --count=N [--types=a,b] [--timeout=MS] [--settle=MS]
'use strict';

const { EventSource } = require('eventsource');

const options = Object.fromEntries(
    process.argv.slice(2).map((a) => {
        const m = /^--([^=]+)=(.*)$/s.exec(a);
        if (!m) {
            console.error(`eventsource_client: unexpected argument ${a}`);
            process.exit(2);
        }
        return [m[1], m[2]];
    }));
const count = Number(options.count);
const timeout = Number(options.timeout || 20000);
const settle = Number(options.settle || 300);
if (!options.url || !(count > 0)) {
    console.error('usage: node eventsource_client.js --url=URL --count=N [--types=a,b] [--timeout=MS]');
    process.exit(2);
}

const received = [];
let opens = 0;
const errors = [];
const source = new EventSource(options.url);

function finish(code) {
    source.close();
    const lines = [`OPENS ${opens}`];
    for (const e of received)
        lines.push(['EVENT', e.type, e.lastEventId, JSON.stringify(e.data)].join('\t'));
    if (code === 0) {
        process.stdout.write(lines.join('\n') + '\n');
    } else {
        console.error(`eventsource_client: ${received.length} of ${count} events arrived in ${timeout} ms; ` +
                      `errors: ${JSON.stringify(errors)}\n${lines.join('\n')}`);
    }
    process.exit(code);
}

const deadline = setTimeout(() => finish(1), timeout);
let settling = false;

function record(e) {
    received.push({ type: e.type, data: e.data, lastEventId: e.lastEventId });
    if (received.length >= count && !settling) {
        // Time for a duplicate or an extra event to show before the report.
        settling = true;
        clearTimeout(deadline);
        setTimeout(() => finish(0), settle);
    }
}

source.onopen = () => ++opens;
// Reconnections pass through error events; they are only logged.
source.onerror = (e) => errors.push(e.message || e.code || 'error');
source.onmessage = record;
for (const type of (options.types || '').split(',').filter(Boolean))
    source.addEventListener(type, record);
