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
Object.defineProperty(exports, "__esModule", { value: true });
exports.overloaded = exports.conflict = exports.notFound = exports.forbidden = exports.unauthenticated = exports.invalidRequest = exports.ApiError = void 0;
var contracts_1 = require("@stratus/contracts");
/** An error with a place in the public error table; the filter renders it as the envelope. */
var ApiError = /** @class */ (function (_super) {
    __extends(ApiError, _super);
    function ApiError(status, message, param, headers) {
        if (headers === void 0) { headers = {}; }
        var _this = _super.call(this, message) || this;
        _this.status = status;
        _this.param = param;
        _this.headers = headers;
        _this.type = contracts_1.ERROR_TYPES[status];
        return _this;
    }
    return ApiError;
}(Error));
exports.ApiError = ApiError;
var invalidRequest = function (message, param) { return new ApiError(400, message, param); };
exports.invalidRequest = invalidRequest;
var unauthenticated = function (message) {
    if (message === void 0) { message = 'Invalid or missing token.'; }
    return new ApiError(401, message);
};
exports.unauthenticated = unauthenticated;
var forbidden = function (message) { return new ApiError(403, message); };
exports.forbidden = forbidden;
var notFound = function (what, id, param) {
    return new ApiError(404, id ? "".concat(what, " ").concat(id, " not found.") : "".concat(what, " not found."), param);
};
exports.notFound = notFound;
var conflict = function (message, param) { return new ApiError(409, message, param); };
exports.conflict = conflict;
var overloaded = function (message) { return new ApiError(503, message); };
exports.overloaded = overloaded;
