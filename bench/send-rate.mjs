// POST /sessions/{id}/events at a fixed rate, for pnpm bench:api (issue 12: p99 < 15 ms at 200 req/s).
// Each request sends a user.message to the next of the given sessions, so the worker runs their turns
// meanwhile as it would in production; the latency is the API's, from request to 202.
import autocannon from 'autocannon';

/** Drives `rate` requests/s over `connections` for `duration` seconds; the endpoint's row of the report. */
export function sendEventsAtFixedRate(server, sessionIds, { rate = 200, duration = 10, connections = 16 } = {}) {
  let next = 0;
  const title = `POST /sessions/{id}/events @${rate}/s`;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: server.url,
        connections,
        overallRate: rate,
        duration,
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        requests: [
          {
            method: 'POST',
            body: JSON.stringify({ events: [{ type: 'user.message', content: 'hello' }] }),
            setupRequest: (request) => ({ ...request, path: `/api/v1/cloud/sessions/${sessionIds[next++ % sessionIds.length]}/events` }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  }).then((result) => {
    const row = {
      endpoint: title,
      requests_per_second: Math.round(result.requests.average),
      latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
      non_2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
    };
    console.log(`${title.padEnd(36)} ${String(row.requests_per_second).padStart(6)} req/s   p50 ${row.latency_ms.p50} ms   p99 ${row.latency_ms.p99} ms   non-2xx ${row.non_2xx}`);
    return row;
  });
}
