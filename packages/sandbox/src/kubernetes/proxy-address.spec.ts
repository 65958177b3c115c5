import { proxyServiceOf } from './proxy-address';

describe('proxyServiceOf', () => {
  it('reads the Service out of every in-cluster spelling, the control namespace by default', () => {
    expect(proxyServiceOf('http://stratus-egress-proxy:3128', 'stratus')).toEqual({ name: 'stratus-egress-proxy', namespace: 'stratus' });
    expect(proxyServiceOf('http://proxy.agents:3128', 'stratus')).toEqual({ name: 'proxy', namespace: 'agents' });
    expect(proxyServiceOf('http://proxy.agents.svc:3128', 'stratus')).toEqual({ name: 'proxy', namespace: 'agents' });
    expect(proxyServiceOf('http://proxy.agents.svc.cluster.local:3128', 'stratus')).toEqual({ name: 'proxy', namespace: 'agents' });
  });

  it('leaves IP addresses alone and refuses names that are not Services', () => {
    expect(proxyServiceOf('http://10.96.0.10:3128', 'stratus')).toBeUndefined();
    expect(proxyServiceOf('http://[fd00::10]:3128', 'stratus')).toBeUndefined();
    expect(() => proxyServiceOf('http://proxy.example.com:3128', 'stratus')).toThrow('neither an IP address nor a Service name');
  });
});
