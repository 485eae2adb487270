// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// Chromium's own WebSocket, driven headless through playwright-core: opens
// --page (a page served by the server under test whose script opens a
// WebSocket, exchanges messages, closes, and keeps what it saw in
// window.log, setting window.done at the end), then prints
//   PROTOCOL <nextHopProtocol of the page>
//   and window.log, one entry a line
// The page's console goes to stderr. Exits 1 with a message on stderr when
// the page does not finish in time.
//
// usage: node chromium_ws.js --page=URL [--chromium=/usr/bin/chromium] [--timeout=MS]
'use strict';

const { chromium } = require('playwright-core');

const options = Object.fromEntries(
    process.argv.slice(2).map((a) => {
        const m = /^--([^=]+)=(.*)$/s.exec(a);
        if (!m) {
            console.error(`chromium_ws: unexpected argument ${a}`);
            process.exit(2);
        }
        return [m[1], m[2]];
    }));
const page_url = options.page;
const timeout = Number(options.timeout || 20000);
if (!page_url) {
    console.error('usage: node chromium_ws.js --page=URL [--chromium=PATH] [--timeout=MS]');
    process.exit(2);
}

// A hung browser must not hang the test: the whole run has a deadline.
const watchdog = setTimeout(() => {
    console.error(`chromium_ws: gave up after ${timeout + 10000} ms`);
    process.exit(1);
}, timeout + 10000);

async function main() {
    const browser = await chromium.launch({
        executablePath: options.chromium || '/usr/bin/chromium',
        // --no-sandbox: the tests run as root. localhost is pinned to the
        // IPv4 loopback the server listens on. The server's certificate comes
        // from a CA made at run time, which the browser's store does not
        // hold: the flag covers the WebSocket's own connection too.
        args: [
            '--no-sandbox',
            '--disable-gpu',
            '--host-resolver-rules=MAP localhost 127.0.0.1',
            '--ignore-certificate-errors',
        ],
        timeout,
    });
    try {
        const context = await browser.newContext({ ignoreHTTPSErrors: true });
        const page = await context.newPage();
        // Why a handshake failed is only said on the page's console.
        page.on('console', (m) => console.error(`chromium_ws: console: ${m.text()}`));
        await page.goto(page_url, { timeout });
        try {
            await page.waitForFunction(() => window.done === true, null, { timeout, polling: 20 });
        } catch (e) {
            const got = await page.evaluate(() => window.log);
            console.error(`chromium_ws: the page did not finish in ${timeout} ms: ` + JSON.stringify(got));
            return 1;
        }
        const result = await page.evaluate(() => ({
            protocol: performance.getEntriesByType('navigation')[0].nextHopProtocol,
            log: window.log,
        }));
        process.stdout.write([`PROTOCOL ${result.protocol}`, ...result.log].join('\n') + '\n');
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
        console.error(`chromium_ws: ${e && e.stack ? e.stack : e}`);
        process.exit(1);
    });
