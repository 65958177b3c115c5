import { signWebhook, verifyWebhook, WebhookVerificationError } from './webhook-signature';

// The example of the Standard Webhooks specification (its reference libraries test the same vector).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const PAYLOAD = '{"test": 2432232314}';
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
const NOW = TIMESTAMP * 1000;

const headers = (signature = SIGNATURE, timestamp = String(TIMESTAMP)) => ({ 'webhook-id': ID, 'webhook-timestamp': timestamp, 'webhook-signature': signature });

describe('webhook signatures', () => {
  it('signs the specification example to its published signature', async () => {
    await expect(signWebhook(SECRET, { id: ID, timestamp: TIMESTAMP, payload: PAYLOAD })).resolves.toBe(SIGNATURE);
    await expect(signWebhook(SECRET, { id: ID, timestamp: TIMESTAMP, payload: new TextEncoder().encode(PAYLOAD) })).resolves.toBe(SIGNATURE);
  });

  it('accepts the example, from a string or bytes, with Fetch or Node headers, among other signatures', async () => {
    await expect(verifyWebhook(PAYLOAD, headers(), SECRET, { now: NOW })).resolves.toEqual({ test: 2432232314 });
    await expect(verifyWebhook(new TextEncoder().encode(PAYLOAD), new Headers(headers()), SECRET, { now: NOW })).resolves.toEqual({ test: 2432232314 });
    await expect(verifyWebhook(PAYLOAD, headers(`v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ${SIGNATURE}`), SECRET, { now: NOW })).resolves.toBeDefined();
    await expect(verifyWebhook(PAYLOAD, { ...headers(), 'Webhook-Id': undefined }, SECRET, { now: NOW + 299_000 })).resolves.toBeDefined();
  });

  it.each([
    ['a changed body', '{"test": 2432232315}', headers()],
    ['another signature', PAYLOAD, headers('v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=')],
    ['another scheme', PAYLOAD, headers(SIGNATURE.replace('v1,', 'v2,'))],
    ['a changed timestamp', PAYLOAD, headers(SIGNATURE, String(TIMESTAMP + 1))],
    ['no signature header', PAYLOAD, { 'webhook-id': ID, 'webhook-timestamp': String(TIMESTAMP) }],
    ['a timestamp that is not a number', PAYLOAD, headers(SIGNATURE, 'soon')],
  ])('refuses %s', async (_what, payload, hdrs) => {
    await expect(verifyWebhook(payload, hdrs, SECRET, { now: NOW })).rejects.toBeInstanceOf(WebhookVerificationError);
  });

  it('refuses a delivery older or newer than the tolerance (a replay)', async () => {
    await expect(verifyWebhook(PAYLOAD, headers(), SECRET, { now: NOW + 301_000 })).rejects.toThrow(/too old/);
    await expect(verifyWebhook(PAYLOAD, headers(), SECRET, { now: NOW - 301_000 })).rejects.toThrow(/future/);
    await expect(verifyWebhook(PAYLOAD, headers(), SECRET, { now: NOW + 3600_000, toleranceSeconds: 7200 })).resolves.toBeDefined();
  });

  it('refuses with another secret', async () => {
    await expect(verifyWebhook(PAYLOAD, headers(), 'whsec_' + btoa('another secret of the endpoint'), { now: NOW })).rejects.toThrow(/matches/);
  });
});
