"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.parseOrThrow = parseOrThrow;
var api_error_1 = require("./api-error");
/** The dotted path of the first problem, naming an unknown key as the field itself. */
function paramOf(issue) {
    var path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 0)
        path.push(issue.keys[0]);
    return path.length ? path.join('.') : undefined;
}
function messageOf(issue, param) {
    if (issue.code === 'unrecognized_keys')
        return "Unknown field: ".concat(param, ".");
    if (issue.code === 'invalid_type' && issue.input === undefined)
        return "".concat(param !== null && param !== void 0 ? param : 'body', ": field required.");
    return param ? "".concat(param, ": ").concat(issue.message) : issue.message;
}
/** Parses input with a schema or throws a 400 that names the offending field. */
function parseOrThrow(schema, input, root) {
    if (root === undefined && (input === undefined || input === null || typeof input !== 'object' || Array.isArray(input))) {
        return throwInvalid('Request body must be a JSON object.', undefined);
    }
    var result = schema.safeParse(input);
    if (result.success)
        return result.data;
    var issue = result.error.issues[0];
    var param = paramOf(issue);
    var full = root ? (param ? "".concat(root, ".").concat(param) : root) : param;
    return throwInvalid(messageOf(issue, full), full);
}
function throwInvalid(message, param) {
    throw (0, api_error_1.invalidRequest)(message, param);
}
