// pnpm bench:sdk — what the SDK costs on top of the wire, measured in one run against the same server:
//   1. per request: BENCH_REQUESTS sequential GET /sessions/{id} through the SDK and through raw fetch,
//      interleaved one by one so both see the same server state; p50/p99 of each and the SDK's p50
//      overhead (retries, error mapping and JSON handling included; nothing is retried here);
//   2. the stream reader: BENCH_STREAM_EVENTS SSE frames of realistic events served by a local HTTP
//      server, read by the SDK's resumable stream (decode, parse, dedupe) and, as the floor, by raw
//      fetch counting frames; events/s of each;
//   3. per MCP tool call: the same tool called through a Stratus turn and directly with the MCP SDK's
//      client, against one MCP server (mcp-overhead.mjs); the p50 difference is the overhead per call.
// Targets on a 2-core machine: SDK p50 overhead under 0.5 ms per request; the reader above 50,000
// events/s. The MCP figure is reported, not held to a target.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { loadSdk, machine, percentile, startServer, writeReport } from './lib.mjs';
import { measureMcpOverhead } from './mcp-overhead.mjs';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const STREAM_EVENTS = Number(process.env.BENCH_STREAM_EVENTS ?? 100_000);
const WARMUP = 200;
const { Stratus } = loadSdk();

const round = (n) => Math.round(n * 1000) / 1000;
const summary = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
};

async function requestOverhead() {
  const server = await startServer({ RATE_LIMIT_REQUESTS: '100000000' });
  try {
    const { stratus } = server;
    const agent = await stratus.agents.create({ name: 'bench', model: 'stratus-demo' });
    const env = await stratus.environments.create({ name: 'bench' });
    const session = await stratus.sessions.create({ agent: agent.id, environment_id: env.id });
    const url = `${server.url}/api/v1/cloud/sessions/${session.id}`;
    const headers = { authorization: `Bearer ${server.token}`, accept: 'application/json' };
    const raw = async () => {
      const response = await fetch(url, { headers });
      if (!response.ok) throw new Error(`raw fetch: ${response.status}`);
      return response.json();
    };
    const sdk = () => stratus.sessions.retrieve(session.id);
    const times = { sdk: [], raw: [] };
    for (let i = 0; i < WARMUP + REQUESTS; i++) {
      for (const [name, fn] of i % 2 === 0 ? [['sdk', sdk], ['raw', raw]] : [['raw', raw], ['sdk', sdk]]) {
        const start = performance.now();
        await fn();
        if (i >= WARMUP) times[name].push(performance.now() - start);
      }
    }
    const result = { requests_each: REQUESTS, sdk_ms: summary(times.sdk), raw_fetch_ms: summary(times.raw) };
    result.sdk_overhead_p50_ms = round(result.sdk_ms.p50 - result.raw_fetch_ms.p50);
    return result;
  } finally {
    await server.stop();
  }
}

async function streamReader() {
  const frames = [];
  for (let i = 0; i < STREAM_EVENTS; i++) {
    const id = `evt_${i.toString(16).padStart(32, '0')}`;
    const event = { id, type: 'agent.message', session_id: 'sess_bench', turn_id: 'turn_bench', created_at: new Date(0).toISOString(), processed_at: null, content: [{ type: 'text', text: `message ${i} of the benchmark stream` }] };
    frames.push(`id: ${id}\nevent: agent.message\ndata: ${JSON.stringify(event)}\n\n`);
  }
  frames.push(`id: evt_end\nevent: session.deleted\ndata: ${JSON.stringify({ id: 'evt_end', type: 'session.deleted', session_id: 'sess_bench', turn_id: null, created_at: new Date(0).toISOString(), processed_at: null })}\n\n`);
  const body = Buffer.from(frames.join(''));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // 64 KiB writes, as a gateway's replay arrives.
    for (let at = 0; at < body.length; at += 65536) res.write(body.subarray(at, at + 65536));
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const readSdk = async () => {
      let count = 0;
      const start = performance.now();
      for await (const _event of new Stratus({ baseURL: base, token: 'pt-bench' }).sessions.events.stream('sess_bench')) count++;
      return { count, seconds: (performance.now() - start) / 1000 };
    };
    const readRaw = async () => {
      let count = 0;
      const start = performance.now();
      const response = await fetch(`${base}/api/v1/cloud/sessions/sess_bench/events/stream`);
      const decoder = new TextDecoder();
      let tail = '';
      for await (const chunk of response.body) {
        const text = tail + decoder.decode(chunk, { stream: true });
        const parts = text.split('\n\n');
        tail = parts.pop();
        count += parts.length;
      }
      return { count, seconds: (performance.now() - start) / 1000 };
    };
    await readSdk();
    await readRaw();
    const sdk = await readSdk();
    const raw = await readRaw();
    if (sdk.count !== STREAM_EVENTS + 1 || raw.count !== STREAM_EVENTS + 1) throw new Error(`events lost: sdk ${sdk.count}, raw ${raw.count}`);
    return {
      events: sdk.count,
      sdk_events_per_second: Math.round(sdk.count / sdk.seconds),
      raw_fetch_frames_per_second: Math.round(raw.count / raw.seconds),
    };
  } finally {
    server.close();
  }
}

console.log(`machine: ${JSON.stringify(machine())}\n`);
const requests = await requestOverhead();
console.log(
  `GET /sessions/{id} x${REQUESTS}: SDK p50 ${requests.sdk_ms.p50} ms (p99 ${requests.sdk_ms.p99}), raw fetch p50 ${requests.raw_fetch_ms.p50} ms (p99 ${requests.raw_fetch_ms.p99}); SDK overhead p50 ${requests.sdk_overhead_p50_ms} ms`,
);
const stream = await streamReader();
console.log(`stream reader: ${stream.sdk_events_per_second} events/s through the SDK, ${stream.raw_fetch_frames_per_second} frames/s raw (${stream.events} events)`);
const mcp = await measureMcpOverhead();
const targets = { request_overhead: requests.sdk_overhead_p50_ms < 0.5, stream_reader: stream.sdk_events_per_second > 50_000 };
const file = writeReport('sdk', { requests, stream, mcp, targets_met: targets });
console.log(`\ntargets met: ${JSON.stringify(targets)}\nreport: ${file}`);
