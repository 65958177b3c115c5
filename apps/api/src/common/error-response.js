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
exports.isDependencyUnavailable = isDependencyUnavailable;
exports.toErrorResponse = toErrorResponse;
var common_1 = require("@nestjs/common");
var contracts_1 = require("@stratus/contracts");
var api_error_1 = require("./api-error");
var CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'P1001', 'P1002', 'P1017', '57P01', '57P03', '53300']);
/** True when the error says PostgreSQL or Redis cannot be reached, which is retryable (503). */
function isDependencyUnavailable(error) {
    for (var e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = e.cause, depth++) {
        var _a = e, code = _a.code, name_1 = _a.name, message = _a.message;
        if (typeof code === 'string' && CONNECTION_CODES.has(code))
            return true;
        if (name_1 === 'PrismaClientInitializationError' || name_1 === 'MaxRetriesPerRequestError')
            return true;
        if (typeof message === 'string' && /Connection is closed|connect ECONNREFUSED|Can't reach database server|Connection terminated|DatabaseNotReachable/i.test(message))
            return true;
    }
    return false;
}
function fromStatus(status, message) {
    if (status in contracts_1.ERROR_TYPES)
        return new api_error_1.ApiError(status, message);
    if (status === 405)
        return new api_error_1.ApiError(404, message);
    if (status === 415 || status === 422 || (status >= 400 && status < 500))
        return new api_error_1.ApiError(400, message);
    return new api_error_1.ApiError(500, 'Internal server error.');
}
function toApiError(error) {
    if (error instanceof api_error_1.ApiError)
        return { apiError: error, unexpected: false };
    if (error instanceof common_1.HttpException) {
        var status_1 = error.getStatus();
        var message = status_1 === 404 ? 'Route not found.' : error.message;
        return { apiError: fromStatus(status_1, message), unexpected: status_1 >= 500 };
    }
    if (isDependencyUnavailable(error)) {
        return { apiError: new api_error_1.ApiError(503, 'A dependency of the service is unavailable; retry shortly.'), unexpected: true };
    }
    // Errors raised by Fastify itself before a handler runs: body too large, bad JSON, bad headers.
    var fastify = error;
    if (typeof fastify.statusCode === 'number' && typeof fastify.code === 'string' && fastify.code.startsWith('FST_')) {
        if (fastify.statusCode === 413)
            return { apiError: new api_error_1.ApiError(413, 'Request body is too large.'), unexpected: false };
        if (fastify.statusCode < 500)
            return { apiError: fromStatus(fastify.statusCode, String(fastify.message)), unexpected: false };
    }
    return { apiError: new api_error_1.ApiError(500, 'Internal server error.'), unexpected: true };
}
/** Renders any error as the documented envelope; nothing a client sends should end up as a 500. */
function toErrorResponse(error, requestId) {
    var _a = toApiError(error), apiError = _a.apiError, unexpected = _a.unexpected;
    var headers = __assign({}, apiError.headers);
    if (apiError.status === 503 && !headers['retry-after'])
        headers['retry-after'] = '1';
    return {
        status: apiError.status,
        headers: headers,
        unexpected: unexpected,
        body: {
            type: 'error',
            error: __assign({ type: apiError.type, message: apiError.message }, (apiError.param ? { param: apiError.param } : {})),
            request_id: requestId,
        },
    };
}
