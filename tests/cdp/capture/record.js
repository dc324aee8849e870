// Records a CDP session with the installed Chromium into tests/cdp/captures/session.jsonl: the
// test data that checks the typed bindings against what a real browser sends.
//
// Serves site/ from a loopback HTTP server, launches a headless Chromium, and drives one page
// through navigations, DOM/CSS queries, script evaluation and network requests with Page, Network,
// DOM, CSS, Runtime, Log and Target enabled. Every line of the output is either
//   {"method":"Domain.command","params":{...},"result":{...}}   a command and its reply, or
//   {"method":"Domain.event","params":{...}}                     an event.
// Commands that failed are left out (their replies carry no result).
//
// Usage (needs the `ws` package; nothing else leaves the machine):
//   tmp=$(mktemp -d) && (cd "$tmp" && npm install ws) &&
//   NODE_PATH="$tmp/node_modules" node tests/cdp/capture/record.js [path-to-chromium]
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const WebSocket = require('ws');

const siteDir = path.join(__dirname, 'site');
const outFile = path.join(__dirname, '..', 'captures', 'session.jsonl');
const chromium = process.argv[2] || process.env.CHROMIUM || 'chromium';

const types = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript',
                '.json': 'application/json', '.svg': 'image/svg+xml' };

function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/echo') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': 'echo=1; Path=/' });
        res.end(JSON.stringify({ received: body }));
      });
      return;
    }
    const file = path.join(siteDir, path.normalize(url.pathname === '/' ? '/index.html' : url.pathname));
    if (!file.startsWith(siteDir) || !fs.existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream',
                         'Cache-Control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'janus-capture-'));
  const child = spawn(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const ws = new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error('no DevTools address within 20 s')), 20000);
    child.stderr.on('data', (chunk) => {
      err += chunk;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`chromium exited (${code}): ${err}`)));
  });
  return { child, profile, ws };
}

class Session {
  constructor(socket, out) {
    this.socket = socket;
    this.out = out;
    this.nextId = 1;
    this.pending = new Map();
    this.waiters = [];
    socket.on('message', (data) => this.receive(JSON.parse(data.toString())));
  }

