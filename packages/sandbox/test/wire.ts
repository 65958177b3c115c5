import { parse } from 'yaml';

/**
 * An object as it goes over the wire: @kubernetes/client-node's models name a few fields differently
 * (`_from` for `from`), and its serializer is what turns them into the API's JSON. dumpYaml runs it.
 */
export async function toWire<T>(object: T): Promise<Record<string, any>> {
  const { dumpYaml } = await import('@kubernetes/client-node');
  return parse(dumpYaml(object)) as Record<string, any>;
}

/** Throws the schema errors if the object does not validate against the Kubernetes OpenAPI schema. */
export async function validateAgainstSchema(wire: Record<string, any>): Promise<void> {
  const models: Record<string, () => Promise<{ validate(): void }>> = {
    Job: async () => new (await import('kubernetes-models/batch/v1/Job')).Job(wire as never),
    Secret: async () => new (await import('kubernetes-models/v1/Secret')).Secret(wire as never),
    NetworkPolicy: async () => new (await import('kubernetes-models/networking.k8s.io/v1/NetworkPolicy')).NetworkPolicy(wire as never),
  };
  const make = models[wire.kind as string];
  if (make === undefined) throw new Error(`no schema for ${String(wire.kind)}`);
  (await make()).validate();
}
