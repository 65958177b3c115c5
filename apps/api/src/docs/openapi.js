"use strict";
var __assign = (this && this.__assign) || function () {
    __assign = Object.assign || function(t) {
        for (var s, i = 1, n = arguments.length; i < n; i++) {
            s = arguments[i];
            for (var p in s) if (Object.prototype.hasOwnProperty.call(s, p))
                t[p] = s[p];
        }
        return t;
    };
    return __assign.apply(this, arguments);
};
var __spreadArray = (this && this.__spreadArray) || function (to, from, pack) {
    if (pack || arguments.length === 2) for (var i = 0, l = from.length, ar; i < l; i++) {
        if (ar || !(i in from)) {
            if (!ar) ar = Array.prototype.slice.call(from, 0, i);
            ar[i] = from[i];
        }
    }
    return to.concat(ar || Array.prototype.slice.call(from));
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.buildOpenApiDocument = buildOpenApiDocument;
var contracts = require("@stratus/contracts");
var zod_1 = require("zod");
var LIST_QUERY = ['limit', 'order', 'after_id', 'before_id', 'page'];
/** Every public route; the handlers are the source of behaviour, this is the source of the document. */
var ROUTES = [
    { method: 'post', path: '/agents', tag: 'Agents', summary: 'Create an agent', body: 'CreateAgentRequest', response: 'Agent', status: 201 },
    { method: 'get', path: '/agents', tag: 'Agents', summary: 'List agents', response: 'Page:Agent', query: __spreadArray(__spreadArray([], LIST_QUERY, true), ['include_archived', 'created_at[gte]', 'created_at[lte]'], false) },
    { method: 'get', path: '/agents/{id}', tag: 'Agents', summary: 'Get an agent (optionally a past version)', response: 'Agent', query: ['version'] },
    { method: 'post', path: '/agents/{id}', tag: 'Agents', summary: 'Update an agent (creates a new version)', body: 'UpdateAgentRequest', response: 'Agent' },
    { method: 'post', path: '/agents/{id}/archive', tag: 'Agents', summary: 'Archive an agent', response: 'Agent' },
    { method: 'get', path: '/agents/{id}/versions', tag: 'Agents', summary: 'List the versions of an agent', response: 'Page:Agent', query: LIST_QUERY },
    { method: 'post', path: '/environments', tag: 'Environments', summary: 'Create an environment', body: 'CreateEnvironmentRequest', response: 'Environment', status: 201 },
    { method: 'get', path: '/environments', tag: 'Environments', summary: 'List environments', response: 'Page:Environment', query: __spreadArray(__spreadArray([], LIST_QUERY, true), ['include_archived', 'created_at[gte]', 'created_at[lte]'], false) },
    { method: 'get', path: '/environments/{id}', tag: 'Environments', summary: 'Get an environment', response: 'Environment' },
    { method: 'post', path: '/environments/{id}', tag: 'Environments', summary: 'Update an environment', body: 'UpdateEnvironmentRequest', response: 'Environment' },
    { method: 'post', path: '/environments/{id}/archive', tag: 'Environments', summary: 'Archive an environment', response: 'Environment' },
    { method: 'delete', path: '/environments/{id}', tag: 'Environments', summary: 'Delete an environment (409 while a session uses it)', response: 'EnvironmentDeleted' },
    { method: 'post', path: '/sessions', tag: 'Sessions', summary: 'Create a session', body: 'CreateSessionRequest', response: 'Session', status: 201 },
    { method: 'get', path: '/sessions', tag: 'Sessions', summary: 'List sessions', response: 'Page:Session', query: __spreadArray(__spreadArray([], LIST_QUERY, true), ['agent_id', 'statuses[]', 'include_archived', 'created_at[gte]', 'created_at[lte]'], false) },
    { method: 'get', path: '/sessions/{id}', tag: 'Sessions', summary: 'Get a session', response: 'Session' },
    { method: 'post', path: '/sessions/{id}', tag: 'Sessions', summary: 'Update a session', body: 'UpdateSessionRequest', response: 'Session' },
    { method: 'post', path: '/sessions/{id}/archive', tag: 'Sessions', summary: 'Archive a session', response: 'Session' },
    { method: 'post', path: '/sessions/{id}/cancel', tag: 'Sessions', summary: 'Cancel the running turn (202), or no-op when idle (200)', response: 'SessionCancelResult', status: 202 },
    { method: 'delete', path: '/sessions/{id}', tag: 'Sessions', summary: 'Delete a session and its events', response: 'SessionDeleted' },
    { method: 'post', path: '/sessions/{id}/events', tag: 'Events', summary: 'Send user events', body: 'SendEventsRequest', response: 'EventList', status: 202 },
    { method: 'get', path: '/sessions/{id}/events', tag: 'Events', summary: 'List the events of a session', response: 'Page:SessionEvent', query: __spreadArray(__spreadArray([], LIST_QUERY, true), ['types[]'], false) },
    { method: 'get', path: '/models', tag: 'Models', summary: 'List the models of this deployment', response: 'ModelList' },
];
var ERROR_STATUSES = {
    '400': 'Invalid request',
    '401': 'Missing, invalid or revoked token',
    '403': 'The token lacks a scope',
    '404': 'Not found (or in another workspace)',
    '409': 'Conflict',
    '429': 'Rate limited (see retry-after)',
    '503': 'A dependency is unavailable; retry',
};
var ref = function (name) { return ({ $ref: "#/components/schemas/".concat(name) }); };
/** Request schemas are documented as clients send them (defaults optional), objects as returned. */
function componentSchemas() {
    var isRequestSide = function (id) { return id.endsWith('Request') || id.endsWith('Input'); };
    var inputName = function (id) { return (isRequestSide(id) ? id : "".concat(id, "Input")); };
    var output = zod_1.z.toJSONSchema(zod_1.z.globalRegistry, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', uri: function (id) { return "#/components/schemas/".concat(id); } });
    var input = zod_1.z.toJSONSchema(zod_1.z.globalRegistry, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any', uri: function (id) { return "#/components/schemas/".concat(inputName(id)); } });
    var schemas = {};
    for (var _i = 0, _a = Object.entries(output.schemas); _i < _a.length; _i++) {
        var _b = _a[_i], id = _b[0], schema = _b[1];
        if (!isRequestSide(id))
            schemas[id] = schema;
    }
    for (var _c = 0, _d = Object.entries(input.schemas); _c < _d.length; _c++) {
        var _e = _d[_c], id = _e[0], schema = _e[1];
        schemas[inputName(id)] = schema;
    }
    var page = function (item) { return ({
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
    }); };
    for (var _f = 0, _g = ['Agent', 'Environment', 'Session', 'SessionEvent']; _f < _g.length; _f++) {
        var item = _g[_f];
        schemas["".concat(item, "Page")] = page(item);
    }
    schemas.EventList = { type: 'object', required: ['data'], properties: { data: { type: 'array', items: ref('SessionEvent') } } };
    schemas.ModelList = { type: 'object', required: ['data'], properties: { data: { type: 'array', items: ref('Model') } } };
    return schemas;
}
function operation(route) {
    var _a;
    var _b, _c;
    var responseName = route.response.startsWith('Page:') ? "".concat(route.response.slice(5), "Page") : route.response;
    var parameters = __spreadArray(__spreadArray(__spreadArray([], (route.path.includes('{id}') ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }] : []), true), ((_b = route.query) !== null && _b !== void 0 ? _b : []).map(function (name) { return ({ name: name, in: 'query', required: false, schema: name.endsWith('[]') ? { type: 'array', items: { type: 'string' } } : { type: 'string' } }); }), true), [
        { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } },
    ], false).filter(function (p) { return p.in !== 'header' || route.method !== 'get'; });
    var errors = Object.fromEntries(Object.entries(ERROR_STATUSES).map(function (_a) {
        var status = _a[0], description = _a[1];
        return [status, { description: description, content: { 'application/json': { schema: ref('Error') } } }];
    }));
    return __assign(__assign({ tags: [route.tag], summary: route.summary, operationId: "".concat(route.method).concat(route.path.replace(/[{}]/g, '').replace(/\/(\w)/g, function (_, c) { return c.toUpperCase(); })), parameters: parameters }, (route.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(route.body) } } } } : {})), { responses: __assign((_a = {}, _a[String((_c = route.status) !== null && _c !== void 0 ? _c : 200)] = { description: 'OK', content: { 'application/json': { schema: ref(responseName) } } }, _a), errors) });
}
/** The OpenAPI 3.1 document of the public API, generated from the contracts' zod schemas. */
function buildOpenApiDocument() {
    var _a;
    var _b;
    // The import keeps every contract schema registered before the registry is read.
    void contracts;
    var paths = {};
    for (var _i = 0, ROUTES_1 = ROUTES; _i < ROUTES_1.length; _i++) {
        var route = ROUTES_1[_i];
        ((_a = paths[_b = route.path]) !== null && _a !== void 0 ? _a : (paths[_b] = {}))[route.method] = operation(route);
    }
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
        tags: ['Agents', 'Environments', 'Sessions', 'Events', 'Models'].map(function (name) { return ({ name: name }); }),
        paths: paths,
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: componentSchemas() },
    };
}
