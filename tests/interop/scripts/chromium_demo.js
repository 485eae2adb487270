// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The demo page of `strata serve` in headless Chromium (playwright-core):
// opens it as alice, bob and driver-1 and checks that every card works:
// the live scores (SSE), the stock ticker by short polling, long polling
// and SSE with their counters, the token stream, the chat (alice writes,
// bob reads) and the ride (the route, the car moving, alice's message
// reaching driver-1's page and the simulated driver's answer reaching
// alice). Then it saves a screenshot of alice's page. Prints one "ok ..."
// line per check; exits 1 with what it saw on stderr when one fails.
//
// usage: node chromium_demo.js (--url=http://host:port | --strata=PATH [--scheme=http|https])
//          [--screenshot=FILE.png] [--chromium=/usr/bin/chromium] [--timeout=MS] [--no-gateway]
// --strata starts `PATH serve` on ports of its own (--http 0, and --https 0
// for https; a temporary --root) and stops it at the end. With --screenshot,
// STRATA_UPDATE_DEMO_PNG=1 in the environment writes it to docs/demo.png of
// the source tree instead (the README shows it). --no-gateway skips the
// chat and the ride (a server without /gateway).
'use strict';

const { chromium } = require('playwright-core');
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const options = Object.fromEntries(
    process.argv.slice(2).map((a) => {
        const m = /^--([^=]+)(?:=(.*))?$/s.exec(a);
        if (!m) {
            console.error(`chromium_demo: unexpected argument ${a}`);
            process.exit(2);
        }
        return [m[1], m[2] === undefined ? true : m[2]];
    }));
if (!options.url === !options.strata) {
    console.error('usage: node chromium_demo.js (--url=URL | --strata=PATH [--scheme=http|https]) ' +
                  '[--screenshot=FILE] [--chromium=PATH] [--timeout=MS] [--no-gateway]');
    process.exit(2);
}
const timeout = Number(options.timeout || 20000);
const screenshot = options.screenshot && process.env.STRATA_UPDATE_DEMO_PNG === '1'
    ? path.resolve(__dirname, '../../../docs/demo.png')
    : options.screenshot;
const withGateway = !options['no-gateway'];

// A hung browser or server must not hang the test: the whole run has a deadline.
const watchdog = setTimeout(() => {
    console.error(`chromium_demo: gave up after ${10 * timeout} ms`);
    process.exit(1);
}, 10 * timeout);

/// Starts `strata serve` on a port the system picks; resolves with its base URL.
function startServer(strata, scheme, dir) {
    return new Promise((resolve, reject) => {
        const root = fs.mkdtempSync(path.join(dir, 'root-'));
        // With --https 0 the development certificate goes to $XDG_RUNTIME_DIR/strata.
        const run = fs.mkdtempSync(path.join(dir, 'run-'));
        // The plain HTTP listener stays on for https too: the simulated driver
        // reaches the gateway through it.
        const args = ['serve', '--host', '127.0.0.1', '--root', root, '--quic', 'off', '--http', '0',
                      '--https', scheme === 'https' ? '0' : 'off'];
        const child = spawn(strata, args, {
            env: { ...process.env, XDG_RUNTIME_DIR: run },
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        const fail = (why) => reject(new Error(`strata serve ${why}:\n${out}`));
        child.stdout.on('data', (d) => {
            out += d;
            const m = new RegExp(`listening on ${scheme}://127\\.0\\.0\\.1:(\\d+)`).exec(out);
            if (m) resolve({ child, url: `${scheme}://localhost:${m[1]}`, log: () => out });
        });
        child.stderr.on('data', (d) => { out += d; });
        child.on('error', (e) => fail(`did not start (${e.message})`));
        child.on('exit', (code) => fail(`exited ${code}`));
    });
}

/// SIGTERM (a graceful shutdown), then SIGKILL if it is still running 10 s later.
function stopServer(child) {
    return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
        }
        const kill = setTimeout(() => {
            console.error('chromium_demo: strata serve still running 10 s after SIGTERM; killing it');
            child.kill('SIGKILL');
        }, 10000);
        child.on('exit', () => {
            clearTimeout(kill);
            resolve();
        });
        child.kill('SIGTERM');
    });
}

