/** A Kubernetes `Status` object: what the API server answers with instead of an object on errors. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: { reason: string; message: string; field?: string }[] };
  code: number;
}

/** An error the server turns into a Status response. */
export class KubeApiFailure extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: KubeStatus['details'],
  ) {
    super(message);
  }

  toStatus(): KubeStatus {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, details: this.details, code: this.code };
  }
}

/** The `<resource>.<group>` a Kubernetes error message names a resource by ("jobs.batch", "pods"). */
export function qualified(resource: string, group: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

export const failures = {
  notFound: (resource: string, group: string, name: string) =>
    new KubeApiFailure(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, { name, group, kind: resource }),
  alreadyExists: (resource: string, group: string, name: string) =>
    new KubeApiFailure(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, { name, group, kind: resource }),
  conflict: (resource: string, group: string, name: string) =>
    new KubeApiFailure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group, kind: resource },
    ),
  invalid: (kind: string, group: string, name: string, causes: { message: string; field?: string }[]) =>
    new KubeApiFailure(
      422,
      'Invalid',
      `${group === '' ? kind : `${kind}.${group}`} "${name}" is invalid: ${causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')}`,
      { name, group, kind, causes: causes.map((c) => ({ reason: 'FieldValueInvalid', ...c })) },
    ),
  badRequest: (message: string) => new KubeApiFailure(400, 'BadRequest', message),
  unauthorized: () => new KubeApiFailure(401, 'Unauthorized', 'Unauthorized'),
  methodNotAllowed: (method: string) => new KubeApiFailure(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`),
  unsupportedMediaType: (type: string) => new KubeApiFailure(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (got ${type})`),
  expired: (resourceVersion: string) => new KubeApiFailure(410, 'Expired', `too old resource version: ${resourceVersion}`),
};
