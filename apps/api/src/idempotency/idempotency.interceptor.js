"use strict";
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
exports.IdempotencyInterceptor = void 0;
var node_crypto_1 = require("node:crypto");
var common_1 = require("@nestjs/common");
var rxjs_1 = require("rxjs");
var api_error_1 = require("../common/api-error");
var error_response_1 = require("../common/error-response");
var TTL_MS = 24 * 60 * 60 * 1000;
var MAX_KEY_LENGTH = 255;
/** Fingerprint of what the request asks for: the same key with another request is a conflict. */
function fingerprint(request) {
    var _a;
    return (0, node_crypto_1.createHash)('sha256')
        .update(request.method)
        .update('\0')
        .update(request.url.split('?')[0])
        .update('\0')
        .update(JSON.stringify((_a = request.body) !== null && _a !== void 0 ? _a : null))
        .digest('hex');
}
/**
 * Idempotency-Key on POST and DELETE, scoped per token and kept 24 h: the same key and request
 * replay the first response (header `idempotent-replayed: true`) without repeating the action;
 * another request under the key, or one while the first is still in flight, is a 409.
 * Responses to client errors are remembered too; a failure on our side (5xx) is forgotten so
 * that the client's retry runs again.
 */
var IdempotencyInterceptor = function () {
    var _classDecorators = [(0, common_1.Injectable)()];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var IdempotencyInterceptor = _classThis = /** @class */ (function () {
        function IdempotencyInterceptor_1(keys) {
            this.keys = keys;
        }
        IdempotencyInterceptor_1.prototype.intercept = function (context, next) {
            var request = context.switchToHttp().getRequest();
            var raw = request.headers['idempotency-key'];
            if (raw === undefined || !request.auth || (request.method !== 'POST' && request.method !== 'DELETE'))
                return next.handle();
            var reply = context.switchToHttp().getResponse();
            return (0, rxjs_1.from)(this.run(request, reply, Array.isArray(raw) ? raw[0] : raw, next));
        };
        IdempotencyInterceptor_1.prototype.run = function (request, reply, key, next) {
            return __awaiter(this, void 0, void 0, function () {
                var tokenId, hash, held, body, error_1, response;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0:
                            if (key.length === 0 || key.length > MAX_KEY_LENGTH)
                                throw (0, api_error_1.invalidRequest)("Idempotency-Key must be 1 to ".concat(MAX_KEY_LENGTH, " characters."), 'Idempotency-Key');
                            tokenId = request.auth.tokenId;
                            hash = fingerprint(request);
                            return [4 /*yield*/, this.keys.claim(tokenId, key, hash, TTL_MS)];
                        case 1:
                            held = _a.sent();
                            if (held) {
                                if (held.requestHash !== hash)
                                    throw (0, api_error_1.conflict)('Idempotency key reused with a different request body.', 'Idempotency-Key');
                                if (held.responseStatus === null)
                                    throw (0, api_error_1.conflict)('A request with this Idempotency-Key is still in progress.', 'Idempotency-Key');
                                void reply.status(held.responseStatus).header('idempotent-replayed', 'true');
                                return [2 /*return*/, held.responseBody];
                            }
                            _a.label = 2;
                        case 2:
                            _a.trys.push([2, 5, , 10]);
                            return [4 /*yield*/, (0, rxjs_1.lastValueFrom)(next.handle(), { defaultValue: undefined })];
                        case 3:
                            body = _a.sent();
                            return [4 /*yield*/, this.keys.complete(tokenId, key, reply.statusCode, body)];
                        case 4:
                            _a.sent();
                            return [2 /*return*/, body];
                        case 5:
                            error_1 = _a.sent();
                            response = (0, error_response_1.toErrorResponse)(error_1, request.id);
                            if (!(response.status >= 500)) return [3 /*break*/, 7];
                            return [4 /*yield*/, this.keys.release(tokenId, key).catch(function () { return undefined; })];
                        case 6:
                            _a.sent();
                            return [3 /*break*/, 9];
                        case 7: return [4 /*yield*/, this.keys.complete(tokenId, key, response.status, response.body)];
                        case 8:
                            _a.sent();
                            _a.label = 9;
                        case 9: throw error_1;
                        case 10: return [2 /*return*/];
                    }
                });
            });
        };
        return IdempotencyInterceptor_1;
    }());
    __setFunctionName(_classThis, "IdempotencyInterceptor");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        IdempotencyInterceptor = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return IdempotencyInterceptor = _classThis;
}();
exports.IdempotencyInterceptor = IdempotencyInterceptor;