async function main() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-demo-'));
    let server = null;
    let browser = null;
    try {
        let base = options.url;
        if (options.strata) {
            server = await startServer(options.strata, options.scheme || 'http', dir);
            base = server.url;
        }
        base = base.replace(/\/$/, '');
        browser = await chromium.launch({
            executablePath: options.chromium || '/usr/bin/chromium',
            // --no-sandbox: the tests run as root. localhost is pinned to the
            // IPv4 loopback the server listens on; its certificate is a
            // development one no store holds.
            args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP localhost 127.0.0.1',
                   '--ignore-certificate-errors'],
            timeout,
        });
        const problems = [];
        async function open(user) {
            const context = await browser.newContext({
                ignoreHTTPSErrors: true,
                viewport: { width: 1280, height: 900 },
                deviceScaleFactor: 1,
            });
            const page = await context.newPage();
            page.on('console', (m) => {
                if (m.type() === 'error' || m.type() === 'warning')
                    console.error(`chromium_demo: ${user}: console ${m.type()}: ${m.text()}`);
            });
            page.on('pageerror', (e) => problems.push(`${user}: uncaught ${e.message}`));
            const res = await page.goto(`${base}/?user=${user}`, { timeout });
            if (!res || res.status() !== 200) throw new Error(`GET / for ${user}: ${res && res.status()}`);
            return page;
        }
        /// Waits until `predicate(window.demo, arg)` holds, polling a copy of
        /// window.demo from here (the page's CSP forbids evaluating code in it).
        async function until(page, what, predicate, arg) {
            const deadline = Date.now() + timeout;
            let seen;
            for (;;) {
                seen = await page.evaluate(() => JSON.stringify(window.demo || null));
                const d = JSON.parse(seen);
                if (d && predicate(d, arg)) return d;
                if (Date.now() > deadline) break;
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            throw new Error(`${what}: not within ${timeout} ms; the page saw ${seen}`);
        }
        const text = (page, selector) => page.locator(selector).innerText();
        const ok = (line) => process.stdout.write(`ok ${line}\n`);

        const alice = await open('alice');
        const bob = await open('bob');
        const driver = withGateway ? await open('driver-1') : null;
        const [type, csp] = await alice.evaluate(async () => {
            const r = await fetch('/demo/demo.js', { cache: 'no-store' });
            return [r.headers.get('Content-Type'), (await fetch('/')).headers.get('Content-Security-Policy')];
        });
        if (!/^text\/javascript/.test(type)) throw new Error(`demo.js served as ${type}`);
        ok(`page and script served (script ${type}; CSP ${csp ? 'set' : 'missing'})`);
        ok(`protocol ${await alice.evaluate(() => window.demo.protocol)}`);

        // Live scores: the current score comes first, then one every three seconds.
        await until(alice, 'two score events', (d) => d.scores.events >= 2 && d.scores.last !== null);
        const minute = await text(alice, '#score-minute');
        if (!/^\d+$/.test(minute)) throw new Error(`the minute shows "${minute}"`);
        ok(`scores: ${await text(alice, '#team-home')} ${await text(alice, '#score-home')} - ` +
           `${await text(alice, '#score-away')} ${await text(alice, '#team-away')}, minute ${minute}`);

        // The ticker: each technique's updates arrive and its counters grow and show.
        await until(alice, 'ticker updates by all three techniques', (d) => {
            const t = d.ticker;
            return t.short.requests >= 3 && t.short.updates >= 1 && t.short.bytes > 0 &&
                   t.long.requests >= 2 && t.long.updates >= 2 && t.long.bytes > 0 &&
                   t.sse.connections >= 1 && t.sse.updates >= 2 && t.sse.bytes > 0;
        });
        const ticker = await alice.evaluate(() => window.demo.ticker);
        for (const [id, name] of [['t-short', 'short'], ['t-long', 'long'], ['t-sse', 'sse']]) {
            const first = name === 'sse' ? 'connections' : 'requests';
            const shown = Number(await text(alice, `#${id} [data-counter="${first}"]`));
            if (!(shown >= 1)) throw new Error(`${id} shows ${first} "${shown}"`);
            const prices = await alice.locator(`#${id} .quotes td:nth-child(2)`).allInnerTexts();
            if (prices.length !== 4 || prices.some((p) => !/^\d+\.\d\d$/.test(p)))
                throw new Error(`${id} shows prices ${JSON.stringify(prices)}`);
        }
        ok(`ticker: short ${JSON.stringify(ticker.short)} long ${JSON.stringify(ticker.long)} ` +
           `sse ${JSON.stringify(ticker.sse)}`);

        // The token stream: the question asked at load, then one typed in.
        await until(alice, 'the first answer', (d) => d.tokens.done && d.tokens.count > 10);
        await alice.fill('#prompt', 'What does long polling cost?');
        await alice.click('#ask');
        await until(alice, 'the answer about polling',
                    (d) => d.tokens.runs >= 2 && d.tokens.done && /long polling/i.test(d.tokens.text));
        const answer = await text(alice, '#answer');
        if (!/Long polling asks once/.test(answer)) throw new Error(`the answer shows "${answer}"`);
        ok(`tokens: ${await alice.evaluate(() => window.demo.tokens.count)} tokens, ` +
           `first after ${await text(alice, '#tok-ttft')}`);

        if (withGateway) {
            for (const [page, name] of [[alice, 'alice'], [bob, 'bob'], [driver, 'driver-1']])
                await until(page, `${name} connected to the gateway`, (d) => d.gateway.session !== null &&
                            d.gateway.state.startsWith('connected'));
            // Chat: alice writes, bob reads it, from alice.
            const hello = `hello from alice ${Date.now() % 100000}`;
            await alice.fill('#chat-text', hello);
            await alice.click('#chat-send');
            await until(bob, 'alice\'s chat message at bob',
                        (d, t) => d.chat.messages.some((m) => m.from === 'alice' && m.text === t), hello);
            const bobLog = await text(bob, '#chat-log');
            if (!bobLog.includes(hello)) throw new Error(`bob's chat shows ${JSON.stringify(bobLog)}`);
            ok(`chat: bob got "${hello}" from alice`);

            // The ride: a route, then the car moves, on the map too.
            await until(alice, 'the route and a car position',
                        (d) => Array.isArray(d.rider.route) && d.rider.route.length > 2 &&
                               d.rider.car !== null);
            const car = () => alice.evaluate(() => ({
                ...window.demo.rider.car,
                transform: document.getElementById('car').style.transform,
            }));
            const first = await car();
            await until(alice, 'the car moving',
                        (d, f) => d.rider.car.lat !== f.lat || d.rider.car.lng !== f.lng, first);
            const moved = await car();
            if (!moved.transform || moved.transform === first.transform)
                throw new Error(`the car on the map did not move: ${first.transform} -> ${moved.transform}`);
            ok(`ride: car from ${first.lat},${first.lng} to ${moved.lat},${moved.lng} ` +
               `(eta ${moved.eta_s} s)`);

            // alice writes to her driver: it reaches driver-1's page, and the driver answers.
            const note = `I am at the corner ${Date.now() % 100000}`;
            await alice.fill('#thread-text', note);
            await alice.click('#thread-send');
            await until(driver, 'alice\'s message at driver-1', (d, t) =>
                d.rider.thread.some((m) => m.from === 'alice' && m.to === 'driver-1' && m.text === t), note);
            if (!(await text(driver, '#thread-log')).includes(note))
                throw new Error('driver-1\'s thread does not show alice\'s message');
            await until(alice, 'the driver\'s answer at alice', (d) =>
                d.rider.thread.some((m) => m.from === 'driver-1' && m.to === 'alice'));
            ok(`ride: driver-1 got "${note}" and answered alice`);
        }

        if (problems.length) throw new Error(problems.join('\n'));
        if (screenshot) {
            // Let the last answer and the car settle before the picture.
            await alice.waitForTimeout(1200);
            await alice.screenshot({ path: screenshot, fullPage: true });
            ok(`screenshot ${screenshot}`);
        }
        return 0;
    } catch (e) {
        console.error(`chromium_demo: ${e && e.message ? e.message : e}`);
        if (server) console.error(`chromium_demo: the server said:\n${server.log()}`);
        return 1;
    } finally {
        if (browser) await browser.close().catch(() => {});
        if (server) await stopServer(server.child);
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then(
    (code) => {
        clearTimeout(watchdog);
        process.exitCode = code;
    },
    (e) => {
        console.error(`chromium_demo: ${e && e.stack ? e.stack : e}`);
        process.exit(1);
    });
