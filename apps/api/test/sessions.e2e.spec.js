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
var agentId;
var environmentId;
beforeAll(function () { return __awaiter(void 0, void 0, void 0, function () {
    return __generator(this, function (_a) {
        switch (_a.label) {
            case 0: return [4 /*yield*/, (0, harness_1.startTestApi)()];
            case 1:
                api = _a.sent();
                return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
            case 2:
                agentId = (_a.sent()).body.id;
                return [4 /*yield*/, api.request('POST', '/environments', { body: (0, harness_1.demoEnvironment)() })];
            case 3:
                environmentId = (_a.sent()).body.id;
                return [2 /*return*/];
        }
    });
}); });
afterAll(function () { return api.close(); });
describe('sessions', function () {
    it('creates an idle session with the full agent snapshot', function () { return __awaiter(void 0, void 0, void 0, function () {
        var created, _a;
        return __generator(this, function (_b) {
            switch (_b.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId, title: 'first', metadata: { a: 'b' } } })];
                case 1:
                    created = _b.sent();
                    expect(created.status).toBe(201);
                    expect(created.body).toMatchObject({
                        type: 'session',
                        agent_id: agentId,
                        environment_id: environmentId,
                        status: 'idle',
                        title: 'first',
                        metadata: { a: 'b' },
                        usage: { input_tokens: 0, output_tokens: 0 },
                        stats: { turns: 0, active_seconds: 0 },
                        archived_at: null,
                        agent: { id: agentId, type: 'agent', version: 1, model: 'stratus-demo' },
                    });
                    expect(created.body.id).toMatch(/^sess_[0-9a-f]{32}$/);
                    _a = expect;
                    return [4 /*yield*/, api.request('GET', "/sessions/".concat(created.body.id))];
                case 2:
                    _a.apply(void 0, [(_b.sent()).body.id]).toBe(created.body.id);
                    return [2 /*return*/];
            }
        });
    }); });
    it('binds the latest version for an id and a pinned version for {id, version}', function () { return __awaiter(void 0, void 0, void 0, function () {
        var agent, latest, pinned, _a, _b, _c;
        return __generator(this, function (_d) {
            switch (_d.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
                case 1:
                    agent = (_d.sent()).body;
                    return [4 /*yield*/, api.request('POST', "/agents/".concat(agent.id), { body: { system: 'v2' } })];
                case 2:
                    _d.sent();
                    return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: environmentId } })];
                case 3:
                    latest = _d.sent();
                    expect(latest.body.agent).toMatchObject({ version: 2, system: 'v2' });
                    return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: { type: 'agent', id: agent.id, version: 1 }, environment_id: environmentId } })];
                case 4:
                    pinned = _d.sent();
                    expect(pinned.body.agent).toMatchObject({ version: 1, system: 'Be brief.' });
                    return [4 /*yield*/, api.request('POST', "/agents/".concat(agent.id), { body: { system: 'v3' } })];
                case 5:
                    _d.sent();
                    _a = expect;
                    return [4 /*yield*/, api.request('GET', "/sessions/".concat(pinned.body.id))];
                case 6:
                    _a.apply(void 0, [(_d.sent()).body.agent.version]).toBe(1);
                    _b = expect;
                    return [4 /*yield*/, api.request('GET', "/sessions/".concat(latest.body.id))];
                case 7:
                    _b.apply(void 0, [(_d.sent()).body.agent.version]).toBe(2);
                    _c = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: { id: agent.id, version: 7 }, environment_id: environmentId } })];
                case 8:
                    _c.apply(void 0, [_d.sent(), 404, 'not_found_error', 'agent.version']);
                    return [2 /*return*/];
            }
        });
    }); });
    it('never returns environment variables, and stores them encrypted', function () { return __awaiter(void 0, void 0, void 0, function () {
        var created, _a, _b, _c, rows;
        return __generator(this, function (_d) {
            switch (_d.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId, environment_variables: { API_TOKEN: 'secret-value-123' } } })];
                case 1:
                    created = _d.sent();
                    expect(created.status).toBe(201);
                    expect(JSON.stringify(created.body)).not.toContain('secret-value-123');
                    _a = expect;
                    _c = (_b = JSON).stringify;
                    return [4 /*yield*/, api.request('GET', "/sessions/".concat(created.body.id))];
                case 2:
                    _a.apply(void 0, [_c.apply(_b, [(_d.sent()).body])]).not.toContain('secret-value-123');
                    return [4 /*yield*/, api.sql('SELECT environment_variables FROM sessions WHERE id = $1', [created.body.id])];
                case 3:
                    rows = _d.sent();
                    expect(rows[0].environment_variables).toBeInstanceOf(Buffer);
                    expect(rows[0].environment_variables.toString('latin1')).not.toContain('secret-value-123');
                    return [2 /*return*/];
            }
        });
    }); });
    it('stores initial_events as user.message events in order', function () { return __awaiter(void 0, void 0, void 0, function () {
        var created, events;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/sessions', {
                        body: { agent: agentId, environment_id: environmentId, initial_events: [{ type: 'user.message', content: 'one' }, { type: 'user.message', content: [{ type: 'text', text: 'two' }] }] },
                    })];
                case 1:
                    created = _a.sent();
                    return [4 /*yield*/, api.request('GET', "/sessions/".concat(created.body.id, "/events"))];
                case 2:
                    events = _a.sent();
                    expect(events.body.data.map(function (e) { return [e.type, e.content[0].text]; })).toEqual([
                        ['user.message', 'one'],
                        ['user.message', 'two'],
                    ]);
                    return [2 /*return*/];
            }
        });
    }); });
    it.each([
        [{ agent: 'agent_0123456789abcdef0123456789abcdef' }, 404, 'not_found_error', 'agent'],
        [{ environment_id: 'env_0123456789abcdef0123456789abcdef' }, 404, 'not_found_error', 'environment_id'],
        [{ environment_variables: { 'BAD-NAME': 'x' } }, 400, 'invalid_request_error', 'environment_variables.BAD-NAME'],
        [{ initial_events: [{ type: 'user.interrupt' }] }, 400, 'invalid_request_error', 'initial_events.0.type'],
        [{ title: 7 }, 400, 'invalid_request_error', 'title'],
        [{ agent: { version: 1 } }, 400, 'invalid_request_error', 'agent'],
    ])('rejects %j', function (overrides, status, type, param) { return __awaiter(void 0, void 0, void 0, function () {
        var _a;
        return __generator(this, function (_b) {
            switch (_b.label) {
                case 0:
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', '/sessions', { body: __assign({ agent: agentId, environment_id: environmentId }, overrides) })];
                case 1:
                    _a.apply(void 0, [_b.sent(), status, type, param]);
                    return [2 /*return*/];
            }
        });
    }); });
    it('refuses an archived agent with 409', function () { return __awaiter(void 0, void 0, void 0, function () {
        var agent, _a;
        return __generator(this, function (_b) {
            switch (_b.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
                case 1:
                    agent = (_b.sent()).body;
                    return [4 /*yield*/, api.request('POST', "/agents/".concat(agent.id, "/archive"))];
                case 2:
                    _b.sent();
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: environmentId } })];
                case 3:
                    _a.apply(void 0, [_b.sent(), 409, 'conflict_error', 'agent']);
                    return [2 /*return*/];
            }
        });
    }); });
    it('updates title and metadata only', function () { return __awaiter(void 0, void 0, void 0, function () {
        var session, updated, _a;
        return __generator(this, function (_b) {
            switch (_b.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId } })];
                case 1:
                    session = (_b.sent()).body;
                    return [4 /*yield*/, api.request('POST', "/sessions/".concat(session.id), { body: { title: 'renamed', metadata: { k: 'v' } } })];
                case 2:
                    updated = _b.sent();
                    expect(updated.body).toMatchObject({ title: 'renamed', metadata: { k: 'v' } });
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', "/sessions/".concat(session.id), { body: { status: 'processing' } })];
                case 3:
                    _a.apply(void 0, [_b.sent(), 400, 'invalid_request_error', 'status']);
                    return [2 /*return*/];
            }
        });
    }); });
    it('filters the list by agent, status and archive state', function () { return __awaiter(void 0, void 0, void 0, function () {
        var agent, a, b, byAgent, withArchived, idle, processing, _a, _b;
        return __generator(this, function (_c) {
            switch (_c.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
                case 1:
                    agent = (_c.sent()).body;
                    return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: environmentId } })];
                case 2:
                    a = (_c.sent()).body;
                    return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: environmentId } })];
                case 3:
                    b = (_c.sent()).body;
                    return [4 /*yield*/, api.request('POST', "/sessions/".concat(b.id, "/archive"))];
                case 4:
                    _c.sent();
                    return [4 /*yield*/, api.request('GET', "/sessions?agent_id=".concat(agent.id))];
                case 5:
                    byAgent = _c.sent();
                    expect(byAgent.body.data.map(function (s) { return s.id; })).toEqual([a.id]);
                    return [4 /*yield*/, api.request('GET', "/sessions?agent_id=".concat(agent.id, "&include_archived=true"))];
                case 6:
                    withArchived = _c.sent();
                    expect(withArchived.body.data.map(function (s) { return s.id; })).toEqual([b.id, a.id]);
                    return [4 /*yield*/, api.request('GET', "/sessions?agent_id=".concat(agent.id, "&statuses[]=idle&statuses[]=processing"))];
                case 7:
                    idle = _c.sent();
                    expect(idle.body.data.map(function (s) { return s.id; })).toEqual([a.id]);
                    return [4 /*yield*/, api.request('GET', "/sessions?agent_id=".concat(agent.id, "&statuses[]=processing"))];
                case 8:
                    processing = _c.sent();
                    expect(processing.body.data).toEqual([]);
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('GET', '/sessions?statuses[]=sleeping')];
                case 9:
                    _a.apply(void 0, [_c.sent(), 400, 'invalid_request_error', 'statuses[]']);
                    _b = harness_1.expectError;
                    return [4 /*yield*/, api.request('GET', '/sessions?include_archived=maybe')];
                case 10:
                    _b.apply(void 0, [_c.sent(), 400, 'invalid_request_error', 'include_archived']);
                    return [2 /*return*/];
            }
        });
    }); });
    it('archives: history readable, new messages refused', function () { return __awaiter(void 0, void 0, void 0, function () {
        var session, archived, _a, _b, _c;
        return __generator(this, function (_d) {
            switch (_d.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId, initial_events: [{ type: 'user.message', content: 'hi' }] } })];
                case 1:
                    session = (_d.sent()).body;
                    return [4 /*yield*/, api.request('POST', "/sessions/".concat(session.id, "/archive"))];
                case 2:
                    archived = _d.sent();
                    expect(archived.body.archived_at).not.toBeNull();
                    _a = expect;
                    return [4 /*yield*/, api.request('GET', "/sessions/".concat(session.id, "/events"))];
                case 3:
                    _a.apply(void 0, [(_d.sent()).body.data]).toHaveLength(1);
                    _b = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', "/sessions/".concat(session.id, "/events"), { body: { events: [{ type: 'user.message', content: 'more' }] } })];
                case 4:
                    _b.apply(void 0, [_d.sent(), 409, 'conflict_error']);
                    _c = expect;
                    return [4 /*yield*/, api.request('GET', "/sessions/".concat(session.id, "/events"))];
                case 5:
                    _c.apply(void 0, [(_d.sent()).body.data]).toHaveLength(1);
                    return [2 /*return*/];
            }
        });
    }); });
    it('cancel is a 200 no-op on an idle session', function () { return __awaiter(void 0, void 0, void 0, function () {
        var session, reply;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId } })];
                case 1:
                    session = (_a.sent()).body;
                    return [4 /*yield*/, api.request('POST', "/sessions/".concat(session.id, "/cancel"))];
                case 2:
                    reply = _a.sent();
                    expect(reply.status).toBe(200);
                    expect(reply.body).toEqual({ id: session.id, type: 'session', status: 'idle' });
                    return [2 /*return*/];
            }
        });
    }); });
    it('cancel of a processing session answers 202 canceling', function () { return __awaiter(void 0, void 0, void 0, function () {
        var session, reply, _a, _b;
        return __generator(this, function (_c) {
            switch (_c.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId } })];
                case 1:
                    session = (_c.sent()).body;
                    return [4 /*yield*/, api.sql("UPDATE sessions SET status = 'processing' WHERE id = $1", [session.id])];
                case 2:
                    _c.sent();
                    return [4 /*yield*/, api.request('POST', "/sessions/".concat(session.id, "/cancel"))];
                case 3:
                    reply = _c.sent();
                    expect(reply.status).toBe(202);
                    expect(reply.body).toEqual({ id: session.id, type: 'session', status: 'canceling' });
                    _a = expect;
                    return [4 /*yield*/, api.request('GET', "/sessions/".concat(session.id))];
                case 4:
                    _a.apply(void 0, [(_c.sent()).body.status]).toBe('canceling');
                    _b = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', "/sessions/".concat(session.id, "/archive"))];
                case 5:
                    _b.apply(void 0, [_c.sent(), 409, 'conflict_error']);
                    return [2 /*return*/];
            }
        });
    }); });
    it('deletes the session and its events', function () { return __awaiter(void 0, void 0, void 0, function () {
        var session, deleted, _a, _b, rows;
        return __generator(this, function (_c) {
            switch (_c.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agentId, environment_id: environmentId, initial_events: [{ type: 'user.message', content: 'hi' }] } })];
                case 1:
                    session = (_c.sent()).body;
                    return [4 /*yield*/, api.request('DELETE', "/sessions/".concat(session.id))];
                case 2:
                    deleted = _c.sent();
                    expect(deleted.body).toEqual({ id: session.id, type: 'session_deleted' });
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('GET', "/sessions/".concat(session.id))];
                case 3:
                    _a.apply(void 0, [_c.sent(), 404, 'not_found_error']);
                    _b = harness_1.expectError;
                    return [4 /*yield*/, api.request('GET', "/sessions/".concat(session.id, "/events"))];
                case 4:
                    _b.apply(void 0, [_c.sent(), 404, 'not_found_error']);
                    return [4 /*yield*/, api.sql('SELECT count(*)::int AS n FROM events WHERE session_id = $1', [session.id])];
                case 5:
                    rows = _c.sent();
                    expect(rows[0].n).toBe(0);
                    return [2 /*return*/];
            }
        });
    }); });
});
