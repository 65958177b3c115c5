import { randomUUID } from 'node:crypto';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { failures } from './status';

/** ObjectMeta as stored. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generation?: number;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  finalizers?: string[];
}

/** A stored Kubernetes object; fields beyond metadata are whatever the kind has. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type ResourceName = 'pods' | 'secrets' | 'jobs' | 'networkpolicies' | 'services';

export interface ResourceType {
  resource: ResourceName;
  group: string;
  version: string;
  kind: string;
  /** The propagation policy a DELETE without one gets (batch/v1 Jobs orphan their pods). */
  defaultPropagation: 'Orphan' | 'Background';
  /** Schema validation against the Kubernetes OpenAPI definitions (kubernetes-models); throws their ValidationError. */
  validateSchema(object: unknown): void;
  /** The API server's own validation beyond the schema; returns the problems. */
  validate?(object: KubeObject, previous?: KubeObject): { field: string; message: string }[];
  /** Defaults and generated fields applied on create. */
  defaults?(object: KubeObject): void;
}

export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Validation every object gets: its name, label keys and values, annotation keys. */
export function validateMetadata(object: KubeObject, nameMaxLength = 253): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const name = object.metadata.name;
  if (!DNS_SUBDOMAIN.test(name) || name.length > nameMaxLength) {
    problems.push({ field: 'metadata.name', message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (at most ${nameMaxLength} characters)` });
  }
  const validKey = (key: string) => {
    const [prefix, rest] = key.includes('/') ? [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)] : [undefined, key];
    return (prefix === undefined || (DNS_SUBDOMAIN.test(prefix) && prefix.length <= 253)) && rest.length <= 63 && QUALIFIED_NAME.test(rest);
  };
  for (const [key, value] of Object.entries(object.metadata.labels ?? {})) {
    if (!validKey(key)) problems.push({ field: `metadata.labels`, message: `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.'` });
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      problems.push({ field: `metadata.labels`, message: `Invalid value: "${String(value)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63 characters)` });
    }
  }
  for (const key of Object.keys(object.metadata.annotations ?? {})) {
    if (!validKey(key)) problems.push({ field: 'metadata.annotations', message: `Invalid value: "${key}": name part must consist of alphanumeric characters` });
  }
  return problems;
}

interface PodSpecLike {
  containers?: { name?: string }[];
  initContainers?: { name?: string }[];
  volumes?: { name?: string }[];
  restartPolicy?: string;
}

function validatePodSpec(spec: PodSpecLike | undefined, at: string): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const names = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.name ?? '');
  for (const [i, name] of names.entries()) {
    if (!DNS_LABEL.test(name)) problems.push({ field: `${at}.containers[${i}].name`, message: `Invalid value: "${name}"` });
    if (names.indexOf(name) !== i) problems.push({ field: `${at}.containers[${i}].name`, message: `Duplicate value: "${name}"` });
  }
  if ((spec?.containers ?? []).length === 0) problems.push({ field: `${at}.containers`, message: 'Required value' });
  const dns = spec as { dnsPolicy?: string; dnsConfig?: { nameservers?: string[] } } | undefined;
  if (dns?.dnsPolicy === 'None' && (dns.dnsConfig?.nameservers ?? []).length === 0) {
    problems.push({ field: `${at}.dnsConfig.nameservers`, message: 'Required value: must provide at least one DNS nameserver when `dnsPolicy` is None' });
  }
  const volumes = new Set((spec?.volumes ?? []).map((v) => v.name));
  const containers = [...((spec as { containers?: { volumeMounts?: { name: string }[] }[] })?.containers ?? []), ...((spec as { initContainers?: { volumeMounts?: { name: string }[] }[] })?.initContainers ?? [])];
  for (const container of containers) {
    for (const mount of container.volumeMounts ?? []) {
      if (!volumes.has(mount.name)) problems.push({ field: `${at}.containers.volumeMounts.name`, message: `Not found: "${mount.name}"` });
    }
  }
  return problems;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const jobs: ResourceType = {
  resource: 'jobs',
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  defaultPropagation: 'Orphan',
  validateSchema: (object) => new Job(object as ConstructorParameters<typeof Job>[0]).validate(),
  validate(object, previous) {
    // The Job controller puts the Job's name into a label of its pods, so it must be a label value too.
    const problems = validateMetadata(object, 63);
    const spec = object.spec as { template?: { spec?: PodSpecLike }; selector?: unknown } | undefined;
    const restartPolicy = spec?.template?.spec?.restartPolicy;
    if (restartPolicy !== 'Never' && restartPolicy !== 'OnFailure') {
      problems.push({ field: 'spec.template.spec.restartPolicy', message: `Required value: valid values: "OnFailure", "Never" (got ${JSON.stringify(restartPolicy)})` });
    }
    problems.push(...validatePodSpec(spec?.template?.spec, 'spec.template.spec'));
    if (previous !== undefined) {
      const before = previous.spec as { template?: unknown; selector?: unknown };
      if (!deepEqual(before.template, spec?.template)) problems.push({ field: 'spec.template', message: 'Invalid value: field is immutable' });
      if (!deepEqual(before.selector, spec?.selector)) problems.push({ field: 'spec.selector', message: 'Invalid value: field is immutable' });
    }
    return problems;
  },
  defaults(object) {
    const uid = object.metadata.uid;
    const spec = (object.spec ??= {}) as Record<string, unknown> & { template: { metadata?: { labels?: Record<string, string> } } };
    spec.backoffLimit ??= 6;
    spec.completions ??= 1;
    spec.parallelism ??= 1;
    spec.completionMode ??= 'NonIndexed';
    spec.suspend ??= false;
    spec.manualSelector ??= false;
    spec.podReplacementPolicy ??= 'TerminatingOrFailed';
    const controllerLabels = {
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': object.metadata.name,
      'controller-uid': uid,
      'job-name': object.metadata.name,
    };
    spec.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    spec.template.metadata = { ...spec.template.metadata, labels: { ...spec.template.metadata?.labels, ...controllerLabels } };
    object.status = {};
  },
};

