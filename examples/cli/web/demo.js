// Copyright (c) 2026 The strata authors. Distributed under the Boost Software License, Version 1.0.
//
// The demo page's script: plain JavaScript, no framework, no CDN. Each card
// uses one push technique of strata against `strata serve`:
//   live scores     EventSource on /scores/events
//   stock ticker    short polling /stocks/quote (ETag, 304), long polling
//                   /stocks/poll?since=N and EventSource on /stocks/events
//   token stream    fetch() of /tokens?prompt=..., its text/event-stream
//                   body parsed as it arrives
//   chat and ride   one WebSocket to the gateway (/gateway), carrying typed
//                   envelopes {"type","data","id"} (include/strata/gateway/README.md)
// Query parameters: ?user=NAME (the identity the demo's gateway accepts;
// default a random guest-NNNN), ?role=driver|rider (default: driver for a
// user named driver-*), ?ask=0 (no question asked at load).
// window.demo holds what each card has seen, for the browser test.
'use strict';

(() => {
    const params = new URLSearchParams(location.search);
    const validName = /^[A-Za-z0-9_-]{1,32}$/;
    const user = validName.test(params.get('user') || '')
        ? params.get('user')
        : 'guest-' + String(Math.floor(1000 + Math.random() * 9000));
    const role = params.get('role') === 'driver' || params.get('role') === 'rider'
        ? params.get('role')
        : user.startsWith('driver-') ? 'driver' : 'rider';

    const $ = (id) => document.getElementById(id);
    const encoder = new TextEncoder();
    const utf8Length = (s) => encoder.encode(s).length;
    const formatBytes = (n) =>
        n < 10000 ? String(n) : n < 1e7 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB';

    // The transport the page came over; the byte estimates add framing for it.
    const navigation = performance.getEntriesByType('navigation')[0];
    const protocol = (navigation && navigation.nextHopProtocol) || 'http/1.1';

    /// What the head of a response costs as HTTP/1.1 writes it: the status
    /// line and every field fetch() shows (an estimate: HTTP/2 and HTTP/3
    /// compress heads, and a few fields are hidden from scripts).
    function headBytes(res) {
        let n = `HTTP/1.1 ${res.status} ${res.statusText || 'OK'}\r\n`.length + 2;
        res.headers.forEach((value, name) => { n += name.length + 2 + value.length + 2; });
        return n;
    }
    /// Framing around a piece of a streamed body: a chunk (HTTP/1.1), a DATA frame (HTTP/2, HTTP/3).
    function pieceOverhead(size) {
        if (protocol === 'h2') return 9;
        if (protocol.startsWith('h3')) return 3;
        return size.toString(16).length + 4;
    }
    // What an EventSource response's head looks like; EventSource shows no headers.
    const sseHeadBytes = ('HTTP/1.1 200 OK\r\nServer: strata\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n' +
        'Content-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n').length + 'retry: 1000\n\n'.length + pieceOverhead(13);
    /// One event as text/event-stream framed it, from what EventSource hands over.
    function sseEventBytes(e) {
        let n = 0;
        if (e.lastEventId) n += 'id: '.length + utf8Length(e.lastEventId) + 1;
        if (e.type !== 'message') n += 'event: '.length + e.type.length + 1;
        for (const line of String(e.data).split('\n')) n += 'data: '.length + utf8Length(line) + 1;
        n += 1;
        return n + pieceOverhead(n);
    }

    function setState(el, text, kind) {
        el.textContent = text;
        el.className = 'state' + (kind ? ' ' + kind : '');
    }

    // A browser holds at most six HTTP/1.1 connections per server, and each
    // view of this page keeps two event streams open: hidden views let theirs
    // go (a view in a background tab pauses), so that several fit.
    const untilVisible = () => !document.hidden ? Promise.resolve() : new Promise((resolve) => {
        const check = () => {
            if (document.hidden) return;
            document.removeEventListener('visibilitychange', check);
            resolve();
        };
        document.addEventListener('visibilitychange', check);
    });

    /// An EventSource open while the page is visible. Reopened, it resumes
    /// after the last event seen when `resume` (?lastEventId=, which
    /// sse::handler reads like the Last-Event-ID header EventSource sends
    /// on its own reconnects).
    function streamWhileVisible(url, resume, handlers) {
        let source = null;
        let lastId = '';
        const open = () => {
            if (source) return;
            const from = resume && lastId ? `?lastEventId=${encodeURIComponent(lastId)}` : '';
            source = new EventSource(url + from);
            const s = source;
            s.onopen = () => handlers.open();
            s.onerror = () => handlers.error(s.readyState === EventSource.CLOSED);
            for (const [type, fn] of Object.entries(handlers.events)) {
                s.addEventListener(type, (e) => {
                    if (e.lastEventId) lastId = e.lastEventId;
                    fn(e);
                });
            }
        };
        document.addEventListener('visibilitychange', () => {
            if (!document.hidden) {
                open();
            } else if (source) {
                source.close();
                source = null;
                handlers.pause();
            }
        });
        if (document.hidden) handlers.pause();
        else open();
    }

    const demo = {
        user,
        role,
        protocol,
        scores: { events: 0, bytes: 0, last: null, state: 'connecting' },
        ticker: {
            short: { requests: 0, notModified: 0, updates: 0, bytes: 0 },
            long: { requests: 0, missed: 0, updates: 0, bytes: 0 },
            sse: { connections: 0, gaps: 0, updates: 0, bytes: 0 },
        },
        tokens: { runs: 0, count: 0, bytes: 0, done: false, text: '', error: null },
        gateway: {
            state: 'connecting',
            session: null,
            mailboxSeq: null,
            messagesIn: 0,
            messagesOut: 0,
            bytesIn: 0,
            bytesOut: 0,
            errors: [],
        },
        chat: { messages: [] },
        rider: { driver: null, route: null, positions: 0, car: null, thread: [] },
    };
    window.demo = demo;

    // ---- live scores: SSE ---------------------------------------------------------------------------

    function startScores() {
        const state = $('score-state');
        let previous = null;
        const onScore = (e) => {
            const s = JSON.parse(e.data);
            demo.scores.events += 1;
            demo.scores.bytes += sseEventBytes(e);
            demo.scores.last = s;
            const [home, away] = String(s.match).split(' - ');
            $('team-home').textContent = home || 'Home';
            $('team-away').textContent = away || 'Away';
            $('score-home').textContent = s.home;
            $('score-away').textContent = s.away;
            $('score-minute').textContent = s.minute;
            $('score-events').textContent = demo.scores.events;
            $('score-bytes').textContent = formatBytes(demo.scores.bytes);
            const flash = $('score-flash');
            flash.textContent = '';
            if (previous && (s.home > previous.home || s.away > previous.away)) {
                const team = s.home > previous.home ? home : away;
                flash.textContent = 'GOAL!';
                const li = document.createElement('li');
                li.textContent = `${s.minute}' goal for ${team}: ${s.home} - ${s.away}`;
                $('score-log').prepend(li);
            } else if (previous && s.minute < previous.minute) {
                const li = document.createElement('li');
                li.textContent = `full time ${previous.home} - ${previous.away}; a new match kicks off`;
                $('score-log').prepend(li);
            }
            previous = s;
        };
        // No resuming: the stream starts with the score now, which is all that matters.
        streamWhileVisible('/scores/events', false, {
            open() {
                demo.scores.bytes += sseHeadBytes;
                demo.scores.state = 'open';
                setState(state, 'live', 'ok');
                $('score-bytes').textContent = formatBytes(demo.scores.bytes);
            },
            error(closed) {
                // EventSource reconnects by itself, with Last-Event-ID.
                demo.scores.state = 'reconnecting';
                setState(state, closed ? 'closed' : 'reconnecting', 'wait');
            },
            pause() {
                demo.scores.state = 'paused';
                setState(state, 'paused while hidden', 'wait');
            },
            events: { score: onScore },
        });
    }

    // ---- stock ticker, three ways ----------------------------------------------------------------------

    const symbols = ['ASIO', 'HTTP', 'QUIC', 'TLS'];

    class QuoteColumn {
        constructor(id, counters) {
            this.root = $(id);
            this.counters = counters;
            this.state = this.root.querySelector('.state');
            this.rows = new Map();
            const body = this.root.querySelector('tbody');
            for (const symbol of symbols) {
                const tr = document.createElement('tr');
                tr.innerHTML = '<td></td><td>&ndash;</td><td></td>';
                tr.cells[0].textContent = symbol;
                body.appendChild(tr);
                this.rows.set(symbol, { tr, price: null, timer: 0 });
            }
        }
        /// A new price: shown with its change, the row flashing which way it went.
        quote(symbol, price, change) {
            let row = this.rows.get(symbol);
            if (!row) return;
            if (change === undefined) change = row.price === null ? 0 : price - row.price;
            row.price = price;
            row.tr.cells[1].textContent = price.toFixed(2);
            const c = row.tr.cells[2];
            c.textContent = change === 0 ? '' : (change > 0 ? '+' : '') + change.toFixed(2);
            c.className = change > 0 ? 'pos' : change < 0 ? 'neg' : '';
            if (change !== 0) {
                row.tr.className = change > 0 ? 'up' : 'down';
                clearTimeout(row.timer);
                row.timer = setTimeout(() => { row.tr.className = ''; }, 700);
            }
        }
        price(symbol) {
            const row = this.rows.get(symbol);
            return row ? row.price : null;
        }
        show() {
            const c = this.counters;
            for (const dd of this.root.querySelectorAll('[data-counter]')) {
                const name = dd.dataset.counter;
                if (name === 'perUpdate')
                    dd.textContent = c.updates ? Math.round(c.bytes / c.updates) : '–';
                else if (name === 'bytes')
                    dd.textContent = formatBytes(this.counters.bytes);
                else
                    dd.textContent = this.counters[name];
            }
        }
    }

    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

    // Twice as often as prices move: about half the answers are 304s, and a
    // price is at most half a second old.
    const shortPollInterval = 500;

    async function shortPoll(column) {
        const c = column.counters;
        let etag = null;
        for (;;) {
            if (document.hidden) setState(column.state, 'paused while hidden', 'wait');
            await untilVisible();
            const started = Date.now();
            try {
                const headers = etag ? { 'If-None-Match': etag } : {};
                // no-store: the 304 reaches this script instead of being answered from the cache.
                const res = await fetch('/stocks/quote', { cache: 'no-store', headers });
                c.requests += 1;
                c.bytes += headBytes(res);
                if (res.status === 304) {
                    c.notModified += 1;
                } else if (res.ok) {
                    const text = await res.text();
                    c.bytes += utf8Length(text);
                    etag = res.headers.get('ETag');
                    const doc = JSON.parse(text);
                    for (const symbol of symbols) {
                        if (typeof doc[symbol] !== 'number') continue;
                        const before = column.price(symbol);
                        if (before !== null && Math.abs(before - doc[symbol]) < 1e-9) continue;
                        if (before !== null) c.updates += 1;
                        column.quote(symbol, doc[symbol]);
                    }
                }
                setState(column.state, `polling, last answer ${res.status}`, 'ok');
            } catch (e) {
                setState(column.state, 'server unreachable, retrying', 'bad');
            }
            column.show();
            await sleep(Math.max(0, shortPollInterval - (Date.now() - started)));
        }
    }

    async function longPoll(column) {
        const c = column.counters;
        let since = null;
        let failures = 0;
        for (;;) {
            if (document.hidden) setState(column.state, 'paused while hidden', 'wait');
            await untilVisible();
            try {
                setState(column.state, since === null ? 'waiting for the next quote' : `held, since=${since}`,
                         'ok');
                const query = since === null ? '' : '?since=' + since;
                const res = await fetch('/stocks/poll' + query, { cache: 'no-store' });
                c.requests += 1;
                c.bytes += headBytes(res);
                const text = await res.text();
                c.bytes += utf8Length(text);
                if (!res.ok) throw new Error(`status ${res.status}`);
                const answer = JSON.parse(text);
                since = answer.next;
                c.missed += answer.missed;
                for (const e of answer.events) {
                    if (e.type !== 'quote') continue;
                    const q = JSON.parse(e.data);
                    c.updates += 1;
                    column.quote(q.symbol, q.price, q.change);
                }
                failures = 0;
            } catch (e) {
                failures += 1;
                setState(column.state, 'server unreachable, retrying', 'bad');
                await sleep(Math.min(10000, 500 * 2 ** failures));
            }
            column.show();
        }
    }

    function ssePush(column) {
        const c = column.counters;
        streamWhileVisible('/stocks/events', true, {
            open() {
                c.connections += 1;
                c.bytes += sseHeadBytes;
                setState(column.state, 'streaming', 'ok');
                column.show();
            },
            error: () => setState(column.state, 'reconnecting (with Last-Event-ID)', 'wait'),
            pause: () => setState(column.state, 'paused while hidden', 'wait'),
            events: {
                quote(e) {
                    c.bytes += sseEventBytes(e);
                    c.updates += 1;
                    const q = JSON.parse(e.data);
                    column.quote(q.symbol, q.price, q.change);
                    column.show();
                },
                'strata-gap'(e) {
                    c.bytes += sseEventBytes(e);
                    c.gaps += 1;
                    column.show();
                },
            },
        });
    }

    async function startTicker() {
        const short = new QuoteColumn('t-short', demo.ticker.short);
        const long = new QuoteColumn('t-long', demo.ticker.long);
        const sse = new QuoteColumn('t-sse', demo.ticker.sse);
        // Long polling and SSE carry only changes: one snapshot, not counted,
        // fills their tables so the three start equal.
        try {
            const doc = await (await fetch('/stocks/quote', { cache: 'no-store' })).json();
            for (const symbol of symbols) {
                if (typeof doc[symbol] !== 'number') continue;
                long.quote(symbol, doc[symbol], 0);
                sse.quote(symbol, doc[symbol], 0);
            }
        } catch (e) { /* the columns fill as quotes come */ }
        shortPoll(short);
        longPoll(long);
        ssePush(sse);
    }

    // ---- token stream: SSE read with fetch() -------------------------------------------------------------

    /// A text/event-stream parser (HTML standard §9.2.6) fed pieces of any size.
    class EventStreamParser {
        constructor(onEvent) {
            this.onEvent = onEvent;
            this.buffer = '';
            this.type = '';
            this.data = [];
            this.sawCR = false;
        }
        push(text) {
            this.buffer += text;
            for (;;) {
                // A CR at a piece's end may be the first half of a CRLF.
                if (this.sawCR && this.buffer.startsWith('\n')) this.buffer = this.buffer.slice(1);
                this.sawCR = false;
                const m = /\r\n|\r|\n/.exec(this.buffer);
                if (!m) return;
                const line = this.buffer.slice(0, m.index);
                this.buffer = this.buffer.slice(m.index + m[0].length);
                if (m[0] === '\r' && this.buffer === '') this.sawCR = true;
                this.line(line);
            }
        }
        line(line) {
            if (line === '') {
                if (this.data.length) this.onEvent(this.type || 'message', this.data.join('\n'));
                this.type = '';
                this.data = [];
                return;
            }
            if (line.startsWith(':')) return; // a comment (heartbeat)
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            let value = colon < 0 ? '' : line.slice(colon + 1);
            if (value.startsWith(' ')) value = value.slice(1);
            if (field === 'data') this.data.push(value);
            else if (field === 'event') this.type = value;
        }
    }

    let tokenRun = null;

    async function ask(prompt) {
        if (tokenRun) tokenRun.abort();
        const run = new AbortController();
        tokenRun = run;
        const t = demo.tokens;
        const answer = $('answer');
        const state = $('tok-state');
        t.runs += 1;
        t.count = 0;
        t.bytes = 0;
        t.done = false;
        t.text = '';
        t.error = null;
        answer.textContent = '';
        answer.classList.add('streaming');
        $('tok-ttft').textContent = '–';
        setState(state, 'thinking…', 'wait');
        const started = performance.now();
        const show = () => {
            $('tok-count').textContent = t.count;
            $('tok-bytes').textContent = formatBytes(t.bytes);
        };
        show();
        try {
            const res = await fetch('/tokens?prompt=' + encodeURIComponent(prompt), {
                cache: 'no-store',
                headers: { Accept: 'text/event-stream' },
                signal: run.signal,
            });
            t.bytes += headBytes(res);
            if (!res.ok || !res.body) throw new Error(`status ${res.status}`);
            const parser = new EventStreamParser((type, data) => {
                if (type === 'token') {
                    if (t.count === 0)
                        $('tok-ttft').textContent = Math.round(performance.now() - started) + ' ms';
                    t.count += 1;
                    t.text += data;
                    answer.textContent = t.text;
                    setState(state, 'streaming', 'ok');
                } else if (type === 'done') {
                    t.done = true;
                }
            });
            const reader = res.body.getReader();
            const decoder = new TextDecoder();
            for (;;) {
                const { value, done } = await reader.read();
                if (done) break;
                t.bytes += value.length + pieceOverhead(value.length);
                parser.push(decoder.decode(value, { stream: true }));
                show();
            }
            if (!t.done) throw new Error('the stream ended before its done event');
            setState(state, `done in ${((performance.now() - started) / 1000).toFixed(1)} s`, 'ok');
        } catch (e) {
            if (run.signal.aborted) return;
            t.error = String(e.message || e);
            setState(state, 'failed: ' + t.error, 'bad');
        } finally {
            if (tokenRun === run) {
                answer.classList.remove('streaming');
                tokenRun = null;
            }
            show();
        }
    }
    demo.ask = ask;

    function startTokens() {
        $('ask-form').addEventListener('submit', (e) => {
            e.preventDefault();
            const prompt = $('prompt').value.trim();
            if (prompt) ask(prompt);
        });
        if (params.get('ask') !== '0') ask($('prompt').value);
    }

    // ---- the gateway: one WebSocket for the chat and the ride -------------------------------------

    /// A client of the gateway's protocol: typed envelopes, replies matched
    /// by id, topics re-subscribed after a reconnect from the last seq seen,
    /// and the user's mailbox resumed with ?after=<last mailbox seq>.
    class Gateway {
        constructor(userName) {
            this.user = userName;
            this.handlers = new Map(); // type -> [fn]
            this.topics = new Map();   // topic -> { seq: last seen or null, resume: bool }
            this.pending = new Map();  // id -> { resolve, reject, timer }
            this.nextId = 1;
            this.ws = null;
            this.open = false;
            this.attempt = 0;
            this.lastHeard = 0;
            this.stateEl = $('gw-state');
            this.meterEl = $('gw-meter');
            setInterval(() => this.keepAlive(), 5000);
        }

        url() {
            const u = new URL(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/gateway`);
            u.searchParams.set('access_token', this.user);
            if (demo.gateway.mailboxSeq !== null) u.searchParams.set('after', demo.gateway.mailboxSeq);
            return u.toString();
        }

        state(text, kind) {
            demo.gateway.state = text;
            setState(this.stateEl, text, kind);
        }

        showMeter() {
            const g = demo.gateway;
            const bytes = formatBytes(g.bytesIn + g.bytesOut);
            this.meterEl.textContent = `(${g.messagesIn} in / ${g.messagesOut} out, ${bytes} bytes)`;
        }

        on(type, fn) {
            if (!this.handlers.has(type)) this.handlers.set(type, []);
            this.handlers.get(type).push(fn);
        }

        emit(type, msg) {
            for (const fn of this.handlers.get(type) || []) {
                try { fn(msg.data, msg); } catch (e) { console.error(e); }
            }
        }

        connect() {
            this.state(this.attempt ? 'reconnecting' : 'connecting', 'wait');
            let welcomed = false;
            let ws;
            try {
                ws = new WebSocket(this.url());
            } catch (e) {
                this.state('bad gateway URL', 'bad');
                return;
            }
            this.ws = ws;
            ws.onmessage = (e) => {
                if (typeof e.data !== 'string') return;
                this.lastHeard = Date.now();
                demo.gateway.messagesIn += 1;
                demo.gateway.bytesIn += utf8Length(e.data);
                this.showMeter();
                let msg;
                try { msg = JSON.parse(e.data); } catch (err) { return; }
                if (!msg || typeof msg.type !== 'string') return;
                if (msg.type === 'welcome') {
                    welcomed = true;
                    this.welcome(msg.data || {});
                    return;
                }
                this.dispatch(msg);
            };
            ws.onclose = (e) => {
                if (this.ws !== ws) return;
                this.open = false;
                this.ws = null;
                for (const [, p] of this.pending) {
                    clearTimeout(p.timer);
                    p.reject(new Error('disconnected'));
                }
                this.pending.clear();
                this.emit('closed', { data: null });
                this.retry(welcomed, e);
            };
        }

        welcome(data) {
            this.open = true;
            this.attempt = 0;
            demo.gateway.session = data.session ?? null;
            // The mailbox cursor now, on the first connection; later ones resume
            // from what was seen, unless the cursor went back (a restarted server:
            // its numbers start again, and what comes now is all new).
            const g = demo.gateway;
            if (typeof data.seq === 'number' && (g.mailboxSeq === null || data.seq < g.mailboxSeq))
                g.mailboxSeq = data.seq;
            this.state(`connected as ${data.user || this.user}`, 'ok');
            for (const [topic, t] of this.topics) this.sendSubscribe(topic, t);
            this.emit('open', { data });
        }

        dispatch(msg) {
            if (msg.topic !== undefined && msg.topic !== null) {
                const t = this.topics.get(msg.topic);
                if (t && typeof msg.seq === 'number') {
                    if (t.seq !== null && msg.seq <= t.seq) return; // seen before the reconnect
                    t.seq = msg.seq;
                }
            } else if (typeof msg.seq === 'number') {
                const g = demo.gateway;
                if (g.mailboxSeq !== null && msg.seq <= g.mailboxSeq) return;
                g.mailboxSeq = msg.seq;
            }
            if (msg.type === 'subscribed' && msg.data) {
                const t = this.topics.get(msg.data.topic);
                if (t && typeof msg.data.seq === 'number' && (t.seq === null || msg.data.seq < t.seq))
                    t.seq = msg.data.seq;
            }
            if (msg.type === 'error') {
                demo.gateway.errors.push(msg.data);
                console.warn('gateway error', JSON.stringify(msg));
            }
            if (msg.id !== undefined && this.pending.has(msg.id)) {
                const p = this.pending.get(msg.id);
                this.pending.delete(msg.id);
                clearTimeout(p.timer);
                if (msg.type === 'error')
                    p.reject(Object.assign(new Error((msg.data && msg.data.reason) || 'error'),
                                           { data: msg.data }));
                else
                    p.resolve(msg);
                return;
            }
            this.emit(msg.type, msg);
        }

        async retry(welcomed, closeEvent) {
            this.attempt += 1;
            let why = '';
            if (closeEvent.code && closeEvent.code !== 1006)
                why = ` (closed ${closeEvent.code}${closeEvent.reason ? ': ' + closeEvent.reason : ''})`;
            // Backoff: 0.5 s doubling to 10 s, jittered so that a restarted server is not hit all at once.
            const delay =
                Math.min(10000, 500 * 2 ** Math.min(this.attempt - 1, 5)) * (0.75 + Math.random() / 2);
            if (!welcomed) {
                // A WebSocket does not say why its handshake failed: ask over plain HTTP.
                try {
                    const probe = `/gateway?access_token=${encodeURIComponent(this.user)}`;
                    const res = await fetch(probe, { cache: 'no-store' });
                    if (res.status === 404) {
                        this.state('gateway unavailable (404): chat and ride are off', 'bad');
                        this.emit('unavailable', { data: null });
                        setTimeout(() => this.connect(), 15000);
                        return;
                    }
                    if (res.status === 401 || res.status === 403) why = ` (refused: ${res.status})`;
                } catch (e) { why = ' (server unreachable)'; }
            }
            this.state(`disconnected${why}, retrying in ${(delay / 1000).toFixed(1)} s`, 'wait');
            setTimeout(() => this.connect(), delay);
        }

        keepAlive() {
            // An application-level ping: a gateway that stopped answering is left, not waited on.
            if (!this.open || !this.ws) return;
            if (Date.now() - this.lastHeard > 30000) { this.ws.close(4000, 'no answer to ping'); return; }
            if (Date.now() - this.lastHeard > 15000) this.send({ type: 'ping' });
        }

        send(envelope) {
            if (!this.open || !this.ws) return false;
            const text = JSON.stringify(envelope);
            this.ws.send(text);
            demo.gateway.messagesOut += 1;
            demo.gateway.bytesOut += utf8Length(text);
            this.showMeter();
            return true;
        }

        /// Sends an envelope with an id; resolves with the reply that carries it back.
        request(type, data, timeoutMs = 10000) {
            return new Promise((resolve, reject) => {
                const id = this.nextId++;
                const envelope = data === undefined ? { type, id } : { type, data, id };
                if (!this.send(envelope)) { reject(new Error('not connected')); return; }
                const timer = setTimeout(() => {
                    this.pending.delete(id);
                    reject(new Error(`no answer to ${type}`));
                }, timeoutMs);
                this.pending.set(id, { resolve, reject, timer });
            });
        }

        /// Subscribes now (when connected) and again after every reconnect,
        /// from the last seq seen when `resume`, else from then on.
        subscribe(topic, resume) {
            if (this.topics.has(topic)) return;
            const t = { seq: null, resume };
            this.topics.set(topic, t);
            if (this.open) this.sendSubscribe(topic, t);
        }

        sendSubscribe(topic, t) {
            const data = { topic };
            if (t.resume && t.seq !== null) data.after = t.seq;
            this.send({ type: 'subscribe', data });
        }
    }

    function addMessage(list, from, text, mine, extraClass) {
        const li = document.createElement('li');
        if (mine) li.classList.add('mine');
        if (extraClass) li.classList.add(extraClass);
        if (from) {
            const b = document.createElement('span');
            b.className = 'from';
            b.textContent = from;
            li.appendChild(b);
        }
        li.appendChild(document.createTextNode(text));
        list.appendChild(li);
        while (list.children.length > 200) list.firstChild.remove();
        list.scrollTop = list.scrollHeight;
        return li;
    }

    // ---- chat room -----------------------------------------------------------------------------------

    function startChat(gw) {
        const log = $('chat-log');
        const topic = 'chat/lobby';
        gw.subscribe(topic, true);
        gw.on('chat', (data, msg) => {
            if (msg.topic !== topic || !data) return;
            demo.chat.messages.push({ from: data.from, text: data.text, seq: msg.seq });
            addMessage(log, data.from, String(data.text), data.from === user);
        });
        gw.on('gap', (data) => {
            if (data && data.topic === topic)
                addMessage(log, null, `${data.missed} earlier messages were dropped`, false, 'system');
        });
        gw.on('error', (data) => {
            if (data && data.for === 'chat')
                addMessage(log, null, `not sent: ${data.reason || data.code}`, false, 'system');
        });
        let wasOpen = false;
        let saidUnavailable = false;
        gw.on('unavailable', () => {
            if (!saidUnavailable)
                addMessage(log, null, 'this server has no gateway (/gateway answered 404)', false, 'system');
            saidUnavailable = true;
        });
        gw.on('open', () => {
            const note = wasOpen ? 'reconnected; missed messages follow' : `joined ${topic} as ${user}`;
            addMessage(log, null, note, false, 'system');
            wasOpen = true;
        });
        $('chat-form').addEventListener('submit', (e) => {
            e.preventDefault();
            const input = $('chat-text');
            const text = input.value.trim();
            if (!text) return;
            if (gw.send({ type: 'chat', data: { text } })) input.value = '';
            else addMessage(log, null, 'not connected: the message waits in the box', false, 'system');
        });
    }

    // ---- the ride: map, car, and the thread with the driver ---------------------------------------------

    const svgNS = 'http://www.w3.org/2000/svg';
    const mapWidth = 400, mapHeight = 280, mapMargin = 34;

    function startRide(gw) {
        const r = demo.rider;
        const log = $('thread-log');
        const car = $('car');
        let project = null;
        let heading = 0; // unwrapped, so that 350 -> 10 turns 20 degrees, not 340
        let pendingLocation = null;
        let loop = null;   // the route as drawn, with the distance along it at each point
        let motion = null; // where the car was last, when, and how fast it goes
        let pickupSeen = null;
        let peer = null; // the driver's view answers whoever wrote last

        if (role === 'driver') {
            $('ride-title').firstChild.textContent = `Driving as ${user} `;
            $('thread-text').placeholder = 'waiting for a rider to write';
            $('switch-role').textContent = "open a rider's view";
            $('switch-role').href = '/?user=rider-' + String(Math.floor(1000 + Math.random() * 9000));
        }

        function drawRoute(points) {
            const lat0 = points.reduce((s, p) => s + p[0], 0) / points.length;
            // A degree of longitude is shorter away from the equator.
            const k = Math.cos((lat0 * Math.PI) / 180);
            const xs = points.map((p) => p[1] * k), ys = points.map((p) => -p[0]);
            const minX = Math.min(...xs), maxX = Math.max(...xs);
            const minY = Math.min(...ys), maxY = Math.max(...ys);
            const scale = Math.min((mapWidth - 2 * mapMargin) / Math.max(maxX - minX, 1e-9),
                (mapHeight - 2 * mapMargin) / Math.max(maxY - minY, 1e-9));
            const offX = (mapWidth - (maxX - minX) * scale) / 2;
            const offY = (mapHeight - (maxY - minY) * scale) / 2;
            project = (lat, lng) => [offX + (lng * k - minX) * scale, offY + (-lat - minY) * scale];

            // The route runs along streets: a grid turned the way its legs run
            // (the mean of their angles modulo 90 degrees, weighted by length),
            // spaced so that the loop's sides fall on streets.
            const projected = points.map((p) => project(p[0], p[1]));
            let sumX = 0, sumY = 0;
            for (let i = 0; i < projected.length; ++i) {
                const [x1, y1] = projected[i], [x2, y2] = projected[(i + 1) % projected.length];
                const angle = Math.atan2(y2 - y1, x2 - x1), length = Math.hypot(x2 - x1, y2 - y1);
                sumX += length * Math.cos(4 * angle);
                sumY += length * Math.sin(4 * angle);
            }
            const theta = Math.atan2(sumY, sumX) / 4;
            const cx = mapWidth / 2, cy = mapHeight / 2;
            const cos = Math.cos(theta), sin = Math.sin(theta);
            const toGrid = ([x, y]) =>
                [cx + (x - cx) * cos + (y - cy) * sin, cy - (x - cx) * sin + (y - cy) * cos];
            const grid = projected.map(toGrid);
            // The turned grid must still cover the map's corners.
            const reach = Math.hypot(mapWidth, mapHeight) / 2 + 60;
            const streets = (values, centre) => {
                const lo = Math.min(...values), hi = Math.max(...values);
                const blocks = Math.max(1, Math.round((hi - lo) / 55));
                const spacing = hi - lo > 20 ? (hi - lo) / blocks : 55;
                const out = [];
                const first = lo - Math.ceil((lo - (centre - reach)) / spacing) * spacing;
                for (let v = first; v <= centre + reach; v += spacing)
                    out.push(v);
                return out;
            };
            const allX = streets(grid.map((p) => p[0]), cx);
            const allY = streets(grid.map((p) => p[1]), cy);
            const g = $('map-streets');
            g.replaceChildren();
            g.setAttribute('transform', `rotate(${((theta * 180) / Math.PI).toFixed(2)} ${cx} ${cy})`);
            for (let i = 0; i + 1 < allX.length; ++i) {
                for (let j = 0; j + 1 < allY.length; ++j) {
                    const rect = document.createElementNS(svgNS, 'rect');
                    rect.setAttribute('class', 'block');
                    rect.setAttribute('x', (allX[i] + 6).toFixed(1));
                    rect.setAttribute('y', (allY[j] + 6).toFixed(1));
                    rect.setAttribute('width', Math.max(0, allX[i + 1] - allX[i] - 12).toFixed(1));
                    rect.setAttribute('height', Math.max(0, allY[j + 1] - allY[j] - 12).toFixed(1));
                    rect.setAttribute('rx', 3);
                    g.appendChild(rect);
                }
            }
            for (const x of allX) g.appendChild(line(x, cy - reach, x, cy + reach));
            for (const y of allY) g.appendChild(line(cx - reach, y, cx + reach, y));

            const closed = projected.concat([projected[0]]);
            const svgPoints = closed.map((p) => p[0].toFixed(1) + ',' + p[1].toFixed(1)).join(' ');
            $('map-route').setAttribute('points', svgPoints);
            loop = { points: closed, at: [0] };
            for (let i = 1; i < closed.length; ++i)
                loop.at.push(loop.at[i - 1] +
                             Math.hypot(closed[i][0] - closed[i - 1][0], closed[i][1] - closed[i - 1][1]));
            loop.length = loop.at[loop.at.length - 1];
            $('map-wait').classList.add('hidden');
        }

        /// How far along the loop (in map units) the point nearest to `p` is.
        function along(p) {
            let best = Infinity, where = 0;
            for (let i = 0; i + 1 < loop.points.length; ++i) {
                const [ax, ay] = loop.points[i], [bx, by] = loop.points[i + 1];
                const len2 = (bx - ax) ** 2 + (by - ay) ** 2;
                const dot = (p[0] - ax) * (bx - ax) + (p[1] - ay) * (by - ay);
                const f = len2 > 0 ? Math.max(0, Math.min(1, dot / len2)) : 0;
                const d = Math.hypot(ax + f * (bx - ax) - p[0], ay + f * (by - ay) - p[1]);
                if (d < best) {
                    best = d;
                    where = loop.at[i] + f * (loop.at[i + 1] - loop.at[i]);
                }
            }
            return where;
        }

        function pointAt(distance) {
            const d = ((distance % loop.length) + loop.length) % loop.length;
            let i = 0;
            while (i + 2 < loop.at.length && loop.at[i + 1] < d) ++i;
            const f = (d - loop.at[i]) / Math.max(loop.at[i + 1] - loop.at[i], 1e-9);
            const [ax, ay] = loop.points[i], [bx, by] = loop.points[i + 1];
            return [ax + f * (bx - ax), ay + f * (by - ay)];
        }

        /// The protocol says when the driver arrives, not where: the pickup is
        /// where the car was when eta_s reached 0, and until the page has seen
        /// that, where it gets in eta_s seconds at the speed it has been going.
        function placePickup(p, eta) {
            const now = performance.now(), s = along(p);
            let at = null;
            if (typeof eta === 'number' && eta <= 0) pickupSeen = p;
            if (pickupSeen) {
                at = pickupSeen;
            } else if (motion && typeof eta === 'number') {
                const ds = (s - motion.s + loop.length) % loop.length, dt = (now - motion.t) / 1000;
                if (dt > 0.2 && ds < loop.length / 2) {
                    motion.speed = motion.speed === null ? ds / dt : 0.7 * motion.speed + 0.3 * (ds / dt);
                    at = pointAt(s + motion.speed * eta);
                }
            }
            motion = { s, t: now, speed: motion ? motion.speed : null };
            if (!at) return;
            const pin = $('map-pickup');
            pin.style.transform = `translate(${at[0].toFixed(1)}px, ${at[1].toFixed(1)}px)`;
            pin.classList.remove('hidden');
        }

        function line(x1, y1, x2, y2) {
            const l = document.createElementNS(svgNS, 'line');
            l.setAttribute('class', 'street');
            l.setAttribute('x1', x1);
            l.setAttribute('y1', y1);
            l.setAttribute('x2', x2);
            l.setAttribute('y2', y2);
            return l;
        }

        function moveCar(loc) {
            if (!project) { pendingLocation = loc; return; }
            const [x, y] = project(loc.lat, loc.lng);
            if (typeof loc.heading === 'number') {
                const delta = ((((loc.heading - heading) % 360) + 540) % 360) - 180;
                heading += delta;
            }
            // A CSS transform, so that the transition glides between updates.
            car.style.transform =
                `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px) rotate(${heading.toFixed(1)}deg)`;
            car.classList.remove('hidden');
            placePickup([x, y], loc.eta_s);
        }

        function showEta(s) {
            if (typeof s !== 'number') return '–';
            if (s <= 0) return 'arriving';
            return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
        }

        async function askRoute() {
            if (r.route) return;
            try {
                const reply = await gw.request('route');
                const data = reply.data || {};
                if (!Array.isArray(data.points) || data.points.length < 2)
                    throw new Error('a route without points');
                r.route = data.points;
                r.driver = data.driver;
                $('ride-driver').textContent = data.driver;
                $('ride-topic').textContent = `driver/${data.driver}/location`;
                if (role === 'rider') $('thread-text').placeholder = `Message ${data.driver}`;
                drawRoute(data.points);
                gw.subscribe(`driver/${data.driver}/location`, false);
                if (pendingLocation) moveCar(pendingLocation);
            } catch (e) {
                $('map-wait').textContent = 'no route: ' + e.message;
                setTimeout(() => { if (gw.open) askRoute(); }, 3000);
            }
        }

        gw.on('open', () => askRoute());
        gw.on('unavailable', () => {
            if (!r.route)
                $('map-wait').textContent = 'no gateway on this server (404)';
        });
        gw.on('driver_location', (data, msg) => {
            if (!data || typeof data.lat !== 'number' || typeof data.lng !== 'number') return;
            r.positions += 1;
            r.car = { lat: data.lat, lng: data.lng, heading: data.heading, eta_s: data.eta_s, seq: msg.seq };
            moveCar(data);
            $('ride-eta').textContent = showEta(data.eta_s);
            $('ride-updates').textContent = r.positions;
            $('ride-pos').textContent = `${data.lat.toFixed(5)}, ${data.lng.toFixed(5)}`;
        });
        gw.on('rider_message', (data, msg) => {
            if (!data) return;
            r.thread.push({ from: data.from, to: data.to, text: data.text, seq: msg.seq });
            const mine = data.from === user;
            if (!mine) peer = data.from;
            if (role === 'driver' && peer) $('thread-text').placeholder = `Message ${peer}`;
            const label = !mine ? data.from : role === 'driver' ? `you → ${data.to}` : 'you';
            addMessage(log, label, String(data.text), mine);
        });
        gw.on('error', (data) => {
            if (data && (data.for === 'rider_message' || data.for === 'route'))
                addMessage(log, null, `${data.for}: ${data.reason || data.code}`, false, 'system');
        });
        gw.on('gap', (data) => {
            if (data && (data.topic === null || data.topic === undefined))
                addMessage(log, null, `${data.missed} earlier messages were dropped`, false, 'system');
        });

        $('thread-form').addEventListener('submit', (e) => {
            e.preventDefault();
            const input = $('thread-text');
            const text = input.value.trim();
            if (!text) return;
            const to = role === 'driver' ? peer : r.driver;
            if (!to) {
                const why = role === 'driver' ? 'no rider has written yet' : 'no driver yet';
                addMessage(log, null, why, false, 'system');
                return;
            }
            if (gw.send({ type: 'rider_message', data: { to, text } })) input.value = '';
            else addMessage(log, null, 'not connected: the message waits in the box', false, 'system');
        });
    }

    // ---- start -----------------------------------------------------------------------------------------

    $('me').textContent = user;
    $('role').textContent = role;
    $('protocol').textContent = protocol;
    if (role === 'rider') $('switch-role').href = '/?user=driver-1';
    startScores();
    startTicker();
    startTokens();
    const gw = new Gateway(user);
    startChat(gw);
    startRide(gw);
    gw.connect();
})();
