import { queueDashboardConfig } from './queue-dashboard.config';

describe('queueDashboardConfig', () => {
  it('is off, and read-only once on, unless told otherwise', () => {
    expect(queueDashboardConfig({})).toEqual({ enabled: false, readOnly: true });
    expect(queueDashboardConfig({ STRATUS_QUEUE_DASHBOARD: 'true' })).toEqual({ enabled: true, readOnly: true });
    expect(queueDashboardConfig({ STRATUS_QUEUE_DASHBOARD: '1', STRATUS_QUEUE_DASHBOARD_READ_ONLY: 'false' })).toEqual({ enabled: true, readOnly: false });
  });

  it('refuses a value that is not a boolean, naming the variable', () => {
    expect(() => queueDashboardConfig({ STRATUS_QUEUE_DASHBOARD: 'yes' })).toThrow(/^invalid configuration:\n {2}STRATUS_QUEUE_DASHBOARD: /);
    expect(() => queueDashboardConfig({ STRATUS_QUEUE_DASHBOARD_READ_ONLY: 'no' })).toThrow(/STRATUS_QUEUE_DASHBOARD_READ_ONLY/);
  });
});
