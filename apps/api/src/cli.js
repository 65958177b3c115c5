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
require("reflect-metadata");
var node_util_1 = require("node:util");
var common_1 = require("@nestjs/common");
var core_1 = require("@nestjs/core");
var auth_context_1 = require("./auth/auth-context");
var tokens_repository_1 = require("./auth/tokens.repository");
var tokens_service_1 = require("./auth/tokens.service");
var dependencies_1 = require("./bootstrap/dependencies");
var env_1 = require("./config/env");
var infra_module_1 = require("./infra/infra.module");
var USAGE = "usage: stratus <command>\n\n  workspaces create --name NAME          create a workspace and print its first token (shown once)\n  tokens create --workspace ID [--name NAME] [--scope read|write ...]\n                                         issue a token for a workspace (shown once)\n  tokens list --workspace ID             list a workspace's tokens (never their secrets)\n  tokens revoke TOKEN_ID                 revoke a token (tok_\u2026)";
var CliModule = function () {
    var _classDecorators = [(0, common_1.Module)({})];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var CliModule = _classThis = /** @class */ (function () {
        function CliModule_1() {
        }
        CliModule_1.forRoot = function (env) {
            return { module: CliModule, imports: [infra_module_1.InfraModule.forRoot(env)], providers: [tokens_repository_1.TokensRepository, tokens_service_1.TokensService] };
        };
        return CliModule_1;
    }());
    __setFunctionName(_classThis, "CliModule");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        CliModule = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return CliModule = _classThis;
}();
function fail(message) {
    process.stderr.write("".concat(message, "\n\n").concat(USAGE, "\n"));
    process.exit(2);
}
function main(argv) {
    return __awaiter(this, void 0, void 0, function () {
        var _a, values, positionals, group, command, arg, env, app, tokens, repository, scopes, workspaceId, token, token, _i, _b, t;
        var _c, _d;
        return __generator(this, function (_e) {
            switch (_e.label) {
                case 0:
                    _a = (0, node_util_1.parseArgs)({
                        args: argv,
                        allowPositionals: true,
                        options: { name: { type: 'string' }, workspace: { type: 'string' }, scope: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
                    }), values = _a.values, positionals = _a.positionals;
                    group = positionals[0], command = positionals[1], arg = positionals[2];
                    if (values.help || !group) {
                        process.stdout.write("".concat(USAGE, "\n"));
                        return [2 /*return*/];
                    }
                    env = (0, env_1.parseApiEnv)(process.env);
                    return [4 /*yield*/, (0, dependencies_1.checkPostgres)(env.DATABASE_URL)];
                case 1:
                    _e.sent();
                    return [4 /*yield*/, (0, dependencies_1.applyMigrations)(env.DATABASE_URL, function (m) { return process.stderr.write("".concat(m, "\n")); })];
                case 2:
                    _e.sent();
                    return [4 /*yield*/, core_1.NestFactory.createApplicationContext(CliModule.forRoot(env), { logger: ['error'] })];
                case 3:
                    app = _e.sent();
                    _e.label = 4;
                case 4:
                    _e.trys.push([4, , 19, 21]);
                    tokens = app.get(tokens_service_1.TokensService);
                    repository = app.get(tokens_repository_1.TokensRepository);
                    scopes = ((_c = values.scope) !== null && _c !== void 0 ? _c : auth_context_1.ALL_SCOPES);
                    if (scopes.some(function (s) { return !auth_context_1.ALL_SCOPES.includes(s); }))
                        fail("--scope must be one of ".concat(auth_context_1.ALL_SCOPES.join(', ')));
                    if (!(group === 'workspaces' && command === 'create')) return [3 /*break*/, 7];
                    if (!values.name)
                        fail('--name is required');
                    return [4 /*yield*/, tokens.createWorkspace(values.name)];
                case 5:
                    workspaceId = _e.sent();
                    return [4 /*yield*/, tokens.issue(workspaceId, 'default', scopes)];
                case 6:
                    token = _e.sent();
                    process.stdout.write("workspace ".concat(workspaceId, "\ntoken ").concat(token.id, "\n").concat(token.secret, "\n"));
                    process.stderr.write('Store the token now: it is shown once and only its hash is kept.\n');
                    return [3 /*break*/, 18];
                case 7:
                    if (!(group === 'tokens' && command === 'create')) return [3 /*break*/, 10];
                    if (!values.workspace)
                        fail('--workspace is required');
                    return [4 /*yield*/, repository.workspaceExists(values.workspace)];
                case 8:
                    if (!(_e.sent()))
                        fail("no workspace ".concat(values.workspace));
                    return [4 /*yield*/, tokens.issue(values.workspace, (_d = values.name) !== null && _d !== void 0 ? _d : 'token', scopes)];
                case 9:
                    token = _e.sent();
                    process.stdout.write("token ".concat(token.id, "\n").concat(token.secret, "\n"));
                    return [3 /*break*/, 18];
                case 10:
                    if (!(group === 'tokens' && command === 'list')) return [3 /*break*/, 15];
                    if (!values.workspace)
                        fail('--workspace is required');
                    _i = 0;
                    return [4 /*yield*/, repository.listTokens(values.workspace)];
                case 11:
                    _b = _e.sent();
                    _e.label = 12;
                case 12:
                    if (!(_i < _b.length)) return [3 /*break*/, 14];
                    t = _b[_i];
                    process.stdout.write("".concat(t.id, "\t").concat(t.hint, "\u2026\t").concat(t.name, "\t").concat(t.scopes.join(','), "\t").concat(t.revokedAt ? "revoked ".concat(t.revokedAt.toISOString()) : 'active', "\n"));
                    _e.label = 13;
                case 13:
                    _i++;
                    return [3 /*break*/, 12];
                case 14: return [3 /*break*/, 18];
                case 15:
                    if (!(group === 'tokens' && command === 'revoke')) return [3 /*break*/, 17];
                    if (!arg)
                        fail('the token id (tok_…) is required');
                    return [4 /*yield*/, tokens.revoke(arg)];
                case 16:
                    if (!(_e.sent()))
                        fail("no token ".concat(arg));
                    process.stdout.write("revoked ".concat(arg, "\n"));
                    return [3 /*break*/, 18];
                case 17:
                    fail("unknown command: ".concat(positionals.join(' ')));
                    _e.label = 18;
                case 18: return [3 /*break*/, 21];
                case 19: return [4 /*yield*/, app.close()];
                case 20:
                    _e.sent();
                    return [7 /*endfinally*/];
                case 21: return [2 /*return*/];
            }
        });
    });
}
main(process.argv.slice(2)).catch(function (error) {
    process.stderr.write("stratus: ".concat(error.message, "\n"));
    process.exit(1);
});
