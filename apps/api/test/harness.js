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
exports.demoEnvironment = exports.demoAgent = void 0;
exports.startTestApi = startTestApi;
exports.expectError = expectError;
exports.createSession = createSession;
var pg_1 = require("pg");
var testing_1 = require("@stratus/testing");
var api_module_1 = require("../src/api.module");
var tokens_service_1 = require("../src/auth/tokens.service");
var logger_1 = require("../src/common/logger");
var env_1 = require("../src/config/env");
var create_app_1 = require("../src/http/create-app");
function startTestApi() {
    return __awaiter(this, arguments, void 0, function (env) {
        var db, parsed, app, address, url, tokens, newWorkspaceToken, token, request;
        var _this = this;
        if (env === void 0) { env = {}; }
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, (0, testing_1.createTestDatabase)('stratus_api')];
                case 1:
                    db = _a.sent();
                    parsed = (0, env_1.parseApiEnv)(__assign({ DATABASE_URL: db.url, REDIS_URL: testing_1.TEST_REDIS_URL, REDIS_KEY_PREFIX: (0, testing_1.testRedisPrefix)(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', AUTH_CACHE_TTL_MS: '0' }, env));
                    return [4 /*yield*/, (0, create_app_1.createHttpApp)(api_module_1.ApiModule.forRoot(parsed), { bodyLimit: parsed.BODY_LIMIT_BYTES, logger: (0, logger_1.createLogger)('silent') })];
                case 2:
                    app = _a.sent();
                    return [4 /*yield*/, app.init()];
                case 3:
                    _a.sent();
                    return [4 /*yield*/, app.listen({ port: 0, host: '127.0.0.1' })];
                case 4:
                    _a.sent();
                    address = app.getHttpServer().address();
                    url = "http://127.0.0.1:".concat(typeof address === 'object' && address ? address.port : 0);
                    tokens = app.get(tokens_service_1.TokensService);
                    newWorkspaceToken = function (scopes) { return __awaiter(_this, void 0, void 0, function () {
                        var workspaceId;
                        return __generator(this, function (_a) {
                            switch (_a.label) {
                                case 0: return [4 /*yield*/, tokens.createWorkspace('test')];
                                case 1:
                                    workspaceId = _a.sent();
                                    return [4 /*yield*/, tokens.issue(workspaceId, 'test', scopes)];
                                case 2: return [2 /*return*/, (_a.sent()).secret];
                            }
                        });
                    }); };
                    return [4 /*yield*/, newWorkspaceToken()];
                case 5:
                    token = _a.sent();
                    request = function (method_1, path_1) {
                        var args_1 = [];
                        for (var _i = 2; _i < arguments.length; _i++) {
                            args_1[_i - 2] = arguments[_i];
                        }
                        return __awaiter(_this, __spreadArray([method_1, path_1], args_1, true), void 0, function (method, path, options) {
                            var headers, auth, body, response, text, parsedBody;
                            var _a, _b;
                            if (options === void 0) { options = {}; }
                            return __generator(this, function (_c) {
                                switch (_c.label) {
                                    case 0:
                                        headers = __assign({}, ((_a = options.headers) !== null && _a !== void 0 ? _a : {}));
                                        auth = options.token === undefined ? token : options.token;
                                        if (auth !== null)
                                            headers.authorization = "Bearer ".concat(auth);
                                        body = options.raw;
                                        if (options.body !== undefined) {
                                            body = JSON.stringify(options.body);
                                            (_b = headers['content-type']) !== null && _b !== void 0 ? _b : (headers['content-type'] = 'application/json');
                                        }
                                        return [4 /*yield*/, fetch("".concat(url).concat(path.startsWith('/api') || path.startsWith('/docs') || path.startsWith('/healthz') || path.startsWith('/readyz') ? path : "/api/v1/cloud".concat(path)), { method: method, headers: headers, body: body })];
                                    case 1:
                                        response = _c.sent();
                                        return [4 /*yield*/, response.text()];
                                    case 2:
                                        text = _c.sent();
                                        parsedBody = text;
                                        try {
                                            parsedBody = text ? JSON.parse(text) : undefined;
                                        }
                                        catch (_d) {
                                            // not JSON (an HTML page, an asset): keep the text
                                        }
                                        return [2 /*return*/, { status: response.status, headers: response.headers, body: parsedBody }];
                                }
                            });
                        });
                    };
                    return [2 /*return*/, {
                            url: url,
                            app: app,
                            db: db,
                            token: token,
                            newWorkspaceToken: newWorkspaceToken,
                            request: request,
                            sql: function (query_1) {
                                return __awaiter(this, arguments, void 0, function (query, params) {
                                    var client;
                                    if (params === void 0) { params = []; }
                                    return __generator(this, function (_a) {
                                        switch (_a.label) {
                                            case 0:
                                                client = new pg_1.Client({ connectionString: db.url });
                                                return [4 /*yield*/, client.connect()];
                                            case 1:
                                                _a.sent();
                                                _a.label = 2;
                                            case 2:
                                                _a.trys.push([2, , 4, 6]);
                                                return [4 /*yield*/, client.query(query, params)];
                                            case 3: return [2 /*return*/, (_a.sent()).rows];
                                            case 4: return [4 /*yield*/, client.end()];
                                            case 5:
                                                _a.sent();
                                                return [7 /*endfinally*/];
                                            case 6: return [2 /*return*/];
                                        }
                                    });
                                });
                            },
                            close: function () {
                                return __awaiter(this, void 0, void 0, function () {
                                    return __generator(this, function (_a) {
                                        switch (_a.label) {
                                            case 0: return [4 /*yield*/, app.close()];
                                            case 1:
                                                _a.sent();
                                                return [4 /*yield*/, db.drop()];
                                            case 2:
                                                _a.sent();
                                                return [2 /*return*/];
                                        }
                                    });
                                });
                            },
                        }];
            }
        });
    });
}
/** Asserts the documented error envelope and returns it. */
function expectError(reply, status, type, param) {
    var _a, _b;
    expect({ status: reply.status, type: (_b = (_a = reply.body) === null || _a === void 0 ? void 0 : _a.error) === null || _b === void 0 ? void 0 : _b.type }).toEqual({ status: status, type: type });
    expect(reply.body.type).toBe('error');
    expect(typeof reply.body.error.message).toBe('string');
    expect(reply.body.request_id).toBe(reply.headers.get('request-id'));
    if (param !== undefined)
        expect(reply.body.error.param).toBe(param);
}
var demoAgent = function (overrides) {
    if (overrides === void 0) { overrides = {}; }
    return (__assign({ name: 'helper', model: 'stratus-demo', system: 'Be brief.' }, overrides));
};
exports.demoAgent = demoAgent;
var demoEnvironment = function (overrides) {
    if (overrides === void 0) { overrides = {}; }
    return (__assign({ name: "env-".concat(Math.random().toString(36).slice(2, 10)), config: { type: 'cloud' } }, overrides));
};
exports.demoEnvironment = demoEnvironment;
/** Creates an agent, an environment and a session; returns their ids. */
function createSession(api_1) {
    return __awaiter(this, arguments, void 0, function (api, token) {
        var agent, environment, session;
        if (token === void 0) { token = api.token; }
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, api.request('POST', '/agents', { token: token, body: (0, exports.demoAgent)() })];
                case 1:
                    agent = _a.sent();
                    return [4 /*yield*/, api.request('POST', '/environments', { token: token, body: (0, exports.demoEnvironment)() })];
                case 2:
                    environment = _a.sent();
                    return [4 /*yield*/, api.request('POST', '/sessions', { token: token, body: { agent: agent.body.id, environment_id: environment.body.id } })];
                case 3:
                    session = _a.sent();
                    if (session.status !== 201)
                        throw new Error("session not created: ".concat(JSON.stringify(session.body)));
                    return [2 /*return*/, { agentId: agent.body.id, environmentId: environment.body.id, sessionId: session.body.id }];
            }
        });
    });
}
