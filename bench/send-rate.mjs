// POST /sessions/{id}/events at a fixed rate, for pnpm bench:api (issue 12: p99 < 15 ms at 200 req/s).
// Each request sends a user.message to the next of the given sessions, so the worker runs their turns
// meanwhile as it would in production; the latency is the API's, from request to 202.
import { autocannonRun, summarize } from './lib.mjs';

/** Drives `rate` requests/s over `connections` for `duration` seconds; the endpoint's row of the report. */
export function sendEventsAtFixedRate(server, sessionIds, { rate = 200, duration = 10, connections = 16 } = {}) {
  let next = 0;
  return autocannonRun({
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
  }).then((result) => summarize(`POST /sessions/{id}/events @${rate}/s`, result));
}