const pods: ResourceType = {
  resource: 'pods',
  group: '',
  version: 'v1',
  kind: 'Pod',
  defaultPropagation: 'Background',
  validateSchema: (object) => new Pod(object as ConstructorParameters<typeof Pod>[0]).validate(),
  validate: (object) => [...validateMetadata(object), ...validatePodSpec(object.spec as PodSpecLike, 'spec')],
  defaults(object) {
    const spec = object.spec as Record<string, unknown>;
    spec.restartPolicy ??= 'Always';
    spec.dnsPolicy ??= 'ClusterFirst';
    spec.schedulerName ??= 'default-scheduler';
    spec.terminationGracePeriodSeconds ??= 30;
    spec.serviceAccountName ??= 'default';
    object.status = { phase: 'Pending', qosClass: 'Guaranteed' };
  },
};

const secrets: ResourceType = {
  resource: 'secrets',
  group: '',
  version: 'v1',
  kind: 'Secret',
  defaultPropagation: 'Background',
  validateSchema: (object) => new Secret(object as ConstructorParameters<typeof Secret>[0]).validate(),
  validate(object, previous) {
    const problems = validateMetadata(object);
    for (const [key, value] of Object.entries((object.data as Record<string, string> | undefined) ?? {})) {
      if (Buffer.from(value, 'base64').toString('base64') !== value) problems.push({ field: `data[${key}]`, message: 'Invalid value: not base64' });
    }
    if (previous?.immutable === true && (!deepEqual(previous.data, object.data) || object.immutable !== true)) {
      problems.push({ field: 'data', message: 'Forbidden: field is immutable when `immutable` is set' });
    }
    return problems;
  },
  defaults(object) {
    object.type ??= 'Opaque';
  },
};

const networkPolicies: ResourceType = {
  resource: 'networkpolicies',
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  defaultPropagation: 'Background',
  validateSchema: (object) => new NetworkPolicy(object as ConstructorParameters<typeof NetworkPolicy>[0]).validate(),
  validate: (object) => validateMetadata(object),
};

let nextClusterIp = 1;

const services: ResourceType = {
  resource: 'services',
  group: '',
  version: 'v1',
  kind: 'Service',
  defaultPropagation: 'Background',
  validateSchema: (object) => new Service(object as ConstructorParameters<typeof Service>[0]).validate(),
  validate: (object) => validateMetadata(object, 63),
  defaults(object) {
    // A ClusterIP from the service range, as the API server allocates one.
    const spec = ((object.spec as Record<string, unknown> | undefined) ?? {}) as { clusterIP?: string; type?: string };
    spec.type ??= 'ClusterIP';
    if (spec.clusterIP === undefined) {
      spec.clusterIP = `10.96.${Math.floor(nextClusterIp / 250)}.${(nextClusterIp % 250) + 1}`;
      nextClusterIp += 1;
    }
    object.spec = spec;
  },
};

export const RESOURCE_TYPES: Readonly<Record<ResourceName, ResourceType>> = { jobs, pods, secrets, networkpolicies: networkPolicies, services };

/** stringData is write-only: the API server merges it into data, base64-encoded. */
export function normalizeSecret(object: KubeObject): void {
  if (object.kind !== 'Secret' || object.stringData === undefined) return;
  const data = { ...((object.data as Record<string, string> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(object.stringData as Record<string, string>)) data[key] = Buffer.from(value, 'utf8').toString('base64');
  object.data = data;
  delete object.stringData;
}

/** Validates an object for create or update: schema first (kubernetes-models), then the server's own rules. */
export function validateObject(type: ResourceType, object: KubeObject, previous?: KubeObject): void {
  try {
    type.validateSchema(object);
  } catch (error) {
    const errors = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
    const causes = errors?.map((e) => ({ field: e.instancePath.replace(/^\//, '').replace(/\//g, '.'), message: e.message ?? 'invalid' })) ?? [
      { message: (error as Error).message },
    ];
    throw failures.invalid(type.kind, type.group, object.metadata.name, causes);
  }
  const problems = type.validate?.(object, previous) ?? [];
  if (problems.length > 0) throw failures.invalid(type.kind, type.group, object.metadata.name, problems);
}

export function newUid(): string {
  return randomUUID();
}
