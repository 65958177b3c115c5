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
exports.EventsRepository = void 0;
var common_1 = require("@nestjs/common");
var EventsRepository = function () {
    var _classDecorators = [(0, common_1.Injectable)()];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var EventsRepository = _classThis = /** @class */ (function () {
        function EventsRepository_1(prisma, store) {
            this.prisma = prisma;
            this.store = store;
        }
        EventsRepository_1.prototype.pendingToolUses = function (tx, sessionId) {
            return __awaiter(this, void 0, void 0, function () {
                var idle, stop, asked, answered, done;
                var _a, _b;
                return __generator(this, function (_c) {
                    switch (_c.label) {
                        case 0: return [4 /*yield*/, tx.event.findFirst({ where: { sessionId: sessionId, type: 'session.status_idle' }, orderBy: { seq: 'desc' } })];
                        case 1:
                            idle = _c.sent();
                            stop = (_a = idle === null || idle === void 0 ? void 0 : idle.payload) === null || _a === void 0 ? void 0 : _a.stop_reason;
                            if (!idle || (stop === null || stop === void 0 ? void 0 : stop.type) !== 'requires_action' || !((_b = stop.event_ids) === null || _b === void 0 ? void 0 : _b.length))
                                return [2 /*return*/, new Map()];
                            return [4 /*yield*/, tx.event.findMany({ where: { sessionId: sessionId, id: { in: stop.event_ids } }, select: { id: true, type: true } })];
                        case 2:
                            asked = _c.sent();
                            return [4 /*yield*/, tx.event.findMany({
                                    where: { sessionId: sessionId, seq: { gt: idle.seq }, type: { in: ['user.custom_tool_result', 'user.tool_confirmation'] } },
                                    select: { payload: true },
                                })];
                        case 3:
                            answered = _c.sent();
                            done = new Set(answered.map(function (e) {
                                var _a;
                                var p = e.payload;
                                return (_a = p.custom_tool_use_id) !== null && _a !== void 0 ? _a : p.tool_use_id;
                            }));
                            return [2 /*return*/, new Map(asked.filter(function (e) { return !done.has(e.id); }).map(function (e) { return [e.id, e.type]; }))];
                    }
                });
            });
        };
        /**
         * Appends user events atomically: the session row is locked, `check` sees its state and may
         * throw to reject the whole request, and nothing is stored unless every event is accepted.
         * Returns null when the session does not exist.
         */
        EventsRepository_1.prototype.appendChecked = function (sessionId, events, check) {
            return __awaiter(this, void 0, void 0, function () {
                var rows;
                var _this = this;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.prisma.$transaction(function (tx) { return __awaiter(_this, void 0, void 0, function () {
                                var locked, _a;
                                var _b;
                                return __generator(this, function (_c) {
                                    switch (_c.label) {
                                        case 0: return [4 /*yield*/, tx.$queryRaw(templateObject_1 || (templateObject_1 = __makeTemplateObject(["SELECT archived_at FROM sessions WHERE id = ", " FOR UPDATE"], ["SELECT archived_at FROM sessions WHERE id = ", " FOR UPDATE"])), sessionId)];
                                        case 1:
                                            locked = _c.sent();
                                            if (locked.length === 0)
                                                return [2 /*return*/, null];
                                            _a = check;
                                            _b = { archived: locked[0].archived_at !== null };
                                            return [4 /*yield*/, this.pendingToolUses(tx, sessionId)];
                                        case 2:
                                            _a.apply(void 0, [(_b.pending = _c.sent(), _b)]);
                                            return [2 /*return*/, this.store.appendInTransaction(tx, sessionId, events)];
                                    }
                                });
                            }); })];
                        case 1:
                            rows = _a.sent();
                            if (!rows) return [3 /*break*/, 3];
                            return [4 /*yield*/, this.store.publish(rows)];
                        case 2:
                            _a.sent();
                            _a.label = 3;
                        case 3: return [2 /*return*/, rows];
                    }
                });
            });
        };
        /** The event's sequence number in this session, or undefined when it is not one of its events. */
        EventsRepository_1.prototype.seqOf = function (sessionId, eventId) {
            return __awaiter(this, void 0, void 0, function () {
                var row;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.prisma.event.findFirst({ where: { id: eventId, sessionId: sessionId }, select: { seq: true } })];
                        case 1:
                            row = _a.sent();
                            return [2 /*return*/, row === null || row === void 0 ? void 0 : row.seq];
                    }
                });
            });
        };
        EventsRepository_1.prototype.listSlice = function (sessionId, types, slice) {
            return this.prisma.event.findMany({
                where: __assign(__assign({ sessionId: sessionId }, (types ? { type: { in: types } } : {})), (slice.beyond !== undefined ? { seq: slice.order === 'asc' ? { gt: slice.beyond } : { lt: slice.beyond } } : {})),
                orderBy: { seq: slice.order },
                take: slice.take,
            });
        };
        return EventsRepository_1;
    }());
    __setFunctionName(_classThis, "EventsRepository");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        EventsRepository = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return EventsRepository = _classThis;
}();
exports.EventsRepository = EventsRepository;
var templateObject_1;
