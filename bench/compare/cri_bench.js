// The workloads of `janus bench --target chromium` (page.evaluate sequential and pipelined, console)
// run by chrome-remote-interface against the same Chromium, printed as the same JSON lines.
// compare_clients.py installs chrome-remote-interface and runs this; alone:
//   NODE_PATH=<dir>/node_modules node cri_bench.js --port 9222 --sequential 5000 --requests 20000 \
//     --inflight 256 --events 50000
'use strict';
const CDP = require('chrome-remote-interface');

function parseArgs(argv) {
  const out = { port: 9222, sequential: 5000, requests: 20000, inflight: 256, events: 50000 };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in out)) throw new Error(`unknown option ${argv[i]}`);
    out[key] = Number(argv[i + 1]);
  }
  return out;
}

// CPU µs of this process (user + system, every thread) since `from`.
function cpuSince(from) {
  const d = process.cpuUsage(from);
  return d.user + d.system;
}

function percentile(sorted, p) {
  const i = Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)));
  return sorted[i];
}

async function sequential(client, n) {
  const lat = new Array(n);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; ++i) {
    const s = process.hrtime.bigint();
    await client.Runtime.evaluate({ expression: '1' });
    lat[i] = Number(process.hrtime.bigint() - s) / 1e3;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSince(cpu0);
  lat.sort((a, b) => a - b);
  return { per_s: n / secs, cpu_us_per_op: cpu / n, latency_p50_us: percentile(lat, 0.5), latency_p99_us: percentile(lat, 0.99) };
}

async function pipelined(client, n, inflight) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  async function worker() {
    while (next < n) {
      ++next;
      await client.Runtime.evaluate({ expression: '1' });
    }
  }
  await Promise.all(Array.from({ length: inflight }, worker));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { per_s: n / secs, cpu_us_per_op: cpuSince(cpu0) / n };
}

async function consoleBurst(client, n) {
  let got = 0;
  let resolveAll;
  const all = new Promise((r) => { resolveAll = r; });
  const off = client.Runtime.consoleAPICalled(() => { if (++got === n) resolveAll(); });  // returns its unsubscribe
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const evaluated = client.Runtime.evaluate({ expression: `for (let i = 0; i < ${n}; ++i) console.log(i)` });
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`${got} of ${n} console events in 120 s`)), 120000).unref());
  await Promise.race([all, timeout]);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSince(cpu0);
  await evaluated;
  off();
  return { per_s: n / secs, cpu_us_per_op: cpu / n };
}

async function main() {
  const o = parseArgs(process.argv);
  const version = require('chrome-remote-interface/package.json').version;
  const target = await CDP.New({ port: o.port, url: 'about:blank' });
  let client;
  try {
    client = await CDP({ port: o.port, target: target.id });
    await client.Runtime.enable();
    const line = (workload, mode, n, inflight, figures) =>
      console.log(JSON.stringify({ target: 'chromium', client: `chrome-remote-interface ${version}`, transport: 'websocket',
                                   workload, mode, n, inflight, runs: 1, ...figures }));
    line('page.evaluate', 'sequential', o.sequential, 1, await sequential(client, o.sequential));
    line('page.evaluate', 'pipelined', o.requests, o.inflight, await pipelined(client, o.requests, o.inflight));
    line('console', 'events', o.events, 1, await consoleBurst(client, o.events));
  } finally {
    if (client) await client.close();
    await CDP.Close({ port: o.port, id: target.id });
  }
}

main().catch((e) => { console.error(`cri_bench: ${e.stack || e}`); process.exit(1); });
