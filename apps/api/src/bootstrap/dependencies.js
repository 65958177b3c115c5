"use strict";
var __extends = (this && this.__extends) || (function () {
    var extendStatics = function (d, b) {
        extendStatics = Object.setPrototypeOf ||
            ({ __proto__: [] } instanceof Array && function (d, b) { d.__proto__ = b; }) ||
            function (d, b) { for (var p in b) if (Object.prototype.hasOwnProperty.call(b, p)) d[p] = b[p]; };
        return extendStatics(d, b);
    };
    return function (d, b) {
        if (typeof b !== "function" && b !== null)
            throw new TypeError("Class extends value " + String(b) + " is not a constructor or null");
        extendStatics(d, b);
        function __() { this.constructor = d; }
        d.prototype = b === null ? Object.create(b) : (__.prototype = b.prototype, new __());
    };
})();
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
exports.StartupError = void 0;
exports.checkPostgres = checkPostgres;
exports.checkRedis = checkRedis;
exports.applyMigrations = applyMigrations;
var db_1 = require("@stratus/db");
var ioredis_1 = require("ioredis");
/** A start-up failure with a message meant for the person starting the process. */
var StartupError = /** @class */ (function (_super) {
    __extends(StartupError, _super);
    function StartupError() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return StartupError;
}(Error));
exports.StartupError = StartupError;
function redact(url) {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
/** Fails with a clear message, naming the URL and how to start it, when PostgreSQL is unreachable. */
function checkPostgres(url) {
    return __awaiter(this, void 0, void 0, function () {
        var error_1;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0:
                    _a.trys.push([0, 2, , 3]);
                    return [4 /*yield*/, (0, db_1.ensureDatabase)(url)];
                case 1:
                    _a.sent();
                    return [3 /*break*/, 3];
                case 2:
                    error_1 = _a.sent();
                    throw new StartupError("PostgreSQL is not reachable at ".concat(redact(url), " (").concat(error_1.message, ").\n") +
                        "Start PostgreSQL 14+ (for example: docker compose -f deploy/compose/docker-compose.yml up -d postgres) or set DATABASE_URL.");
                case 3: return [2 /*return*/];
            }
        });
    });
}
/** Fails with a clear message, naming the URL and how to start it, when Redis is unreachable. */
function checkRedis(url) {
    return __awaiter(this, void 0, void 0, function () {
        var redis, error_2;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0:
                    redis = new ioredis_1.Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: function () { return null; }, connectTimeout: 3000 });
                    redis.on('error', function () { return undefined; });
                    _a.label = 1;
                case 1:
                    _a.trys.push([1, 4, 5, 6]);
                    return [4 /*yield*/, redis.connect()];
                case 2:
                    _a.sent();
                    return [4 /*yield*/, redis.ping()];
                case 3:
                    _a.sent();
                    return [3 /*break*/, 6];
                case 4:
                    error_2 = _a.sent();
                    throw new StartupError("Redis is not reachable at ".concat(redact(url), " (").concat(error_2.message, ").\n") +
                        "Start Redis 7 (for example: docker compose -f deploy/compose/docker-compose.yml up -d redis, or redis-server --port 6379) or set REDIS_URL.");
                case 5:
                    redis.disconnect();
                    return [7 /*endfinally*/];
                case 6: return [2 /*return*/];
            }
        });
    });
}
/** Applies pending migrations, reporting what it did. */
function applyMigrations(url, log) {
    return __awaiter(this, void 0, void 0, function () {
        var result;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0: return [4 /*yield*/, (0, db_1.migrate)(url)];
                case 1:
                    result = _a.sent();
                    if (result.applied.length)
                        log("applied migrations: ".concat(result.applied.join(', ')));
                    return [2 /*return*/];
            }
        });
    });
}
