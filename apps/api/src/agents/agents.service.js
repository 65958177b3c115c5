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
exports.AgentsService = void 0;
var common_1 = require("@nestjs/common");
var contracts_1 = require("@stratus/contracts");
var api_error_1 = require("../common/api-error");
var pagination_1 = require("../common/pagination");
var query_1 = require("../common/query");
var validation_1 = require("../common/validation");
var agent_mapper_1 = require("./agent.mapper");
var DEFINITION_KEYS = ['name', 'description', 'model', 'system', 'tools', 'mcp_servers', 'metadata'];
function parseVersion(raw) {
    if (raw === undefined)
        return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < 1)
        throw (0, api_error_1.invalidRequest)('version must be a positive integer.', 'version');
    return Number(raw);
}
var AgentsService = function () {
    var _classDecorators = [(0, common_1.Injectable)()];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var AgentsService = _classThis = /** @class */ (function () {
        function AgentsService_1(agents, models) {
            this.agents = agents;
            this.models = models;
        }
        AgentsService_1.prototype.checkModel = function (model) {
            if (!this.models.has(model))
                throw (0, api_error_1.invalidRequest)("Unknown model \"".concat(model, "\"; GET /models lists the models of this deployment."), 'model');
        };
        AgentsService_1.prototype.create = function (workspaceId, body) {
            return __awaiter(this, void 0, void 0, function () {
                var input, created;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0:
                            input = (0, validation_1.parseOrThrow)(contracts_1.CreateAgentRequest, body);
                            this.checkModel(input.model);
                            return [4 /*yield*/, this.agents.create(workspaceId, input)];
                        case 1:
                            created = _a.sent();
                            return [2 /*return*/, (0, agent_mapper_1.toAgent)(created.agent, created.version)];
                    }
                });
            });
        };
        /** The agent at its current version, or at `?version=N`. */
        AgentsService_1.prototype.get = function (workspaceId_1, id_1) {
            return __awaiter(this, arguments, void 0, function (workspaceId, id, query) {
                var version, found, _a;
                if (query === void 0) { query = {}; }
                return __generator(this, function (_b) {
                    switch (_b.label) {
                        case 0:
                            version = parseVersion((0, query_1.stringParam)(query, 'version'));
                            return [4 /*yield*/, this.agents.find(workspaceId, id, version)];
                        case 1:
                            found = _b.sent();
                            if (!!found) return [3 /*break*/, 4];
                            _a = version !== undefined;
                            if (!_a) return [3 /*break*/, 3];
                            return [4 /*yield*/, this.agents.exists(workspaceId, id)];
                        case 2:
                            _a = (_b.sent());
                            _b.label = 3;
                        case 3:
                            if (_a)
                                throw (0, api_error_1.notFound)('Version', "".concat(version, " of agent ").concat(id), 'version');
                            throw (0, api_error_1.notFound)('Agent', id);
                        case 4: return [2 /*return*/, (0, agent_mapper_1.toAgent)(found.agent, found.version)];
                    }
                });
            });
        };
        /**
         * Creates version N+1 with the changed fields. A `version` in the body must equal the current
         * one (optimistic concurrency); an update that changes nothing creates no version.
         */
        AgentsService_1.prototype.update = function (workspaceId, id, body) {
            return __awaiter(this, void 0, void 0, function () {
                var input, current, before, after, _i, DEFINITION_KEYS_1, key, updated;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0:
                            input = (0, validation_1.parseOrThrow)(contracts_1.UpdateAgentRequest, body);
                            return [4 /*yield*/, this.agents.find(workspaceId, id)];
                        case 1:
                            current = _a.sent();
                            if (!current)
                                throw (0, api_error_1.notFound)('Agent', id);
                            if (current.agent.archivedAt)
                                throw (0, api_error_1.conflict)("Agent ".concat(id, " is archived and cannot be updated."));
                            if (input.version !== undefined && input.version !== current.agent.currentVersion) {
                                throw (0, api_error_1.conflict)("Agent ".concat(id, " is at version ").concat(current.agent.currentVersion, ", not ").concat(input.version, "."), 'version');
                            }
                            if (input.model !== undefined)
                                this.checkModel(input.model);
                            before = (0, agent_mapper_1.definitionOf)(current.version);
                            after = __assign({}, before);
                            for (_i = 0, DEFINITION_KEYS_1 = DEFINITION_KEYS; _i < DEFINITION_KEYS_1.length; _i++) {
                                key = DEFINITION_KEYS_1[_i];
                                if (input[key] !== undefined)
                                    after[key] = input[key];
                            }
                            if (after.tools.some(function (t) { return t.type === 'mcp_toolset' && !after.mcp_servers.some(function (s) { return s.name === t.mcp_server_name; }); })) {
                                throw (0, api_error_1.invalidRequest)('An mcp_toolset names an MCP server that is not in mcp_servers.', 'tools');
                            }
                            if (JSON.stringify(after) === JSON.stringify(before))
                                return [2 /*return*/, (0, agent_mapper_1.toAgent)(current.agent, current.version)];
                            return [4 /*yield*/, this.agents.addVersion(id, current.agent.currentVersion, after)];
                        case 2:
                            updated = _a.sent();
                            if (!updated)
                                throw (0, api_error_1.conflict)("Agent ".concat(id, " was changed concurrently; read it again and retry."), 'version');
                            return [2 /*return*/, (0, agent_mapper_1.toAgent)(updated.agent, updated.version)];
                    }
                });
            });
        };
        AgentsService_1.prototype.archive = function (workspaceId, id) {
            return __awaiter(this, void 0, void 0, function () {
                var found;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.agents.find(workspaceId, id)];
                        case 1:
                            found = _a.sent();
                            if (!found)
                                throw (0, api_error_1.notFound)('Agent', id);
                            if (!!found.agent.archivedAt) return [3 /*break*/, 3];
                            return [4 /*yield*/, this.agents.archive(id)];
                        case 2:
                            _a.sent();
                            _a.label = 3;
                        case 3: return [2 /*return*/, this.get(workspaceId, id)];
                    }
                });
            });
        };
        AgentsService_1.prototype.list = function (workspaceId, query) {
            return __awaiter(this, void 0, void 0, function () {
                var params, filter, page;
                var _this = this;
                var _a;
                return __generator(this, function (_b) {
                    switch (_b.label) {
                        case 0:
                            params = (0, pagination_1.parseListParams)(query, 'desc');
                            filter = { includeArchived: (_a = (0, query_1.boolParam)(query, 'include_archived')) !== null && _a !== void 0 ? _a : false, createdAt: (0, query_1.createdAtRange)(query) };
                            return [4 /*yield*/, (0, pagination_1.paginate)(params, function (row) { return row.agent.id; }, function (cursorId) { return __awaiter(_this, void 0, void 0, function () { return __generator(this, function (_a) {
                                    switch (_a.label) {
                                        case 0: return [4 /*yield*/, this.agents.exists(workspaceId, cursorId)];
                                        case 1: return [2 /*return*/, ((_a.sent()) ? cursorId : undefined)];
                                    }
                                }); }); }, function (slice) { return _this.agents.listSlice(workspaceId, filter, slice); })];
                        case 1:
                            page = _b.sent();
                            return [2 /*return*/, __assign(__assign({}, page), { data: page.data.map(function (row) { return (0, agent_mapper_1.toAgent)(row.agent, row.version); }) })];
                    }
                });
            });
        };
        /** Every version of an agent, newest first by default; cursors are version numbers. */
        AgentsService_1.prototype.listVersions = function (workspaceId, id, query) {
            return __awaiter(this, void 0, void 0, function () {
                var found, params, page;
                var _this = this;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.agents.find(workspaceId, id)];
                        case 1:
                            found = _a.sent();
                            if (!found)
                                throw (0, api_error_1.notFound)('Agent', id);
                            params = (0, pagination_1.parseListParams)(query, 'desc');
                            return [4 /*yield*/, (0, pagination_1.paginate)(params, function (row) { return String(row.version); }, function (cursorId) { return __awaiter(_this, void 0, void 0, function () {
                                    var version;
                                    return __generator(this, function (_a) {
                                        version = /^\d+$/.test(cursorId) ? Number(cursorId) : NaN;
                                        return [2 /*return*/, version >= 1 && version <= found.agent.currentVersion ? version : undefined];
                                    });
                                }); }, function (slice) { return _this.agents.listVersionsSlice(id, slice); })];
                        case 2:
                            page = _a.sent();
                            return [2 /*return*/, __assign(__assign({}, page), { data: page.data.map(function (version) { return (0, agent_mapper_1.toAgent)(found.agent, version); }) })];
                    }
                });
            });
        };
        return AgentsService_1;
    }());
    __setFunctionName(_classThis, "AgentsService");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        AgentsService = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return AgentsService = _classThis;
}();
exports.AgentsService = AgentsService;
