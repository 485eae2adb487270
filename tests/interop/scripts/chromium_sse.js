// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// Chromium's own EventSource, driven headless through playwright-core: opens
// --page (a page served by the server under test that starts an EventSource
// and records what it delivers), waits for --count events, then prints
//   PROTOCOL <nextHopProtocol of the page>
//   OPENS <open events>
//   EVENT <type> <lastEventId> <data as JSON>     (tab-separated, in order)
// Exits 1 with a message on stderr when the events do not come in time.
//
// usage: node chromium_sse.js --page=URL --count=N [--chromium=/usr/bin/chromium]
//        [--timeout=MS] [--settle=MS]
'use strict';

const { chromium } = require('playwright-core');

const options = Object.fromEntries(
    process.argv.slice(2).map((a) => {
        const m = /^--([^=]+)=(.*)$/s.exec(a);
        if (!m) {
            console.error(`chromium_sse: unexpected argument ${a}`);
            process.exit(2);
        }
        return [m[1], m[2]];
    }));
const page_url = options.page;
const count = Number(options.count);
const timeout = Number(options.timeout || 20000);
// After the last expected event: time for a duplicate or an extra one to show.
const settle = Number(options.settle || 300);
if (!page_url || !(count > 0)) {
    console.error('usage: node chromium_sse.js --page=URL --count=N [--chromium=PATH] [--timeout=MS]');
    process.exit(2);
}

// A hung browser must not hang the test: the whole run has a deadline.
const watchdog = setTimeout(() => {
    console.error(`chromium_sse: gave up after ${timeout + 10000} ms`);
    process.exit(1);
}, timeout + 10000);

async function main() {
    const browser = await chromium.launch({
        executablePath: options.chromium || '/usr/bin/chromium',
        // --no-sandbox: the tests run as root. localhost is pinned to the
        // IPv4 loopback the server listens on.
        args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP localhost 127.0.0.1'],
        timeout,
    });
    try {
        // The server's certificate comes from a CA made at run time, which
        // the browser's store does not hold.
        const context = await browser.newContext({ ignoreHTTPSErrors: true });
        const page = await context.newPage();
        await page.goto(page_url, { timeout });
        try {
            await page.waitForFunction((n) => window.received.length >= n, count, { timeout, polling: 20 });
        } catch (e) {
            const got = await page.evaluate(() => window.received);
            console.error(`chromium_sse: ${got.length} of ${count} events arrived in ${timeout} ms: ` +
                          JSON.stringify(got));
            return 1;
        }
        await new Promise((resolve) => setTimeout(resolve, settle));
        const result = await page.evaluate(() => ({
            protocol: performance.getEntriesByType('navigation')[0].nextHopProtocol,
            opens: window.opens,
            received: window.received,
        }));
        const lines = [`PROTOCOL ${result.protocol}`, `OPENS ${result.opens}`];
        for (const e of result.received)
            lines.push(['EVENT', e.type, e.lastEventId, JSON.stringify(e.data)].join('\t'));
        process.stdout.write(lines.join('\n') + '\n');
        return 0;
    } finally {
        await browser.close();
    }
}

main().then(
    (code) => {
        clearTimeout(watchdog);
        process.exitCode = code;
    },
    (e) => {
        console.error(`chromium_sse: ${e && e.stack ? e.stack : e}`);
        process.exit(1);
    });
