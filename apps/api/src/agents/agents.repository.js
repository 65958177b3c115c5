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
exports.AgentsRepository = void 0;
var common_1 = require("@nestjs/common");
var db_1 = require("@stratus/db");
function versionData(agentId, version, def, at) {
    return {
        agentId: agentId,
        version: version,
        name: def.name,
        description: def.description,
        model: def.model,
        system: def.system,
        tools: def.tools,
        mcpServers: def.mcp_servers,
        metadata: def.metadata,
        createdAt: at,
    };
}
var AgentsRepository = function () {
    var _classDecorators = [(0, common_1.Injectable)()];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var AgentsRepository = _classThis = /** @class */ (function () {
        function AgentsRepository_1(prisma) {
            this.prisma = prisma;
        }
        AgentsRepository_1.prototype.create = function (workspaceId, def) {
            return __awaiter(this, void 0, void 0, function () {
                var id, now;
                var _this = this;
                return __generator(this, function (_a) {
                    id = (0, db_1.newId)('agent');
                    now = new Date();
                    return [2 /*return*/, this.prisma.$transaction(function (tx) { return __awaiter(_this, void 0, void 0, function () {
                            var agent, version;
                            return __generator(this, function (_a) {
                                switch (_a.label) {
                                    case 0: return [4 /*yield*/, tx.agent.create({ data: { id: id, workspaceId: workspaceId, currentVersion: 1, createdAt: now, updatedAt: now } })];
                                    case 1:
                                        agent = _a.sent();
                                        return [4 /*yield*/, tx.agentVersion.create({ data: versionData(id, 1, def, now) })];
                                    case 2:
                                        version = _a.sent();
                                        return [2 /*return*/, { agent: agent, version: version }];
                                }
                            });
                        }); })];
                });
            });
        };
        /** The agent with its current version, or a given one; null when either does not exist. */
        AgentsRepository_1.prototype.find = function (workspaceId, id, version) {
            return __awaiter(this, void 0, void 0, function () {
                var agent, row;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.prisma.agent.findFirst({ where: { id: id, workspaceId: workspaceId } })];
                        case 1:
                            agent = _a.sent();
                            if (!agent)
                                return [2 /*return*/, null];
                            return [4 /*yield*/, this.prisma.agentVersion.findUnique({ where: { agentId_version: { agentId: id, version: version !== null && version !== void 0 ? version : agent.currentVersion } } })];
                        case 2:
                            row = _a.sent();
                            return [2 /*return*/, row ? { agent: agent, version: row } : null];
                    }
                });
            });
        };
        /**
         * Stores a new version if the agent is still at `expectedVersion`; returns null when another
         * update got there first (the caller answers 409).
         */
        AgentsRepository_1.prototype.addVersion = function (agentId, expectedVersion, def) {
            return __awaiter(this, void 0, void 0, function () {
                var now;
                var _this = this;
                return __generator(this, function (_a) {
                    now = new Date();
                    return [2 /*return*/, this.prisma.$transaction(function (tx) { return __awaiter(_this, void 0, void 0, function () {
                            var count, version, agent;
                            return __generator(this, function (_a) {
                                switch (_a.label) {
                                    case 0: return [4 /*yield*/, tx.agent.updateMany({
                                            where: { id: agentId, currentVersion: expectedVersion, archivedAt: null },
                                            data: { currentVersion: expectedVersion + 1, updatedAt: now },
                                        })];
                                    case 1:
                                        count = (_a.sent()).count;
                                        if (count === 0)
                                            return [2 /*return*/, null];
                                        return [4 /*yield*/, tx.agentVersion.create({ data: versionData(agentId, expectedVersion + 1, def, now) })];
                                    case 2:
                                        version = _a.sent();
                                        return [4 /*yield*/, tx.agent.findUniqueOrThrow({ where: { id: agentId } })];
                                    case 3:
                                        agent = _a.sent();
                                        return [2 /*return*/, { agent: agent, version: version }];
                                }
                            });
                        }); })];
                });
            });
        };
        AgentsRepository_1.prototype.archive = function (agentId) {
            return __awaiter(this, void 0, void 0, function () {
                var now;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0:
                            now = new Date();
                            return [4 /*yield*/, this.prisma.agent.updateMany({ where: { id: agentId, archivedAt: null }, data: { archivedAt: now, updatedAt: now } })];
                        case 1:
                            _a.sent();
                            return [2 /*return*/];
                    }
                });
            });
        };
        AgentsRepository_1.prototype.exists = function (workspaceId, id) {
            return __awaiter(this, void 0, void 0, function () {
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.prisma.agent.count({ where: { id: id, workspaceId: workspaceId } })];
                        case 1: return [2 /*return*/, (_a.sent()) > 0];
                    }
                });
            });
        };
        AgentsRepository_1.prototype.listSlice = function (workspaceId, filter, slice) {
            return __awaiter(this, void 0, void 0, function () {
                var agents, versions, byAgent;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.prisma.agent.findMany({
                                where: __assign(__assign(__assign({ workspaceId: workspaceId }, (filter.includeArchived ? {} : { archivedAt: null })), (filter.createdAt ? { createdAt: filter.createdAt } : {})), (slice.beyond ? { id: slice.order === 'asc' ? { gt: slice.beyond } : { lt: slice.beyond } } : {})),
                                orderBy: { id: slice.order },
                                take: slice.take,
                            })];
                        case 1:
                            agents = _a.sent();
                            if (agents.length === 0)
                                return [2 /*return*/, []];
                            return [4 /*yield*/, this.prisma.agentVersion.findMany({
                                    where: { OR: agents.map(function (a) { return ({ agentId: a.id, version: a.currentVersion }); }) },
                                })];
                        case 2:
                            versions = _a.sent();
                            byAgent = new Map(versions.map(function (v) { return [v.agentId, v]; }));
                            return [2 /*return*/, agents.map(function (agent) { return ({ agent: agent, version: byAgent.get(agent.id) }); })];
                    }
                });
            });
        };
        AgentsRepository_1.prototype.listVersionsSlice = function (agentId, slice) {
            return this.prisma.agentVersion.findMany({
                where: __assign({ agentId: agentId }, (slice.beyond !== undefined ? { version: slice.order === 'asc' ? { gt: slice.beyond } : { lt: slice.beyond } } : {})),
                orderBy: { version: slice.order },
                take: slice.take,
            });
        };
        return AgentsRepository_1;
    }());
    __setFunctionName(_classThis, "AgentsRepository");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        AgentsRepository = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return AgentsRepository = _classThis;
}();
exports.AgentsRepository = AgentsRepository;
