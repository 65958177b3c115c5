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
exports.API_PREFIX = void 0;
exports.createHttpApp = createHttpApp;
var common_1 = require("@nestjs/common");
var core_1 = require("@nestjs/core");
var platform_fastify_1 = require("@nestjs/platform-fastify");
var db_1 = require("@stratus/db");
var api_error_1 = require("../common/api-error");
var logger_1 = require("../common/logger");
/** Every public route lives under this prefix. */
exports.API_PREFIX = 'api/v1/cloud';
/** Routes outside the prefix: probes and the reference page. */
var UNPREFIXED = [
    { path: 'healthz', method: common_1.RequestMethod.GET },
    { path: 'readyz', method: common_1.RequestMethod.GET },
    { path: 'docs', method: common_1.RequestMethod.GET },
    { path: 'docs/assets/:file', method: common_1.RequestMethod.GET },
];
/**
 * JSON is assumed whatever the Content-Type says (Qoder makes the header optional), an empty
 * body is no body (SDKs send `content-type: application/json` on body-less POSTs), and bad JSON
 * is a 400 in the public envelope.
 */
function registerJsonParser(fastify) {
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', { parseAs: 'string' }, function (_request, body, done) {
        var text = String(body);
        if (text.trim() === '')
            return done(null, undefined);
        try {
            done(null, JSON.parse(text));
        }
        catch (_a) {
            done((0, api_error_1.invalidRequest)('Request body must be valid JSON.'), undefined);
        }
    });
}
/**
 * Creates the Fastify-based Nest application for a root module (the API alone, or the all-in-one
 * composition), with request ids, the JSON parser and the route prefix set up identically.
 */
function createHttpApp(rootModule, options) {
    return __awaiter(this, void 0, void 0, function () {
        var adapter, fastify, app;
        var _this = this;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0:
                    adapter = new platform_fastify_1.FastifyAdapter({
                        bodyLimit: options.bodyLimit,
                        genReqId: function () { return (0, db_1.newId)('request'); },
                        requestIdHeader: false,
                        disableRequestLogging: true,
                        // Node's own timeout would cut long-lived SSE streams.
                        requestTimeout: 0,
                    });
                    fastify = adapter.getInstance();
                    registerJsonParser(fastify);
                    fastify.addHook('onRequest', function (request, reply) { return __awaiter(_this, void 0, void 0, function () {
                        return __generator(this, function (_a) {
                            void reply.header('request-id', request.id);
                            return [2 /*return*/];
                        });
                    }); });
                    return [4 /*yield*/, core_1.NestFactory.create(rootModule, adapter, {
                            logger: new logger_1.PinoNestLogger(options.logger),
                            bufferLogs: false,
                        })];
                case 1:
                    app = _a.sent();
                    app.setGlobalPrefix(exports.API_PREFIX, { exclude: UNPREFIXED });
                    app.enableShutdownHooks();
                    return [2 /*return*/, app];
            }
        });
    });
}
