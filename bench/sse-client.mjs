// A minimal SSE reader for the benchmarks: one stream per session, as an integrator opens it before
// sending a message, and a way to wait for the turn a POST started to end on that stream.

/** Opens GET /sessions/{id}/events/stream; resolves once the response headers arrived. */
export async function openSessionStream(server, sessionId) {
  const abort = new AbortController();
  const response = await fetch(`${server.url}/api/v1/cloud/sessions/${sessionId}/events/stream`, {
    headers: { authorization: `Bearer ${server.token}`, accept: 'text/event-stream' },
    signal: abort.signal,
  });
  if (!response.ok) throw Object.assign(new Error(`stream of ${sessionId}: ${response.status}`), { status: response.status });
  /** Every event received, in stream order. */
  const events = [];
  let wake = () => undefined;
  let ended = false;
  const pump = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let boundary;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const data = frame.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
          if (!data) continue;
          const event = JSON.parse(data);
          if (event.type === 'event_start' || event.type === 'event_delta') continue;
          events.push(event);
          wake();
        }
      }
    } catch {
      // aborted by close()
    } finally {
      ended = true;
      wake();
    }
  })();

  return {
    /**
     * Resolves with the first session.status_idle after the event `eventId` (a user.message this
     * client sent), or rejects after `timeoutMs`.
     */
    async idleAfter(eventId, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = events.findIndex((e) => e.id === eventId);
        const idle = at >= 0 ? events.slice(at + 1).find((e) => e.type === 'session.status_idle') : undefined;
        if (idle) return idle;
        if (ended) throw new Error('stream ended');
        const left = deadline - Date.now();
        if (left <= 0) throw Object.assign(new Error('no session.status_idle in time'), { code: 'timeout' });
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    async close() {
      abort.abort();
      await pump;
    },
  };
}
