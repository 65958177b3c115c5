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
exports.TokensService = exports.DEFAULT_WORKSPACE_ID = void 0;
var common_1 = require("@nestjs/common");
var auth_context_1 = require("./auth-context");
var token_secret_1 = require("./token-secret");
/** The workspace that STRATUS_BOOTSTRAP_TOKEN and a fresh laptop install use. */
exports.DEFAULT_WORKSPACE_ID = 'wksp_00000000000000000000000000000000';
var TOUCH_INTERVAL_MS = 60000;
/** Verifies tokens (with a short in-process cache), issues and revokes them. */
var TokensService = function () {
    var _classDecorators = [(0, common_1.Injectable)()];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var TokensService = _classThis = /** @class */ (function () {
        function TokensService_1(tokens, env) {
            this.tokens = tokens;
            this.env = env;
            this.cache = new Map();
            this.touchedAt = new Map();
        }
        /** The caller behind a token secret, or null for an unknown or revoked token. */
        TokensService_1.prototype.verify = function (secret) {
            return __awaiter(this, void 0, void 0, function () {
                var hash, now, cached, row, auth;
                var _a;
                return __generator(this, function (_b) {
                    switch (_b.label) {
                        case 0:
                            hash = (0, token_secret_1.hashToken)(secret);
                            now = Date.now();
                            cached = this.cache.get(hash);
                            if (cached && cached.expiresAt > now)
                                return [2 /*return*/, cached.auth];
                            return [4 /*yield*/, this.tokens.findActiveByHash(hash)];
                        case 1:
                            row = _b.sent();
                            auth = row ? { tokenId: row.id, workspaceId: row.workspaceId, scopes: row.scopes.filter(function (s) { return auth_context_1.ALL_SCOPES.includes(s); }) } : null;
                            if (this.env.AUTH_CACHE_TTL_MS > 0) {
                                if (this.cache.size > 10000)
                                    this.cache.clear();
                                this.cache.set(hash, { auth: auth, expiresAt: now + this.env.AUTH_CACHE_TTL_MS });
                            }
                            if (auth && now - ((_a = this.touchedAt.get(auth.tokenId)) !== null && _a !== void 0 ? _a : 0) > TOUCH_INTERVAL_MS) {
                                this.touchedAt.set(auth.tokenId, now);
                                // last_used_at is informational; a failed update must not fail the request.
                                this.tokens.touch(auth.tokenId, new Date(now)).catch(function () { return undefined; });
                            }
                            return [2 /*return*/, auth];
                    }
                });
            });
        };
        /** Creates a token and returns its secret, which is shown this once and never stored. */
        TokensService_1.prototype.issue = function (workspaceId_1, name_1) {
            return __awaiter(this, arguments, void 0, function (workspaceId, name, scopes) {
                var secret, row;
                if (scopes === void 0) { scopes = auth_context_1.ALL_SCOPES; }
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0:
                            secret = (0, token_secret_1.generateTokenSecret)();
                            return [4 /*yield*/, this.tokens.createToken({ workspaceId: workspaceId, name: name, tokenHash: (0, token_secret_1.hashToken)(secret), hint: (0, token_secret_1.tokenHint)(secret), scopes: scopes })];
                        case 1:
                            row = _a.sent();
                            return [2 /*return*/, { id: row.id, secret: secret }];
                    }
                });
            });
        };
        /** Makes STRATUS_BOOTSTRAP_TOKEN a valid token of the default workspace (idempotent). */
        TokensService_1.prototype.ensureBootstrapToken = function (secret) {
            return __awaiter(this, void 0, void 0, function () {
                var existing;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.tokens.ensureWorkspace(exports.DEFAULT_WORKSPACE_ID, 'default')];
                        case 1:
                            _a.sent();
                            return [4 /*yield*/, this.tokens.findByHash((0, token_secret_1.hashToken)(secret))];
                        case 2:
                            existing = _a.sent();
                            if (existing)
                                return [2 /*return*/];
                            return [4 /*yield*/, this.tokens.createToken({ workspaceId: exports.DEFAULT_WORKSPACE_ID, name: 'bootstrap', tokenHash: (0, token_secret_1.hashToken)(secret), hint: (0, token_secret_1.tokenHint)(secret), scopes: auth_context_1.ALL_SCOPES })];
                        case 3:
                            _a.sent();
                            return [2 /*return*/];
                    }
                });
            });
        };
        TokensService_1.prototype.createWorkspace = function (name) {
            return __awaiter(this, void 0, void 0, function () {
                return __generator(this, function (_a) {
                    return [2 /*return*/, this.tokens.createWorkspace(name)];
                });
            });
        };
        TokensService_1.prototype.revoke = function (tokenId) {
            this.cache.clear();
            return this.tokens.revoke(tokenId);
        };
        return TokensService_1;
    }());
    __setFunctionName(_classThis, "TokensService");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        TokensService = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return TokensService = _classThis;
}();
exports.TokensService = TokensService;
