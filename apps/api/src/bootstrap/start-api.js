"use strict";
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
Object.defineProperty(exports, "__esModule", { value: true });
exports.prepare = prepare;
exports.startHttp = startHttp;
exports.startApi = startApi;
exports.exitOnStartupError = exitOnStartupError;
var api_module_1 = require("../api.module");
var tokens_service_1 = require("../auth/tokens.service");
var logger_1 = require("../common/logger");
var env_1 = require("../config/env");
var create_app_1 = require("../http/create-app");
var dependencies_1 = require("./dependencies");
/**
 * Prepares what every Stratus process needs before it serves: the environment, reachable
 * PostgreSQL and Redis, an up-to-date schema and the bootstrap token.
 */
function prepare(processEnv) {
    return __awaiter(this, void 0, void 0, function () {
        var env, logger;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0:
                    env = (0, env_1.parseApiEnv)(processEnv);
                    logger = (0, logger_1.createLogger)(env.LOG_LEVEL);
                    return [4 /*yield*/, (0, dependencies_1.checkPostgres)(env.DATABASE_URL)];
                case 1:
                    _a.sent();
                    return [4 /*yield*/, (0, dependencies_1.checkRedis)(env.REDIS_URL)];
                case 2:
                    _a.sent();
                    if (!env.MIGRATE_ON_START) return [3 /*break*/, 4];
                    return [4 /*yield*/, (0, dependencies_1.applyMigrations)(env.DATABASE_URL, function (m) { return logger.info(m); })];
                case 3:
                    _a.sent();
                    _a.label = 4;
                case 4: return [2 /*return*/, { env: env, logger: logger }];
            }
        });
    });
}
/** Builds and starts an HTTP app for a root module composed from ApiModule (and more). */
function startHttp(rootModule, env, logger) {
    return __awaiter(this, void 0, void 0, function () {
        var app, address, port, url;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, (0, create_app_1.createHttpApp)(rootModule, { bodyLimit: env.BODY_LIMIT_BYTES, logger: logger })];
                case 1:
                    app = _a.sent();
                    return [4 /*yield*/, app.init()];
                case 2:
                    _a.sent();
                    if (!env.STRATUS_BOOTSTRAP_TOKEN) return [3 /*break*/, 4];
                    return [4 /*yield*/, app.get(tokens_service_1.TokensService).ensureBootstrapToken(env.STRATUS_BOOTSTRAP_TOKEN)];
                case 3:
                    _a.sent();
                    _a.label = 4;
                case 4: return [4 /*yield*/, app.listen({ port: env.PORT, host: env.HOST })];
                case 5:
                    _a.sent();
                    address = app.getHttpServer().address();
                    port = typeof address === 'object' && address ? address.port : env.PORT;
                    url = "http://".concat(env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST, ":").concat(port);
                    return [2 /*return*/, { app: app, env: env, logger: logger, url: url }];
            }
        });
    });
}
/** The API alone (its own deployable). */
function startApi() {
    return __awaiter(this, arguments, void 0, function (processEnv) {
        var _a, env, logger;
        if (processEnv === void 0) { processEnv = process.env; }
        return __generator(this, function (_b) {
            switch (_b.label) {
                case 0: return [4 /*yield*/, prepare(processEnv)];
                case 1:
                    _a = _b.sent(), env = _a.env, logger = _a.logger;
                    return [2 /*return*/, startHttp(api_module_1.ApiModule.forRoot(env), env, logger)];
            }
        });
    });
}
/** Prints a start-up failure for a person and exits non-zero. */
function exitOnStartupError(error) {
    var _a;
    var message = error instanceof dependencies_1.StartupError || (error instanceof Error && error.message.startsWith('invalid configuration')) ? error.message : String((_a = error === null || error === void 0 ? void 0 : error.stack) !== null && _a !== void 0 ? _a : error);
    process.stderr.write("stratus: cannot start: ".concat(message, "\n"));
    process.exit(1);
}
