"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.parseApiEnv = exports.exitOnStartupError = exports.startHttp = exports.prepare = exports.API_PREFIX = exports.ApiModule = void 0;
/**
 * @module @stratus/api
 * The control-plane API as a module, so the all-in-one process can compose it with the gateway
 * and the worker.
 */
var api_module_1 = require("./api.module");
Object.defineProperty(exports, "ApiModule", { enumerable: true, get: function () { return api_module_1.ApiModule; } });
var create_app_1 = require("./http/create-app");
Object.defineProperty(exports, "API_PREFIX", { enumerable: true, get: function () { return create_app_1.API_PREFIX; } });
var start_api_1 = require("./bootstrap/start-api");
Object.defineProperty(exports, "prepare", { enumerable: true, get: function () { return start_api_1.prepare; } });
Object.defineProperty(exports, "startHttp", { enumerable: true, get: function () { return start_api_1.startHttp; } });
Object.defineProperty(exports, "exitOnStartupError", { enumerable: true, get: function () { return start_api_1.exitOnStartupError; } });
var env_1 = require("./config/env");
Object.defineProperty(exports, "parseApiEnv", { enumerable: true, get: function () { return env_1.parseApiEnv; } });
