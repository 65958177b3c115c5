"use strict";
var __makeTemplateObject = (this && this.__makeTemplateObject) || function (cooked, raw) {
    if (Object.defineProperty) { Object.defineProperty(cooked, "raw", { value: raw }); } else { cooked.raw = raw; }
    return cooked;
};
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
exports.SessionsRepository = void 0;
var common_1 = require("@nestjs/common");
var db_1 = require("@stratus/db");
var WITH_AGENT = { agentVersionRef: { include: { agent: true } } };
var SessionsRepository = function () {
    var _classDecorators = [(0, common_1.Injectable)()];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var SessionsRepository = _classThis = /** @class */ (function () {
        function SessionsRepository_1(prisma, events) {
            this.prisma = prisma;
            this.events = events;
        }
        /**
         * Creates the session and its initial events in one transaction. The environment is share-locked
         * so that it cannot be deleted concurrently; returns null when it is gone or archived by then.
         */
        SessionsRepository_1.prototype.create = function (input) {
            return __awaiter(this, void 0, void 0, function () {
                var id, now, result;
                var _this = this;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0:
                            id = (0, db_1.newId)('session');
                            now = new Date();
                            return [4 /*yield*/, this.prisma.$transaction(function (tx) { return __awaiter(_this, void 0, void 0, function () {
                                    var env, events, _a, session;
                                    return __generator(this, function (_b) {
                                        switch (_b.label) {
                                            case 0: return [4 /*yield*/, tx.$queryRaw(templateObject_1 || (templateObject_1 = __makeTemplateObject(["\n        SELECT id FROM environments WHERE id = ", " AND workspace_id = ", " AND archived_at IS NULL FOR SHARE"], ["\n        SELECT id FROM environments WHERE id = ", " AND workspace_id = ", " AND archived_at IS NULL FOR SHARE"])), input.environmentId, input.workspaceId)];
                                            case 1:
                                                env = _b.sent();
                                                if (env.length === 0)
                                                    return [2 /*return*/, null];
                                                return [4 /*yield*/, tx.session.create({
                                                        data: {
                                                            id: id,
                                                            workspaceId: input.workspaceId,
                                                            agentId: input.agentId,
                                                            agentVersion: input.agentVersion,
                                                            environmentId: input.environmentId,
                                                            title: input.title,
                                                            metadata: input.metadata,
                                                            environmentVariables: input.environmentVariables,
                                                            createdAt: now,
                                                            updatedAt: now,
                                                        },
                                                    })];
                                            case 2:
                                                _b.sent();
                                                if (!input.initialEvents.length) return [3 /*break*/, 4];
                                                return [4 /*yield*/, this.events.appendInTransaction(tx, id, input.initialEvents)];
                                            case 3:
                                                _a = _b.sent();
                                                return [3 /*break*/, 5];
                                            case 4:
                                                _a = [];
                                                _b.label = 5;
                                            case 5:
                                                events = _a;
                                                return [4 /*yield*/, tx.session.findUniqueOrThrow({ where: { id: id }, include: WITH_AGENT })];
                                            case 6:
                                                session = _b.sent();
                                                return [2 /*return*/, { session: session, events: events }];
                                        }
                                    });
                                }); })];
                        case 1:
                            result = _a.sent();
                            if (!result) return [3 /*break*/, 3];
                            return [4 /*yield*/, this.events.publish(result.events)];
                        case 2:
                            _a.sent();
                            _a.label = 3;
                        case 3: return [2 /*return*/, result];
                    }
                });
            });
        };
        SessionsRepository_1.prototype.find = function (workspaceId, id) {
            return this.prisma.session.findFirst({ where: { id: id, workspaceId: workspaceId }, include: WITH_AGENT });
        };
        SessionsRepository_1.prototype.exists = function (workspaceId, id) {
            return __awaiter(this, void 0, void 0, function () {
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.prisma.session.count({ where: { id: id, workspaceId: workspaceId } })];
                        case 1: return [2 /*return*/, (_a.sent()) > 0];
                    }
                });
            });
        };
        SessionsRepository_1.prototype.update = function (id, data) {
            return this.prisma.session.update({ where: { id: id }, data: __assign(__assign({}, data), { updatedAt: new Date() }), include: WITH_AGENT });
        };
        /** Archives an idle session; returns false when it is busy (processing or canceling). */
        SessionsRepository_1.prototype.archiveIfIdle = function (id) {
            return __awaiter(this, void 0, void 0, function () {
                var now, count;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0:
                            now = new Date();
                            return [4 /*yield*/, this.prisma.session.updateMany({ where: { id: id, status: 'idle' }, data: { archivedAt: now, updatedAt: now } })];
                        case 1:
                            count = (_a.sent()).count;
                            return [2 /*return*/, count > 0];
                    }
                });
            });
        };
        /** processing → canceling. Returns the status the session has afterwards. */
        SessionsRepository_1.prototype.requestCancel = function (id) {
            return __awaiter(this, void 0, void 0, function () {
                var row;
                var _a;
                return __generator(this, function (_b) {
                    switch (_b.label) {
                        case 0: return [4 /*yield*/, this.prisma.session.updateMany({ where: { id: id, status: 'processing' }, data: { status: 'canceling', updatedAt: new Date() } })];
                        case 1:
                            _b.sent();
                            return [4 /*yield*/, this.prisma.session.findUnique({ where: { id: id }, select: { status: true } })];
                        case 2:
                            row = _b.sent();
                            return [2 /*return*/, (_a = row === null || row === void 0 ? void 0 : row.status) !== null && _a !== void 0 ? _a : null];
                    }
                });
            });
        };
        /** Deletes the session and, by cascade, its events. Returns the last sequence number it had. */
        SessionsRepository_1.prototype.delete = function (id) {
            return __awaiter(this, void 0, void 0, function () {
                var rows;
                var _a, _b;
                return __generator(this, function (_c) {
                    switch (_c.label) {
                        case 0: return [4 /*yield*/, this.prisma.$queryRaw(templateObject_2 || (templateObject_2 = __makeTemplateObject(["DELETE FROM sessions WHERE id = ", " RETURNING last_seq"], ["DELETE FROM sessions WHERE id = ", " RETURNING last_seq"])), id)];
                        case 1:
                            rows = _c.sent();
                            return [2 /*return*/, (_b = (_a = rows[0]) === null || _a === void 0 ? void 0 : _a.last_seq) !== null && _b !== void 0 ? _b : null];
                    }
                });
            });
        };
        SessionsRepository_1.prototype.listSlice = function (workspaceId, filter, slice) {
            var where = __assign(__assign(__assign(__assign(__assign({ workspaceId: workspaceId }, (filter.includeArchived ? {} : { archivedAt: null })), (filter.agentId ? { agentId: filter.agentId } : {})), (filter.statuses ? { status: { in: filter.statuses } } : {})), (filter.createdAt ? { createdAt: filter.createdAt } : {})), (slice.beyond ? { id: slice.order === 'asc' ? { gt: slice.beyond } : { lt: slice.beyond } } : {}));
            return this.prisma.session.findMany({ where: where, orderBy: { id: slice.order }, take: slice.take, include: WITH_AGENT });
        };
        return SessionsRepository_1;
    }());
    __setFunctionName(_classThis, "SessionsRepository");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        SessionsRepository = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return SessionsRepository = _classThis;
}();
exports.SessionsRepository = SessionsRepository;
var templateObject_1, templateObject_2;
