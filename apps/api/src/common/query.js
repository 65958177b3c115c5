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
exports.stringParam = stringParam;
exports.arrayParam = arrayParam;
exports.boolParam = boolParam;
exports.dateParam = dateParam;
exports.createdAtRange = createdAtRange;
exports.enumArrayParam = enumArrayParam;
var api_error_1 = require("./api-error");
/** A single-valued parameter; sending it twice is a 400. */
function stringParam(query, name) {
    var value = query[name];
    if (Array.isArray(value))
        throw (0, api_error_1.invalidRequest)("".concat(name, " must be given once."), name);
    return value;
}
/**
 * An array filter as SDKs send it (`key[]=a&key[]=b`), also accepting a repeated or
 * comma-separated `key=a,b`.
 */
function arrayParam(query, name) {
    var values = [query["".concat(name, "[]")], query[name]].flat().filter(function (v) { return v !== undefined; });
    if (values.length === 0)
        return undefined;
    return values.flatMap(function (v) { return v.split(','); }).map(function (v) { return v.trim(); }).filter(Boolean);
}
function boolParam(query, name) {
    var value = stringParam(query, name);
    if (value === undefined)
        return undefined;
    if (value === 'true' || value === '1')
        return true;
    if (value === 'false' || value === '0')
        return false;
    throw (0, api_error_1.invalidRequest)("".concat(name, " must be true or false."), name);
}
var RFC3339 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
/** `created_at[gte]`-style bounds as Dates. */
function dateParam(query, name) {
    var value = stringParam(query, name);
    if (value === undefined)
        return undefined;
    var date = new Date(value);
    if (!RFC3339.test(value) || Number.isNaN(date.getTime()))
        throw (0, api_error_1.invalidRequest)("".concat(name, " must be an RFC 3339 timestamp."), name);
    return date;
}
/** The `created_at[gte]` / `created_at[lte]` filter shared by lists. */
function createdAtRange(query) {
    var gte = dateParam(query, 'created_at[gte]');
    var lte = dateParam(query, 'created_at[lte]');
    if (!gte && !lte)
        return undefined;
    return __assign(__assign({}, (gte ? { gte: gte } : {})), (lte ? { lte: lte } : {}));
}
function enumArrayParam(query, name, allowed) {
    var values = arrayParam(query, name);
    if (!values)
        return undefined;
    for (var _i = 0, values_1 = values; _i < values_1.length; _i++) {
        var value = values_1[_i];
        if (!allowed.includes(value))
            throw (0, api_error_1.invalidRequest)("".concat(name, "[] has an unknown value \"").concat(value, "\"; expected one of ").concat(allowed.join(', '), "."), "".concat(name, "[]"));
    }
    return values;
}
