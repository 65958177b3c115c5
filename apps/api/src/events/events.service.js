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
exports.EventsService = void 0;
var common_1 = require("@nestjs/common");
var contracts_1 = require("@stratus/contracts");
var events_1 = require("@stratus/events");
var api_error_1 = require("../common/api-error");
var pagination_1 = require("../common/pagination");
var query_1 = require("../common/query");
var validation_1 = require("../common/validation");
function toNewEvent(input) {
    switch (input.type) {
        case 'user.message':
            return { type: input.type, payload: { content: (0, contracts_1.toContentBlocks)(input.content) } };
        case 'user.interrupt':
            return { type: input.type, payload: {} };
        case 'user.custom_tool_result':
            return { type: input.type, payload: { custom_tool_use_id: input.custom_tool_use_id, content: (0, contracts_1.toContentBlocks)(input.content), is_error: input.is_error } };
        case 'user.tool_confirmation':
            return { type: input.type, payload: __assign({ tool_use_id: input.tool_use_id, result: input.result }, (input.deny_message !== undefined ? { deny_message: input.deny_message } : {})) };
    }
}
/** Rejects the request unless every answer matches a tool use that is still waiting for it. */
function checkSend(inputs, state) {
    if (state.archived)
        throw (0, api_error_1.conflict)('The session is archived; it accepts no new events.');
    var answered = new Set();
    inputs.forEach(function (input, i) {
        if (input.type !== 'user.custom_tool_result' && input.type !== 'user.tool_confirmation')
            return;
        var _a = input.type === 'user.custom_tool_result'
            ? [input.custom_tool_use_id, 'agent.custom_tool_use', "events.".concat(i, ".custom_tool_use_id")]
            : [input.tool_use_id, 'agent.tool_use', "events.".concat(i, ".tool_use_id")], id = _a[0], expected = _a[1], param = _a[2];
        if (state.pending.get(id) !== expected || answered.has(id)) {
            throw (0, api_error_1.conflict)("".concat(id, " is not a pending ").concat(expected, " of this session."), param);
        }
        answered.add(id);
    });
}
var EventsService = function () {
    var _classDecorators = [(0, common_1.Injectable)()];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var EventsService = _classThis = /** @class */ (function () {
        function EventsService_1(events, sessions) {
            this.events = events;
            this.sessions = sessions;
        }
        /** Validates and stores the client's events atomically: all of them, or none. */
        EventsService_1.prototype.send = function (workspaceId, sessionId, body) {
            return __awaiter(this, void 0, void 0, function () {
                var input, rows;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0:
                            input = (0, validation_1.parseOrThrow)(contracts_1.SendEventsRequest, body);
                            return [4 /*yield*/, this.sessions.exists(workspaceId, sessionId)];
                        case 1:
                            if (!(_a.sent()))
                                throw (0, api_error_1.notFound)('Session', sessionId);
                            return [4 /*yield*/, this.events.appendChecked(sessionId, input.events.map(toNewEvent), function (state) { return checkSend(input.events, state); })];
                        case 2:
                            rows = _a.sent();
                            if (!rows)
                                throw (0, api_error_1.notFound)('Session', sessionId);
                            return [2 /*return*/, { data: rows.map(events_1.toPublicEvent) }];
                    }
                });
            });
        };
        EventsService_1.prototype.list = function (workspaceId, sessionId, query) {
            return __awaiter(this, void 0, void 0, function () {
                var params, types, page;
                var _this = this;
                var _a;
                return __generator(this, function (_b) {
                    switch (_b.label) {
                        case 0:
                            params = (0, pagination_1.parseListParams)(query, 'asc');
                            types = (_a = (0, query_1.enumArrayParam)(query, 'types', contracts_1.EVENT_TYPES)) !== null && _a !== void 0 ? _a : (0, query_1.enumArrayParam)(query, 'type', contracts_1.EVENT_TYPES);
                            return [4 /*yield*/, this.sessions.exists(workspaceId, sessionId)];
                        case 1:
                            if (!(_b.sent()))
                                throw (0, api_error_1.notFound)('Session', sessionId);
                            return [4 /*yield*/, (0, pagination_1.paginate)(params, function (row) { return row.id; }, function (cursorId) { return _this.events.seqOf(sessionId, cursorId); }, function (slice) { return _this.events.listSlice(sessionId, types, slice); })];
                        case 2:
                            page = _b.sent();
                            return [2 /*return*/, __assign(__assign({}, page), { data: page.data.map(events_1.toPublicEvent) })];
                    }
                });
            });
        };
        return EventsService_1;
    }());
    __setFunctionName(_classThis, "EventsService");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        EventsService = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return EventsService = _classThis;
}();
exports.EventsService = EventsService;
