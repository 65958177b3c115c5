"use strict";
var __awaiter = (this && this.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
var __generator = (this && this.__generator) || function (thisArg, body) {
    var _ = { label: 0, sent: function() { if (t[0] & 1) throw t[1]; return t[1]; }, trys: [], ops: [] }, f, y, t, g = Object.create((typeof Iterator === "function" ? Iterator : Object).prototype);
    return g.next = verb(0), g["throw"] = verb(1), g["return"] = verb(2), typeof Symbol === "function" && (g[Symbol.iterator] = function() { return this; }), g;
    function verb(n) { return function (v) { return step([n, v]); }; }
    function step(op) {
        if (f) throw new TypeError("Generator is already executing.");
        while (g && (g = 0, op[0] && (_ = 0)), _) try {
            if (f = 1, y && (t = op[0] & 2 ? y["return"] : op[0] ? y["throw"] || ((t = y["return"]) && t.call(y), 0) : y.next) && !(t = t.call(y, op[1])).done) return t;
            if (y = 0, t) op = [op[0] & 2, t.value];
            switch (op[0]) {
                case 0: case 1: t = op; break;
                case 4: _.label++; return { value: op[1], done: false };
                case 5: _.label++; y = op[1]; op = [0]; continue;
                case 7: op = _.ops.pop(); _.trys.pop(); continue;
                default:
                    if (!(t = _.trys, t = t.length > 0 && t[t.length - 1]) && (op[0] === 6 || op[0] === 2)) { _ = 0; continue; }
                    if (op[0] === 3 && (!t || (op[1] > t[0] && op[1] < t[3]))) { _.label = op[1]; break; }
                    if (op[0] === 6 && _.label < t[1]) { _.label = t[1]; t = op; break; }
                    if (t && _.label < t[2]) { _.label = t[2]; _.ops.push(op); break; }
                    if (t[2]) _.ops.pop();
                    _.trys.pop(); continue;
            }
            op = body.call(thisArg, _);
        } catch (e) { op = [6, e]; y = 0; } finally { f = t = 0; }
        if (op[0] & 5) throw op[1]; return { value: op[0] ? op[1] : void 0, done: true };
    }
};
Object.defineProperty(exports, "__esModule", { value: true });
var harness_1 = require("./harness");
var api;
beforeAll(function () { return __awaiter(void 0, void 0, void 0, function () {
    return __generator(this, function (_a) {
        switch (_a.label) {
            case 0: return [4 /*yield*/, (0, harness_1.startTestApi)()];
            case 1:
                api = _a.sent();
                return [2 /*return*/];
        }
    });
}); });
afterAll(function () { return api.close(); });
describe('agents', function () {
    it('creates an agent with defaults and reads it back', function () { return __awaiter(void 0, void 0, void 0, function () {
        var created, read;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)({ tools: [{ type: 'agent_toolset_20260401' }] }) })];
                case 1:
                    created = _a.sent();
                    expect(created.status).toBe(201);
                    expect(created.body).toMatchObject({
                        type: 'agent',
                        name: 'helper',
                        model: 'stratus-demo',
                        description: '',
                        system: 'Be brief.',
                        tools: [{ type: 'agent_toolset_20260401', enabled_tools: [], permission_policy: 'always_allow' }],
                        mcp_servers: [],
                        metadata: {},
                        version: 1,
                        archived_at: null,
                    });
                    expect(created.body.id).toMatch(/^agent_[0-9a-f]{32}$/);
                    return [4 /*yield*/, api.request('GET', "/agents/".concat(created.body.id))];
                case 2:
                    read = _a.sent();
                    expect(read.status).toBe(200);
                    expect(read.body).toEqual(created.body);
                    return [2 /*return*/];
            }
        });
    }); });
    it('accepts the model as {id} and every tool kind', function () { return __awaiter(void 0, void 0, void 0, function () {
        var created;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', {
                        body: {
                            name: 'full',
                            model: { id: 'stratus-demo' },
                            tools: [
                                { type: 'agent_toolset_20260401', enabled_tools: ['Bash', 'Read'], permission_policy: 'always_ask' },
                                { type: 'custom', name: 'lookup', description: 'Looks up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } },
                                { type: 'mcp_toolset', mcp_server_name: 'weather' },
                            ],
                            mcp_servers: [{ type: 'url', name: 'weather', url: 'https://mcp.example.com/mcp' }],
                            metadata: { team: 'a' },
                        },
                    })];
                case 1:
                    created = _a.sent();
                    expect(created.status).toBe(201);
                    expect(created.body.model).toBe('stratus-demo');
                    expect(created.body.tools).toHaveLength(3);
                    return [2 /*return*/];
            }
        });
    }); });
    it.each([
        [{ model: 'no-such-model' }, 'model'],
        [{ name: '' }, 'name'],
        [{ name: 'x'.repeat(257) }, 'name'],
        [{ description: 'x'.repeat(2049) }, 'description'],
        [{ tools: [{ type: 'agent_toolset_20260401', enabled_tools: ['Teleport'] }] }, 'tools.0.enabled_tools.0'],
        [{ tools: [{ type: 'nope' }] }, 'tools.0.type'],
        [{ tools: [{ type: 'mcp_toolset', mcp_server_name: 'missing' }] }, 'tools.0.mcp_server_name'],
        [{ metadata: Object.fromEntries(Array.from({ length: 17 }, function (_, i) { return ["k".concat(i), 'v']; })) }, 'metadata'],
        [{ metadata: { k: 'v'.repeat(513) } }, 'metadata.k'],
        [{ unknown_field: 1 }, 'unknown_field'],
        [{ mcp_servers: [{ type: 'url', name: 'a', url: 'not a url' }] }, 'mcp_servers.0.url'],
    ])('rejects %j with a 400 naming %s, storing nothing', function (overrides, param) { return __awaiter(void 0, void 0, void 0, function () {
        var before, reply, after;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, api.request('GET', '/agents?limit=100&include_archived=true')];
                case 1:
                    before = _a.sent();
                    return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)(overrides) })];
                case 2:
                    reply = _a.sent();
                    (0, harness_1.expectError)(reply, 400, 'invalid_request_error', param);
                    return [4 /*yield*/, api.request('GET', '/agents?limit=100&include_archived=true')];
                case 3:
                    after = _a.sent();
                    expect(after.body.data.length).toBe(before.body.data.length);
                    return [2 /*return*/];
            }
        });
    }); });
    it('versions on update, keeps old versions readable, and lists versions', function () { return __awaiter(void 0, void 0, void 0, function () {
        var agent, v2, same, v1, _a, versions, _b, _c;
        return __generator(this, function (_d) {
            switch (_d.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
                case 1:
                    agent = (_d.sent()).body;
                    return [4 /*yield*/, api.request('POST', "/agents/".concat(agent.id), { body: { version: 1, system: 'Be thorough.' } })];
                case 2:
                    v2 = _d.sent();
                    expect(v2.status).toBe(200);
                    expect(v2.body).toMatchObject({ version: 2, system: 'Be thorough.', name: 'helper' });
                    return [4 /*yield*/, api.request('POST', "/agents/".concat(agent.id), { body: { system: 'Be thorough.' } })];
                case 3:
                    same = _d.sent();
                    expect(same.body.version).toBe(2);
                    return [4 /*yield*/, api.request('GET', "/agents/".concat(agent.id, "?version=1"))];
                case 4:
                    v1 = _d.sent();
                    expect(v1.body).toMatchObject({ version: 1, system: 'Be brief.' });
                    _a = expect;
                    return [4 /*yield*/, api.request('GET', "/agents/".concat(agent.id))];
                case 5:
                    _a.apply(void 0, [(_d.sent()).body.version]).toBe(2);
                    return [4 /*yield*/, api.request('GET', "/agents/".concat(agent.id, "/versions"))];
                case 6:
                    versions = _d.sent();
                    expect(versions.body.data.map(function (a) { return a.version; })).toEqual([2, 1]);
                    _b = harness_1.expectError;
                    return [4 /*yield*/, api.request('GET', "/agents/".concat(agent.id, "?version=9"))];
                case 7:
                    _b.apply(void 0, [_d.sent(), 404, 'not_found_error', 'version']);
                    _c = harness_1.expectError;
                    return [4 /*yield*/, api.request('GET', "/agents/".concat(agent.id, "?version=zero"))];
                case 8:
                    _c.apply(void 0, [_d.sent(), 400, 'invalid_request_error', 'version']);
                    return [2 /*return*/];
            }
        });
    }); });
    it('answers 409 when the update names a version that is not the current one', function () { return __awaiter(void 0, void 0, void 0, function () {
        var agent, stale, _a;
        return __generator(this, function (_b) {
            switch (_b.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
                case 1:
                    agent = (_b.sent()).body;
                    return [4 /*yield*/, api.request('POST', "/agents/".concat(agent.id), { body: { version: 1, name: 'renamed' } })];
                case 2:
                    _b.sent();
                    return [4 /*yield*/, api.request('POST', "/agents/".concat(agent.id), { body: { version: 1, name: 'lost update' } })];
                case 3:
                    stale = _b.sent();
                    (0, harness_1.expectError)(stale, 409, 'conflict_error', 'version');
                    _a = expect;
                    return [4 /*yield*/, api.request('GET', "/agents/".concat(agent.id))];
                case 4:
                    _a.apply(void 0, [(_b.sent()).body.name]).toBe('renamed');
                    return [2 /*return*/];
            }
        });
    }); });
    it('lets exactly one of two concurrent updates of the same version win', function () { return __awaiter(void 0, void 0, void 0, function () {
        var agent, replies, versions;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
                case 1:
                    agent = (_a.sent()).body;
                    return [4 /*yield*/, Promise.all(['a', 'b', 'c'].map(function (name) { return api.request('POST', "/agents/".concat(agent.id), { body: { version: 1, name: name } }); }))];
                case 2:
                    replies = _a.sent();
                    expect(replies.map(function (r) { return r.status; }).sort()).toEqual([200, 409, 409]);
                    return [4 /*yield*/, api.request('GET', "/agents/".concat(agent.id, "/versions"))];
                case 3:
                    versions = _a.sent();
                    expect(versions.body.data.map(function (a) { return a.version; })).toEqual([2, 1]);
                    return [2 /*return*/];
            }
        });
    }); });
    it('archives: still readable, hidden from the default list, not updatable', function () { return __awaiter(void 0, void 0, void 0, function () {
        var agent, archived, _a, listed, all, _b;
        return __generator(this, function (_c) {
            switch (_c.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
                case 1:
                    agent = (_c.sent()).body;
                    return [4 /*yield*/, api.request('POST', "/agents/".concat(agent.id, "/archive"))];
                case 2:
                    archived = _c.sent();
                    expect(archived.status).toBe(200);
                    expect(archived.body.archived_at).not.toBeNull();
                    _a = expect;
                    return [4 /*yield*/, api.request('GET', "/agents/".concat(agent.id))];
                case 3:
                    _a.apply(void 0, [(_c.sent()).body.archived_at]).toBe(archived.body.archived_at);
                    return [4 /*yield*/, api.request('GET', '/agents?limit=100')];
                case 4:
                    listed = _c.sent();
                    expect(listed.body.data.map(function (a) { return a.id; })).not.toContain(agent.id);
                    return [4 /*yield*/, api.request('GET', '/agents?limit=100&include_archived=true')];
                case 5:
                    all = _c.sent();
                    expect(all.body.data.map(function (a) { return a.id; })).toContain(agent.id);
                    _b = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', "/agents/".concat(agent.id), { body: { name: 'x' } })];
                case 6:
                    _b.apply(void 0, [_c.sent(), 409, 'conflict_error']);
                    return [2 /*return*/];
            }
        });
    }); });
    it('has no DELETE route', function () { return __awaiter(void 0, void 0, void 0, function () {
        var agent, _a, _b;
        return __generator(this, function (_c) {
            switch (_c.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
                case 1:
                    agent = (_c.sent()).body;
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('DELETE', "/agents/".concat(agent.id))];
                case 2:
                    _a.apply(void 0, [_c.sent(), 404, 'not_found_error']);
                    _b = expect;
                    return [4 /*yield*/, api.request('GET', "/agents/".concat(agent.id))];
                case 3:
                    _b.apply(void 0, [(_c.sent()).status]).toBe(200);
                    return [2 /*return*/];
            }
        });
    }); });
    it('filters the list by created_at', function () { return __awaiter(void 0, void 0, void 0, function () {
        var agent, later, since, after, _a;
        return __generator(this, function (_b) {
            switch (_b.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
                case 1:
                    agent = (_b.sent()).body;
                    later = new Date(Date.parse(agent.created_at) + 1).toISOString();
                    return [4 /*yield*/, api.request('GET', "/agents?created_at[gte]=".concat(agent.created_at))];
                case 2:
                    since = _b.sent();
                    expect(since.body.data.map(function (a) { return a.id; })).toContain(agent.id);
                    return [4 /*yield*/, api.request('GET', "/agents?created_at[gte]=".concat(later))];
                case 3:
                    after = _b.sent();
                    expect(after.body.data.map(function (a) { return a.id; })).not.toContain(agent.id);
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('GET', '/agents?created_at[gte]=yesterday')];
                case 4:
                    _a.apply(void 0, [_b.sent(), 400, 'invalid_request_error', 'created_at[gte]']);
                    return [2 /*return*/];
            }
        });
    }); });
    it('answers 404 for unknown ids', function () { return __awaiter(void 0, void 0, void 0, function () {
        var _a, _b;
        return __generator(this, function (_c) {
            switch (_c.label) {
                case 0:
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('GET', '/agents/agent_0123456789abcdef0123456789abcdef')];
                case 1:
                    _a.apply(void 0, [_c.sent(), 404, 'not_found_error']);
                    _b = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', '/agents/whatever/archive')];
                case 2:
                    _b.apply(void 0, [_c.sent(), 404, 'not_found_error']);
                    return [2 /*return*/];
            }
        });
    }); });
});
