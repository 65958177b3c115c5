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
describe('environments', function () {
    it('creates with a default config and reads it back', function () { return __awaiter(void 0, void 0, void 0, function () {
        var created, _a;
        return __generator(this, function (_b) {
            switch (_b.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/environments', { body: { name: 'plain' } })];
                case 1:
                    created = _b.sent();
                    expect(created.status).toBe(201);
                    expect(created.body).toMatchObject({
                        type: 'environment',
                        name: 'plain',
                        description: '',
                        config: { type: 'cloud', networking: { type: 'unrestricted' }, packages: { apt: [], pip: [], npm: [] }, resources: { cpu: '1', memory: '2Gi' } },
                        metadata: {},
                        archived_at: null,
                    });
                    expect(created.body.id).toMatch(/^env_[0-9a-f]{32}$/);
                    _a = expect;
                    return [4 /*yield*/, api.request('GET', "/environments/".concat(created.body.id))];
                case 2:
                    _a.apply(void 0, [(_b.sent()).body]).toEqual(created.body);
                    return [2 /*return*/];
            }
        });
    }); });
    it.each([
        [{ type: 'cloud', networking: { type: 'allowed_hosts', allowed_hosts: ['api.github.com', '*.example.com'] } }],
        [{ type: 'cloud', networking: { type: 'limited', allow_package_managers: true }, packages: { pip: ['requests==2.32.3'], npm: ['left-pad'] } }],
        [{ type: 'cloud', networking: { type: 'none' }, image: 'python:3.12-slim', resources: { cpu: '500m', memory: '512Mi' }, setup_script: 'echo hi' }],
    ])('accepts config %j', function (config) { return __awaiter(void 0, void 0, void 0, function () {
        var reply;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/environments', { body: (0, harness_1.demoEnvironment)({ config: config }) })];
                case 1:
                    reply = _a.sent();
                    expect(reply.status).toBe(201);
                    expect(reply.body.config).toMatchObject(config);
                    return [2 /*return*/];
            }
        });
    }); });
    it.each([
        [{ config: { type: 'self_hosted' } }, 'config.type'],
        [{ config: { type: 'cloud', networking: { type: 'allowed_hosts', allowed_hosts: [] } } }, 'config.networking.allowed_hosts'],
        [{ config: { type: 'cloud', networking: { type: 'allowed_hosts', allowed_hosts: ['http://x'] } } }, 'config.networking.allowed_hosts.0'],
        [{ config: { type: 'cloud', networking: { type: 'open' } } }, 'config.networking.type'],
        [{ config: { type: 'cloud', resources: { cpu: 'lots' } } }, 'config.resources.cpu'],
        [{ config: { type: 'cloud', packages: { apt: ['; rm -rf /'] } } }, 'config.packages.apt.0'],
        [{ name: 42 }, 'name'],
    ])('rejects %j naming %s', function (overrides, param) { return __awaiter(void 0, void 0, void 0, function () {
        var _a;
        return __generator(this, function (_b) {
            switch (_b.label) {
                case 0:
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', '/environments', { body: (0, harness_1.demoEnvironment)(overrides) })];
                case 1:
                    _a.apply(void 0, [_b.sent(), 400, 'invalid_request_error', param]);
                    return [2 /*return*/];
            }
        });
    }); });
    it('keeps names unique per workspace, on create and on rename', function () { return __awaiter(void 0, void 0, void 0, function () {
        var _a, other, _b, otherToken, _c;
        return __generator(this, function (_d) {
            switch (_d.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/environments', { body: { name: 'unique-1' } })];
                case 1:
                    _d.sent();
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', '/environments', { body: { name: 'unique-1' } })];
                case 2:
                    _a.apply(void 0, [_d.sent(), 409, 'conflict_error', 'name']);
                    return [4 /*yield*/, api.request('POST', '/environments', { body: { name: 'unique-2' } })];
                case 3:
                    other = _d.sent();
                    _b = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', "/environments/".concat(other.body.id), { body: { name: 'unique-1' } })];
                case 4:
                    _b.apply(void 0, [_d.sent(), 409, 'conflict_error', 'name']);
                    return [4 /*yield*/, api.newWorkspaceToken()];
                case 5:
                    otherToken = _d.sent();
                    _c = expect;
                    return [4 /*yield*/, api.request('POST', '/environments', { token: otherToken, body: { name: 'unique-1' } })];
                case 6:
                    _c.apply(void 0, [(_d.sent()).status]).toBe(201);
                    return [2 /*return*/];
            }
        });
    }); });
    it('updates fields', function () { return __awaiter(void 0, void 0, void 0, function () {
        var env, updated;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/environments', { body: (0, harness_1.demoEnvironment)() })];
                case 1:
                    env = (_a.sent()).body;
                    return [4 /*yield*/, api.request('POST', "/environments/".concat(env.id), { body: { description: 'new', config: { type: 'cloud', networking: { type: 'none' } } } })];
                case 2:
                    updated = _a.sent();
                    expect(updated.status).toBe(200);
                    expect(updated.body).toMatchObject({ description: 'new', config: { networking: { type: 'none' } }, name: env.name });
                    return [2 /*return*/];
            }
        });
    }); });
    it('refuses to delete while a non-archived session uses it, then deletes', function () { return __awaiter(void 0, void 0, void 0, function () {
        var env, agent, session, _a, _b, deleted, _c, _d;
        return __generator(this, function (_e) {
            switch (_e.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/environments', { body: (0, harness_1.demoEnvironment)() })];
                case 1:
                    env = (_e.sent()).body;
                    return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
                case 2:
                    agent = (_e.sent()).body;
                    return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: env.id } })];
                case 3:
                    session = (_e.sent()).body;
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('DELETE', "/environments/".concat(env.id))];
                case 4:
                    _a.apply(void 0, [_e.sent(), 409, 'conflict_error']);
                    _b = expect;
                    return [4 /*yield*/, api.request('POST', "/sessions/".concat(session.id, "/archive"))];
                case 5:
                    _b.apply(void 0, [(_e.sent()).status]).toBe(200);
                    return [4 /*yield*/, api.request('DELETE', "/environments/".concat(env.id))];
                case 6:
                    deleted = _e.sent();
                    expect(deleted.status).toBe(200);
                    expect(deleted.body).toEqual({ id: env.id, type: 'environment_deleted' });
                    _c = harness_1.expectError;
                    return [4 /*yield*/, api.request('GET', "/environments/".concat(env.id))];
                case 7:
                    _c.apply(void 0, [_e.sent(), 404, 'not_found_error']);
                    // The archived session keeps naming the environment it ran in.
                    _d = expect;
                    return [4 /*yield*/, api.request('GET', "/sessions/".concat(session.id))];
                case 8:
                    // The archived session keeps naming the environment it ran in.
                    _d.apply(void 0, [(_e.sent()).body.environment_id]).toBe(env.id);
                    return [2 /*return*/];
            }
        });
    }); });
    it('archives: readable, hidden from the default list, cannot back new sessions', function () { return __awaiter(void 0, void 0, void 0, function () {
        var env, archived, list, agent, _a;
        return __generator(this, function (_b) {
            switch (_b.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/environments', { body: (0, harness_1.demoEnvironment)() })];
                case 1:
                    env = (_b.sent()).body;
                    return [4 /*yield*/, api.request('POST', "/environments/".concat(env.id, "/archive"))];
                case 2:
                    archived = _b.sent();
                    expect(archived.body.archived_at).not.toBeNull();
                    return [4 /*yield*/, api.request('GET', '/environments?limit=100')];
                case 3:
                    list = _b.sent();
                    expect(list.body.data.map(function (e) { return e.id; })).not.toContain(env.id);
                    return [4 /*yield*/, api.request('POST', '/agents', { body: (0, harness_1.demoAgent)() })];
                case 4:
                    agent = (_b.sent()).body;
                    _a = harness_1.expectError;
                    return [4 /*yield*/, api.request('POST', '/sessions', { body: { agent: agent.id, environment_id: env.id } })];
                case 5:
                    _a.apply(void 0, [_b.sent(), 409, 'conflict_error', 'environment_id']);
                    return [2 /*return*/];
            }
        });
    }); });
});