  receive(msg) {
    if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.result !== undefined) this.out.push({ method: p.method, params: p.params, result: msg.result });
      p.resolve(msg);
      return;
    }
    this.out.push({ method: msg.method, params: msg.params || {} });
    this.waiters = this.waiters.filter((w) => !w(msg));
  }

  // Sends a command; resolves to its result (undefined when the browser answered with an error).
  send(method, params = {}, sessionId) {
    const id = this.nextId++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve) => {
      this.pending.set(id, { method, params, resolve: (reply) => resolve(reply.result) });
      this.socket.send(JSON.stringify(msg));
    });
  }

  waitFor(method, timeoutMs = 10000) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.waiters.push((msg) => {
        if (msg.method !== method) return false;
        clearTimeout(timer);
        resolve(msg.params);
        return true;
      });
    });
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = launch();
  const out = [];
  try {
    const socket = new WebSocket(await browser.ws, { perMessageDeflate: false, maxPayload: 256 << 20 });
    await new Promise((resolve, reject) => { socket.on('open', resolve); socket.on('error', reject); });
    const s = new Session(socket, out);

    await s.send('Browser.getVersion');
    await s.send('Target.setDiscoverTargets', { discover: true });
    await s.send('Target.getTargets');
    const { targetId } = await s.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId: sid } = await s.send('Target.attachToTarget', { targetId, flatten: true });
    const send = (method, params) => s.send(method, params, sid);

    for (const domain of ['Page', 'Network', 'DOM', 'Runtime', 'Log']) await send(`${domain}.enable`);
    await send('CSS.enable');
    await send('Page.setLifecycleEventsEnabled', { enabled: true });
    await send('Log.startViolationsReport', { config: [{ name: 'longTask', threshold: 1 }] });

    let loaded = s.waitFor('Page.loadEventFired');
    await send('Page.navigate', { url: `${base}/index.html` });
    await loaded;
    await sleep(500);

    await send('Page.getFrameTree');
    await send('Page.getResourceTree');
    await send('Page.getNavigationHistory');
    await send('Page.getLayoutMetrics');
    await send('Page.captureScreenshot', { format: 'png', clip: { x: 0, y: 0, width: 8, height: 8, scale: 1 } });

    const { root } = await send('DOM.getDocument', { depth: -1, pierce: true });
    const title = await send('DOM.querySelector', { nodeId: root.nodeId, selector: '#title' });
    await send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: 'p' });
    await send('DOM.describeNode', { nodeId: title.nodeId, depth: 1 });
    await send('DOM.getAttributes', { nodeId: title.nodeId });
    await send('DOM.getOuterHTML', { nodeId: title.nodeId });
    await send('DOM.getBoxModel', { nodeId: title.nodeId });
    await send('DOM.setAttributeValue', { nodeId: title.nodeId, name: 'data-touched', value: 'yes' });
    await send('CSS.getMatchedStylesForNode', { nodeId: title.nodeId });
    await send('CSS.getComputedStyleForNode', { nodeId: title.nodeId });
    await send('CSS.getInlineStylesForNode', { nodeId: title.nodeId });
    await send('CSS.getPlatformFontsForNode', { nodeId: title.nodeId });
    await send('CSS.getMediaQueries');

    await send('Runtime.evaluate', { expression: '1 + 2' });
    await send('Runtime.evaluate', { expression: 'window.appState', returnByValue: true });
    const state = await send('Runtime.evaluate', { expression: 'window.appState', generatePreview: true });
    if (state && state.result.objectId) {
      await send('Runtime.getProperties', { objectId: state.result.objectId, ownProperties: true, generatePreview: true });
      await send('Runtime.callFunctionOn', {
        objectId: state.result.objectId, functionDeclaration: 'function() { return this.items.length; }', returnByValue: true,
      });
    }
    await send('Runtime.evaluate', { expression: 'document.querySelectorAll("p")', generatePreview: true });
    await send('Runtime.evaluate', { expression: 'null.boom' });
    await send('Runtime.evaluate', { expression: 'new Promise(r => setTimeout(() => r("later"), 10))', awaitPromise: true });
    await send('Runtime.evaluate', { expression: 'console.log("from evaluate", [1, {a: 2}]); 0' });
    await send('Runtime.evaluate', { expression: '1n << 70n' });
    await send('Runtime.evaluate', { expression: '-0' });
    await send('Runtime.getHeapUsage');

    const responses = out.filter((m) => m.method === 'Network.responseReceived' && m.params.response.url.endsWith('data.json'));
    if (responses.length) await send('Network.getResponseBody', { requestId: responses[0].params.requestId });
    await send('Network.getCookies');

    loaded = s.waitFor('Page.loadEventFired');
    await send('Page.reload', { ignoreCache: true });
    await loaded;
    await sleep(300);

    loaded = s.waitFor('Page.loadEventFired');
    await send('Page.navigate', { url: `${base}/second.html` });
    await loaded;
    await sleep(300);
    await send('Network.getCookies');

    loaded = s.waitFor('Page.loadEventFired');
    await send('Page.navigate', { url: `${base}/does-not-exist.html` });
    await loaded;

    // A refused connection: navigation and request fail.
    const closed = http.createServer();
    await new Promise((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = closed.address().port;
    await new Promise((r) => closed.close(r));
    await send('Page.navigate', { url: `http://127.0.0.1:${deadPort}/gone` });
    await sleep(500);

    loaded = s.waitFor('Page.loadEventFired');
    await send('Page.navigate', { url: `${base}/index.html#again` });
    await send('Page.navigate', { url: `${base}/index.html` });
    await loaded;
    await sleep(300);

    await s.send('Target.closeTarget', { targetId });
    await sleep(300);
    socket.close();
  } finally {
    browser.child.kill();
    await new Promise((r) => (browser.child.exitCode !== null ? r() : browser.child.on('exit', r)));
    fs.rmSync(browser.profile, { recursive: true, force: true });
    server.close();
  }
  fs.writeFileSync(outFile, out.map((m) => JSON.stringify(m)).join('\n') + '\n');
  const methods = new Set(out.map((m) => m.method));
  console.log(`${out.length} messages, ${methods.size} methods -> ${path.relative(process.cwd(), outFile)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
