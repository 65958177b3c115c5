import { parseCpuQuantity, parseMemoryQuantity } from './cgroups';

describe('Kubernetes-style quantities', () => {
  it('turns memory quantities into bytes', () => {
    expect(parseMemoryQuantity('256Mi')).toBe(256 * 2 ** 20);
    expect(parseMemoryQuantity('2Gi')).toBe(2 * 2 ** 30);
    expect(parseMemoryQuantity('500M')).toBe(500e6);
    expect(parseMemoryQuantity('1024')).toBe(1024);
    expect(parseMemoryQuantity('lots')).toBeUndefined();
  });

  it('turns CPU quantities into thousandths of a CPU', () => {
    expect(parseCpuQuantity('500m')).toBe(500);
    expect(parseCpuQuantity('1.5')).toBe(1500);
    expect(parseCpuQuantity('2')).toBe(2000);
    expect(parseCpuQuantity('fast')).toBeUndefined();
  });
});
