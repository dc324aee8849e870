// Sequential evaluate on an idle Firefox page by foxdriver (an RDP client from the npm registry),
// printed as the JSON line `janus bench --target firefox --workload page.evaluate` prints.
// compare_clients.py installs foxdriver and runs this against the Firefox it started; alone:
//   NODE_PATH=<dir>/node_modules node foxdriver_bench.js --port 6000 --sequential 300
// foxdriver's evaluateJSAsync sends evaluateJSAsync to the tab's console actor and waits for the
// evaluationResult event, as page.evaluate does; it wraps the text in a function, hence `return`.
'use strict';
const Foxdriver = require('foxdriver');

function parseArgs(argv) {
  const out = { port: 6000, sequential: 300 };
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in out)) throw new Error(`unknown option ${argv[i]}`);
    out[key] = Number(argv[i + 1]);
  }
  return out;
}

async function main() {
  const o = parseArgs(process.argv);
  const version = require('foxdriver/package.json').version;
  const { browser, tabs } = await Foxdriver.attach('127.0.0.1', o.port);
  try {
    const tab = tabs[0];
    const first = await tab.console.evaluateJSAsync('return 1 + 1');
    if (first !== 2) throw new Error(`evaluate answered ${JSON.stringify(first)}`);
    const lat = new Array(o.sequential);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < o.sequential; ++i) {
      const s = process.hrtime.bigint();
      await tab.console.evaluateJSAsync('return 1 + 1');
      lat[i] = Number(process.hrtime.bigint() - s) / 1e3;
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const d = process.cpuUsage(cpu0);
    lat.sort((a, b) => a - b);
    const pick = (p) => lat[Math.min(lat.length - 1, Math.round(p * (lat.length - 1)))];
    console.log(JSON.stringify({ target: 'firefox', client: `foxdriver ${version}`, transport: 'tcp', workload: 'page.evaluate',
                                 mode: 'sequential', n: o.sequential, inflight: 1, runs: 1, per_s: o.sequential / secs,
                                 cpu_us_per_op: (d.user + d.system) / o.sequential, latency_p50_us: pick(0.5),
                                 latency_p99_us: pick(0.99) }));
  } finally {
    browser.disconnect();
  }
}

main().catch((e) => { console.error(`foxdriver_bench: ${e.stack || e}`); process.exit(1); });
