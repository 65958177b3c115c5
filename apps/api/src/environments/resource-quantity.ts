/**
 * Kubernetes quantities as numbers, for comparing an environment's resources with the configured
 * maximum: CPU in cores ("500m" = 0.5), memory in bytes ("2Gi"). The contract's regexes decide what
 * is well-formed; these return undefined for anything else.
 */
const MEMORY_UNITS: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

export function cpuCores(quantity: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)(m?)$/.exec(quantity.trim());
  if (!match) return undefined;
  return Number(match[1]) / (match[2] === 'm' ? 1000 : 1);
}

export function memoryBytes(quantity: string): number | undefined {
  const match = /^([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(quantity.trim());
  if (!match) return undefined;
  return Number(match[1]) * MEMORY_UNITS[match[2] ?? '']!;
}
