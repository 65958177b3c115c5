import { parseGatewayEnv } from './gateway-env';

describe('parseGatewayEnv', () => {
  it('has defaults that work on a laptop', () => {
    expect(parseGatewayEnv({})).toEqual({
      GATEWAY_HEARTBEAT_INTERVAL_MS: 15_000,
      GATEWAY_CONNECTION_BUFFER_BYTES: 1_048_576,
      GATEWAY_RECONCILE_INTERVAL_MS: 15_000,
      GATEWAY_RETRY_MS: 1000,
      GATEWAY_MAX_STREAMS_PER_TOKEN: 100,
      GATEWAY_MAX_STREAMS: 10_000,
      GATEWAY_DRAIN_DELAY_MS: 5000,
    });
    expect(parseGatewayEnv({ GATEWAY_HEARTBEAT_INTERVAL_MS: '250' }).GATEWAY_HEARTBEAT_INTERVAL_MS).toBe(250);
  });

  it('fails naming every bad variable', () => {
    expect(() => parseGatewayEnv({ GATEWAY_HEARTBEAT_INTERVAL_MS: 'often', GATEWAY_CONNECTION_BUFFER_BYTES: '10' })).toThrow(
      /invalid configuration:\n {2}GATEWAY_HEARTBEAT_INTERVAL_MS: .*\n {2}GATEWAY_CONNECTION_BUFFER_BYTES: /,
    );
  });
});
