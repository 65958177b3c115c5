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
Object.defineProperty(exports, "__esModule", { value: true });
exports.PinoNestLogger = void 0;
exports.createLogger = createLogger;
var pino_1 = require("pino");
/** The process's structured logger (JSON lines). */
function createLogger(level) {
    return (0, pino_1.default)({ level: level, base: { service: 'stratus' }, timestamp: pino_1.default.stdTimeFunctions.isoTime });
}
/** Routes NestJS's own log calls into pino, so every line is structured. */
var PinoNestLogger = /** @class */ (function () {
    function PinoNestLogger(logger) {
        this.logger = logger;
    }
    PinoNestLogger.prototype.write = function (level, message, rest) {
        var context = typeof rest.at(-1) === 'string' ? rest.at(-1) : undefined;
        if (typeof message === 'object' && message !== null)
            this.logger[level](__assign({ context: context }, message));
        else
            this.logger[level]({ context: context }, String(message));
    };
    PinoNestLogger.prototype.log = function (message) {
        var rest = [];
        for (var _i = 1; _i < arguments.length; _i++) {
            rest[_i - 1] = arguments[_i];
        }
        this.write('info', message, rest);
    };
    PinoNestLogger.prototype.error = function (message) {
        var rest = [];
        for (var _i = 1; _i < arguments.length; _i++) {
            rest[_i - 1] = arguments[_i];
        }
        this.write('error', message, rest);
    };
    PinoNestLogger.prototype.warn = function (message) {
        var rest = [];
        for (var _i = 1; _i < arguments.length; _i++) {
            rest[_i - 1] = arguments[_i];
        }
        this.write('warn', message, rest);
    };
    PinoNestLogger.prototype.debug = function (message) {
        var rest = [];
        for (var _i = 1; _i < arguments.length; _i++) {
            rest[_i - 1] = arguments[_i];
        }
        this.write('debug', message, rest);
    };
    PinoNestLogger.prototype.verbose = function (message) {
        var rest = [];
        for (var _i = 1; _i < arguments.length; _i++) {
            rest[_i - 1] = arguments[_i];
        }
        this.write('trace', message, rest);
    };
    return PinoNestLogger;
}());
exports.PinoNestLogger = PinoNestLogger;
