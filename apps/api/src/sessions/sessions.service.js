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
var __esDecorate = (this && this.__esDecorate) || function (ctor, descriptorIn, decorators, contextIn, initializers, extraInitializers) {
    function accept(f) { if (f !== void 0 && typeof f !== "function") throw new TypeError("Function expected"); return f; }
    var kind = contextIn.kind, key = kind === "getter" ? "get" : kind === "setter" ? "set" : "value";
    var target = !descriptorIn && ctor ? contextIn["static"] ? ctor : ctor.prototype : null;
    var descriptor = descriptorIn || (target ? Object.getOwnPropertyDescriptor(target, contextIn.name) : {});
    var _, done = false;
    for (var i = decorators.length - 1; i >= 0; i--) {
        var context = {};
        for (var p in contextIn) context[p] = p === "access" ? {} : contextIn[p];
        for (var p in contextIn.access) context.access[p] = contextIn.access[p];
        context.addInitializer = function (f) { if (done) throw new TypeError("Cannot add initializers after decoration has completed"); extraInitializers.push(accept(f || null)); };
        var result = (0, decorators[i])(kind === "accessor" ? { get: descriptor.get, set: descriptor.set } : descriptor[key], context);
        if (kind === "accessor") {
            if (result === void 0) continue;
            if (result === null || typeof result !== "object") throw new TypeError("Object expected");
            if (_ = accept(result.get)) descriptor.get = _;
            if (_ = accept(result.set)) descriptor.set = _;
            if (_ = accept(result.init)) initializers.unshift(_);
        }
        else if (_ = accept(result)) {
            if (kind === "field") initializers.unshift(_);
            else descriptor[key] = _;
        }
    }
    if (target) Object.defineProperty(target, contextIn.name, descriptor);
    done = true;
};
var __runInitializers = (this && this.__runInitializers) || function (thisArg, initializers, value) {
    var useValue = arguments.length > 2;
    for (var i = 0; i < initializers.length; i++) {
        value = useValue ? initializers[i].call(thisArg, value) : initializers[i].call(thisArg);
    }
    return useValue ? value : void 0;
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
var __setFunctionName = (this && this.__setFunctionName) || function (f, name, prefix) {
    if (typeof name === "symbol") name = name.description ? "[".concat(name.description, "]") : "";
    return Object.defineProperty(f, "name", { configurable: true, value: prefix ? "".concat(prefix, " ", name) : name });
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.SessionsService = void 0;
var common_1 = require("@nestjs/common");
var contracts_1 = require("@stratus/contracts");
var api_error_1 = require("../common/api-error");
var pagination_1 = require("../common/pagination");
var query_1 = require("../common/query");
var validation_1 = require("../common/validation");
var session_mapper_1 = require("./session.mapper");
var SessionsService = function () {
    var _classDecorators = [(0, common_1.Injectable)()];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var SessionsService = _classThis = /** @class */ (function () {
        function SessionsService_1(sessions, agents, environments, secrets, events) {
            this.sessions = sessions;
            this.agents = agents;
            this.environments = environments;
            this.secrets = secrets;
            this.events = events;
        }
        /** Creates a session bound to the latest agent version (an id) or a pinned one ({id, version}). */
        SessionsService_1.prototype.create = function (workspaceId, body) {
            return __awaiter(this, void 0, void 0, function () {
                var input, ref, agent, _a, environment, vars, created;
                return __generator(this, function (_b) {
                    switch (_b.label) {
                        case 0:
                            input = (0, validation_1.parseOrThrow)(contracts_1.CreateSessionRequest, body);
                            ref = typeof input.agent === 'string' ? { id: input.agent } : input.agent;
                            return [4 /*yield*/, this.agents.find(workspaceId, ref.id, ref.version)];
                        case 1:
                            agent = _b.sent();
                            if (!!agent) return [3 /*break*/, 4];
                            _a = ref.version !== undefined;
                            if (!_a) return [3 /*break*/, 3];
                            return [4 /*yield*/, this.agents.exists(workspaceId, ref.id)];
                        case 2:
                            _a = (_b.sent());
                            _b.label = 3;
                        case 3:
                            if (_a) {
                                throw (0, api_error_1.notFound)('Version', "".concat(ref.version, " of agent ").concat(ref.id), 'agent.version');
                            }
                            throw (0, api_error_1.notFound)('Agent', ref.id, 'agent');
                        case 4:
                            if (agent.agent.archivedAt)
                                throw (0, api_error_1.conflict)("Agent ".concat(ref.id, " is archived and cannot back new sessions."), 'agent');
                            return [4 /*yield*/, this.environments.find(workspaceId, input.environment_id)];
                        case 5:
                            environment = _b.sent();
                            if (!environment)
                                throw (0, api_error_1.notFound)('Environment', input.environment_id, 'environment_id');
                            if (environment.archivedAt)
                                throw (0, api_error_1.conflict)("Environment ".concat(input.environment_id, " is archived."), 'environment_id');
                            vars = input.environment_variables;
                            return [4 /*yield*/, this.sessions.create({
                                    workspaceId: workspaceId,
                                    agentId: agent.agent.id,
                                    agentVersion: agent.version.version,
                                    environmentId: environment.id,
                                    title: input.title,
                                    metadata: input.metadata,
                                    environmentVariables: Object.keys(vars).length ? this.secrets.seal(vars) : null,
                                    initialEvents: input.initial_events.map(function (event) { return ({ type: 'user.message', payload: { content: (0, contracts_1.toContentBlocks)(event.content) } }); }),
                                })];
                        case 6:
                            created = _b.sent();
                            // The environment was deleted or archived between the check above and the insert.
                            if (!created)
                                throw (0, api_error_1.conflict)("Environment ".concat(input.environment_id, " is no longer available."), 'environment_id');
                            return [2 /*return*/, (0, session_mapper_1.toSession)(created.session)];
                    }
                });
            });
        };
        SessionsService_1.prototype.get = function (workspaceId, id) {
            return __awaiter(this, void 0, void 0, function () {
                var row;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.sessions.find(workspaceId, id)];
                        case 1:
                            row = _a.sent();
                            if (!row)
                                throw (0, api_error_1.notFound)('Session', id);
                            return [2 /*return*/, (0, session_mapper_1.toSession)(row)];
                    }
                });
            });
        };
        SessionsService_1.prototype.update = function (workspaceId, id, body) {
            return __awaiter(this, void 0, void 0, function () {
                var input, _a;
                return __generator(this, function (_b) {
                    switch (_b.label) {
                        case 0:
                            input = (0, validation_1.parseOrThrow)(contracts_1.UpdateSessionRequest, body);
                            return [4 /*yield*/, this.sessions.exists(workspaceId, id)];
                        case 1:
                            if (!(_b.sent()))
                                throw (0, api_error_1.notFound)('Session', id);
                            _a = session_mapper_1.toSession;
                            return [4 /*yield*/, this.sessions.update(id, input)];
                        case 2: return [2 /*return*/, _a.apply(void 0, [_b.sent()])];
                    }
                });
            });
        };
        SessionsService_1.prototype.archive = function (workspaceId, id) {
            return __awaiter(this, void 0, void 0, function () {
                var row, _a;
                return __generator(this, function (_b) {
                    switch (_b.label) {
                        case 0: return [4 /*yield*/, this.sessions.find(workspaceId, id)];
                        case 1:
                            row = _b.sent();
                            if (!row)
                                throw (0, api_error_1.notFound)('Session', id);
                            _a = !row.archivedAt;
                            if (!_a) return [3 /*break*/, 3];
                            return [4 /*yield*/, this.sessions.archiveIfIdle(id)];
                        case 2:
                            _a = !(_b.sent());
                            _b.label = 3;
                        case 3:
                            if (_a) {
                                throw (0, api_error_1.conflict)("Session ".concat(id, " is ").concat(row.status, "; cancel the running turn before archiving."));
                            }
                            return [2 /*return*/, this.get(workspaceId, id)];
                    }
                });
            });
        };
        /** 202 when a running turn is being canceled, 200 (no-op) when the session is idle. */
        SessionsService_1.prototype.cancel = function (workspaceId, id) {
            return __awaiter(this, void 0, void 0, function () {
                var status;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.sessions.exists(workspaceId, id)];
                        case 1:
                            if (!(_a.sent()))
                                throw (0, api_error_1.notFound)('Session', id);
                            return [4 /*yield*/, this.sessions.requestCancel(id)];
                        case 2:
                            status = _a.sent();
                            if (!status)
                                throw (0, api_error_1.notFound)('Session', id);
                            return [2 /*return*/, { status: status === 'idle' ? 200 : 202, body: { id: id, type: 'session', status: status } }];
                    }
                });
            });
        };
        /** Deletes the session and its events; live streams get a final session.deleted. */
        SessionsService_1.prototype.delete = function (workspaceId, id) {
            return __awaiter(this, void 0, void 0, function () {
                var lastSeq;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.sessions.exists(workspaceId, id)];
                        case 1:
                            if (!(_a.sent()))
                                throw (0, api_error_1.notFound)('Session', id);
                            return [4 /*yield*/, this.sessions.delete(id)];
                        case 2:
                            lastSeq = _a.sent();
                            if (lastSeq === null)
                                throw (0, api_error_1.notFound)('Session', id);
                            return [4 /*yield*/, this.events.publishDeleted(id, lastSeq)];
                        case 3:
                            _a.sent();
                            return [2 /*return*/, { id: id, type: 'session_deleted' }];
                    }
                });
            });
        };
        SessionsService_1.prototype.list = function (workspaceId, query) {
            return __awaiter(this, void 0, void 0, function () {
                var params, agentId, statuses, filter, page, now;
                var _this = this;
                var _a;
                return __generator(this, function (_b) {
                    switch (_b.label) {
                        case 0:
                            params = (0, pagination_1.parseListParams)(query, 'desc');
                            agentId = (0, query_1.stringParam)(query, 'agent_id');
                            statuses = (0, query_1.enumArrayParam)(query, 'statuses', contracts_1.SessionStatus.options);
                            filter = __assign(__assign({ includeArchived: (_a = (0, query_1.boolParam)(query, 'include_archived')) !== null && _a !== void 0 ? _a : false, createdAt: (0, query_1.createdAtRange)(query) }, (agentId ? { agentId: agentId } : {})), (statuses ? { statuses: statuses } : {}));
                            return [4 /*yield*/, (0, pagination_1.paginate)(params, function (row) { return row.id; }, function (cursorId) { return __awaiter(_this, void 0, void 0, function () { return __generator(this, function (_a) {
                                    switch (_a.label) {
                                        case 0: return [4 /*yield*/, this.sessions.exists(workspaceId, cursorId)];
                                        case 1: return [2 /*return*/, ((_a.sent()) ? cursorId : undefined)];
                                    }
                                }); }); }, function (slice) { return _this.sessions.listSlice(workspaceId, filter, slice); })];
                        case 1:
                            page = _b.sent();
                            now = new Date();
                            return [2 /*return*/, __assign(__assign({}, page), { data: page.data.map(function (row) { return (0, session_mapper_1.toSession)(row, now); }) })];
                    }
                });
            });
        };
        return SessionsService_1;
    }());
    __setFunctionName(_classThis, "SessionsService");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        SessionsService = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return SessionsService = _classThis;
}();
exports.SessionsService = SessionsService;
