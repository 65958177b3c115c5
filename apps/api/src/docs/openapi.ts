import * as contracts from '@stratus/contracts';
import { z } from 'zod';

type Method = 'get' | 'post' | 'delete';

interface Route {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  /** Component name of the JSON body, if any. */
  body?: string;
  /** Component name of the response, `Page:<item>` for a list page. */
  response: string;
  status?: number;
  query?: string[];
}

const LIST_QUERY = ['limit', 'order', 'after_id', 'before_id', 'page'];

/** Every public route; the handlers are the source of behaviour, this is the source of the document. */
const ROUTES: Route[] = [
  { method: 'post', path: '/agents', tag: 'Agents', summary: 'Create an agent', body: 'CreateAgentRequest', response: 'Agent', status: 201 },
  { method: 'get', path: '/agents', tag: 'Agents', summary: 'List agents', response: 'Page:Agent', query: [...LIST_QUERY, 'include_archived', 'created_at[gte]', 'created_at[lte]'] },
  { method: 'get', path: '/agents/{id}', tag: 'Agents', summary: 'Get an agent (optionally a past version)', response: 'Agent', query: ['version'] },
  { method: 'post', path: '/agents/{id}', tag: 'Agents', summary: 'Update an agent (creates a new version)', body: 'UpdateAgentRequest', response: 'Agent' },
  { method: 'post', path: '/agents/{id}/archive', tag: 'Agents', summary: 'Archive an agent', response: 'Agent' },
  { method: 'get', path: '/agents/{id}/versions', tag: 'Agents', summary: 'List the versions of an agent', response: 'Page:Agent', query: LIST_QUERY },
  { method: 'post', path: '/environments', tag: 'Environments', summary: 'Create an environment', body: 'CreateEnvironmentRequest', response: 'Environment', status: 201 },
  { method: 'get', path: '/environments', tag: 'Environments', summary: 'List environments', response: 'Page:Environment', query: [...LIST_QUERY, 'include_archived', 'created_at[gte]', 'created_at[lte]'] },
  { method: 'get', path: '/environments/{id}', tag: 'Environments', summary: 'Get an environment', response: 'Environment' },
  { method: 'post', path: '/environments/{id}', tag: 'Environments', summary: 'Update an environment', body: 'UpdateEnvironmentRequest', response: 'Environment' },
  { method: 'post', path: '/environments/{id}/archive', tag: 'Environments', summary: 'Archive an environment', response: 'Environment' },
  { method: 'delete', path: '/environments/{id}', tag: 'Environments', summary: 'Delete an environment (409 while a session uses it)', response: 'EnvironmentDeleted' },
  { method: 'post', path: '/sessions', tag: 'Sessions', summary: 'Create a session', body: 'CreateSessionRequest', response: 'Session', status: 201 },
  { method: 'get', path: '/sessions', tag: 'Sessions', summary: 'List sessions', response: 'Page:Session', query: [...LIST_QUERY, 'agent_id', 'statuses[]', 'include_archived', 'created_at[gte]', 'created_at[lte]'] },
  { method: 'get', path: '/sessions/{id}', tag: 'Sessions', summary: 'Get a session', response: 'Session' },
  { method: 'post', path: '/sessions/{id}', tag: 'Sessions', summary: 'Update a session', body: 'UpdateSessionRequest', response: 'Session' },
  { method: 'post', path: '/sessions/{id}/archive', tag: 'Sessions', summary: 'Archive a session', response: 'Session' },
  { method: 'post', path: '/sessions/{id}/cancel', tag: 'Sessions', summary: 'Cancel the running turn (202), or no-op when idle (200)', response: 'SessionCancelResult', status: 202 },
  { method: 'delete', path: '/sessions/{id}', tag: 'Sessions', summary: 'Delete a session and its events', response: 'SessionDeleted' },
  { method: 'post', path: '/sessions/{id}/events', tag: 'Events', summary: 'Send user events', body: 'SendEventsRequest', response: 'EventList', status: 202 },
  { method: 'get', path: '/sessions/{id}/events', tag: 'Events', summary: 'List the events of a session', response: 'Page:SessionEvent', query: [...LIST_QUERY, 'types[]'] },
  { method: 'post', path: '/webhooks', tag: 'Webhooks', summary: 'Create a webhook (the signing secret is shown once)', body: 'CreateWebhookRequest', response: 'WebhookWithSecret', status: 201 },
  { method: 'get', path: '/webhooks', tag: 'Webhooks', summary: 'List webhooks', response: 'Page:Webhook', query: LIST_QUERY },
  { method: 'get', path: '/webhooks/{id}', tag: 'Webhooks', summary: 'Get a webhook', response: 'Webhook' },
  { method: 'post', path: '/webhooks/{id}', tag: 'Webhooks', summary: 'Update a webhook', body: 'UpdateWebhookRequest', response: 'Webhook' },
  { method: 'post', path: '/webhooks/{id}/rotate_secret', tag: 'Webhooks', summary: 'Rotate the signing secret (the old one signs too for a grace period)', body: 'RotateWebhookSecretRequest', response: 'WebhookWithSecret' },
  { method: 'delete', path: '/webhooks/{id}', tag: 'Webhooks', summary: 'Delete a webhook and its deliveries', response: 'WebhookDeleted' },
  { method: 'get', path: '/webhooks/{id}/deliveries', tag: 'Webhooks', summary: 'List the deliveries of a webhook with their attempts', response: 'Page:WebhookDelivery', query: LIST_QUERY },
  { method: 'post', path: '/vaults', tag: 'Vaults', summary: 'Create a vault', body: 'CreateVaultRequest', response: 'Vault', status: 201 },
  { method: 'get', path: '/vaults', tag: 'Vaults', summary: 'List vaults', response: 'Page:Vault', query: [...LIST_QUERY, 'include_archived'] },
  { method: 'get', path: '/vaults/{id}', tag: 'Vaults', summary: 'Get a vault', response: 'Vault' },
  { method: 'post', path: '/vaults/{id}', tag: 'Vaults', summary: 'Update a vault', body: 'UpdateVaultRequest', response: 'Vault' },
  { method: 'post', path: '/vaults/{id}/archive', tag: 'Vaults', summary: 'Archive a vault', response: 'Vault' },
  { method: 'delete', path: '/vaults/{id}', tag: 'Vaults', summary: 'Delete a vault and its credentials', response: 'VaultDeleted' },
  { method: 'post', path: '/vaults/{id}/credentials', tag: 'Vaults', summary: 'Add a credential (its secret is write-only)', body: 'CreateVaultCredentialRequest', response: 'VaultCredential', status: 201 },
  { method: 'get', path: '/vaults/{id}/credentials', tag: 'Vaults', summary: 'List the credentials of a vault', response: 'Page:VaultCredential', query: [...LIST_QUERY, 'include_archived'] },
  { method: 'get', path: '/vaults/{id}/credentials/{credential_id}', tag: 'Vaults', summary: 'Get a credential (without its secret)', response: 'VaultCredential' },
  { method: 'post', path: '/vaults/{id}/credentials/{credential_id}', tag: 'Vaults', summary: 'Update a credential', body: 'UpdateVaultCredentialRequest', response: 'VaultCredential' },
  { method: 'post', path: '/vaults/{id}/credentials/{credential_id}/archive', tag: 'Vaults', summary: 'Archive a credential', response: 'VaultCredential' },
  { method: 'delete', path: '/vaults/{id}/credentials/{credential_id}', tag: 'Vaults', summary: 'Delete a credential', response: 'VaultCredentialDeleted' },
  { method: 'get', path: '/models', tag: 'Models', summary: 'List the models of this deployment', response: 'ModelList' },
];

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Invalid request',
  '401': 'Missing, invalid or revoked token',
  '403': 'The token lacks a scope',
  '404': 'Not found (or in another workspace)',
  '409': 'Conflict',
  '429': 'Rate limited (see retry-after)',
  '503': 'A dependency is unavailable; retry',
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Request schemas are documented as clients send them (defaults optional), objects as returned. */
function componentSchemas(): Record<string, unknown> {
  const isRequestSide = (id: string) => id.endsWith('Request') || id.endsWith('Input');
  const inputName = (id: string) => (isRequestSide(id) ? id : `${id}Input`);
  const output = z.toJSONSchema(z.globalRegistry, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  const input = z.toJSONSchema(z.globalRegistry, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any', uri: (id) => `#/components/schemas/${inputName(id)}` });
  const schemas: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(output.schemas)) if (!isRequestSide(id)) schemas[id] = schema;
  for (const [id, schema] of Object.entries(input.schemas)) schemas[inputName(id)] = schema;
  const page = (item: string) => ({
    type: 'object',
    required: ['data', 'first_id', 'last_id', 'has_more', 'next_page', 'prev_page'],
    properties: {
      data: { type: 'array', items: ref(item) },
      first_id: { type: ['string', 'null'] },
      last_id: { type: ['string', 'null'] },
      has_more: { type: 'boolean' },
      next_page: { type: ['string', 'null'], description: 'Send back as ?page= for the next page' },
      prev_page: { type: ['string', 'null'] },
    },
  });
  for (const item of ['Agent', 'Environment', 'Session', 'SessionEvent', 'Webhook', 'WebhookDelivery', 'Vault', 'VaultCredential']) schemas[`${item}Page`] = page(item);
  schemas.EventList = { type: 'object', required: ['data'], properties: { data: { type: 'array', items: ref('SessionEvent') } } };
  schemas.ModelList = { type: 'object', required: ['data'], properties: { data: { type: 'array', items: ref('Model') } } };
  return schemas;
}

function operation(route: Route) {
  const responseName = route.response.startsWith('Page:') ? `${route.response.slice(5)}Page` : route.response;
  const parameters = [
    ...[...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...(route.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: name.endsWith('[]') ? { type: 'array', items: { type: 'string' } } : { type: 'string' } })),
    { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } },
  ].filter((p) => p.in !== 'header' || route.method !== 'get');
  const errors = Object.fromEntries(Object.entries(ERROR_STATUSES).map(([status, description]) => [status, { description, content: { 'application/json': { schema: ref('Error') } } }]));
  return {
    tags: [route.tag],
    summary: route.summary,
    operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/\/(\w)/g, (_, c: string) => c.toUpperCase())}`,
    parameters,
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(route.body) } } } } : {}),
    responses: { [String(route.status ?? 200)]: { description: 'OK', content: { 'application/json': { schema: ref(responseName) } } }, ...errors },
  };
}

/** The OpenAPI 3.1 document of the public API, generated from the contracts' zod schemas. */
export function buildOpenApiDocument(): Record<string, unknown> {
  // The import keeps every contract schema registered before the registry is read.
  void contracts;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) (paths[route.path] ??= {})[route.method] = operation(route);
  paths['/sessions/{id}/events/stream'] = {
    get: {
      tags: ['Events'],
      summary: 'Stream the events of a session (Server-Sent Events): history, then live',
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } },
        { name: 'last_event_id', in: 'query', required: false, schema: { type: 'string' } },
        { name: 'event_deltas[]', in: 'query', required: false, schema: { type: 'array', items: { type: 'string', enum: ['agent.message', 'agent.thinking'] } } },
      ],
      responses: { '200': { description: 'text/event-stream of `id:`/`event:`/`data:` frames', content: { 'text/event-stream': { schema: { type: 'string' } } } } },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Stratus API',
      version: '1.0.0',
      description: 'The public API of Stratus, compatible with Qoder Cloud Agents\' managed API. Authenticate with `Authorization: Bearer pt-…`.',
    },
    servers: [{ url: '/api/v1/cloud' }],
    security: [{ bearer: [] }],
    tags: ['Agents', 'Environments', 'Sessions', 'Events', 'Vaults', 'Models'].map((name) => ({ name })),
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: componentSchemas() },
  };
}
