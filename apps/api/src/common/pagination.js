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
exports.parseListParams = parseListParams;
exports.paginate = paginate;
var contracts_1 = require("@stratus/contracts");
var api_error_1 = require("./api-error");
var query_1 = require("./query");
function encodeCursor(direction, id, order) {
    var cursor = { d: direction === 'after' ? 'a' : 'b', id: id, o: order };
    return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}
function decodeCursor(page) {
    try {
        var cursor = JSON.parse(Buffer.from(page, 'base64url').toString('utf8'));
        if ((cursor.d === 'a' || cursor.d === 'b') && typeof cursor.id === 'string' && (cursor.o === 'asc' || cursor.o === 'desc'))
            return cursor;
    }
    catch (_a) {
        // fall through to the 400 below
    }
    throw (0, api_error_1.invalidRequest)('page is not a valid cursor.', 'page');
}
/**
 * Reads `limit`, `order`, `after_id`, `before_id` and `page` as the contract defines them:
 * limit 1..100 (more is capped, less or not a number is a 400), one cursor at most, and a
 * `page` cursor keeps the order it was made with.
 */
function parseListParams(query, defaultOrder) {
    var rawLimit = (0, query_1.stringParam)(query, 'limit');
    var limit = contracts_1.DEFAULT_PAGE_LIMIT;
    if (rawLimit !== undefined) {
        if (!/^-?\d+$/.test(rawLimit.trim()))
            throw (0, api_error_1.invalidRequest)('limit must be an integer between 1 and 100.', 'limit');
        limit = Number(rawLimit);
        if (limit < 1)
            throw (0, api_error_1.invalidRequest)('limit must be an integer between 1 and 100.', 'limit');
        limit = Math.min(limit, contracts_1.MAX_PAGE_LIMIT);
    }
    var rawOrder = (0, query_1.stringParam)(query, 'order');
    if (rawOrder !== undefined && rawOrder !== 'asc' && rawOrder !== 'desc')
        throw (0, api_error_1.invalidRequest)('order must be "asc" or "desc".', 'order');
    var order = rawOrder !== null && rawOrder !== void 0 ? rawOrder : defaultOrder;
    var afterId = (0, query_1.stringParam)(query, 'after_id');
    var beforeId = (0, query_1.stringParam)(query, 'before_id');
    var page = (0, query_1.stringParam)(query, 'page');
    if (afterId !== undefined && beforeId !== undefined)
        throw (0, api_error_1.invalidRequest)('Send after_id or before_id, not both.', 'before_id');
    if (page !== undefined && (afterId !== undefined || beforeId !== undefined))
        throw (0, api_error_1.invalidRequest)('page cannot be combined with after_id or before_id.', 'page');
    var cursor;
    if (page !== undefined) {
        var decoded = decodeCursor(page);
        order = decoded.o;
        cursor = { direction: decoded.d === 'a' ? 'after' : 'before', id: decoded.id };
    }
    else if (afterId !== undefined) {
        cursor = { direction: 'after', id: afterId };
    }
    else if (beforeId !== undefined) {
        cursor = { direction: 'before', id: beforeId };
    }
    if (cursor && cursor.id.length === 0)
        throw (0, api_error_1.invalidRequest)('The cursor id is empty.', cursor.direction === 'after' ? 'after_id' : 'before_id');
    return __assign({ limit: limit, order: order }, (cursor ? { cursor: cursor } : {}));
}
/**
 * Keyset pagination over a unique, ordered key (an id, or an event's sequence number). It stays
 * correct while rows are inserted concurrently: a page never repeats or skips a row that
 * existed when the first page was read.
 *
 * @param idOf the id a row is known by in cursors and first_id/last_id.
 * @param resolveKey maps a cursor id to its key in this list, or undefined when the id is not in it (→ 400).
 */
function paginate(params, idOf, resolveKey, fetchSlice) {
    return __awaiter(this, void 0, void 0, function () {
        var limit, order, cursor, beyond, backwards, sliceOrder, rows, hasMore, data, first, last, next, prev;
        return __generator(this, function (_a) {
            switch (_a.label) {
                case 0:
                    limit = params.limit, order = params.order, cursor = params.cursor;
                    if (!cursor) return [3 /*break*/, 2];
                    return [4 /*yield*/, resolveKey(cursor.id)];
                case 1:
                    beyond = _a.sent();
                    if (beyond === undefined) {
                        throw (0, api_error_1.invalidRequest)("".concat(cursor.id, " is not an id in this list."), cursor.direction === 'after' ? 'after_id' : 'before_id');
                    }
                    _a.label = 2;
                case 2:
                    backwards = (cursor === null || cursor === void 0 ? void 0 : cursor.direction) === 'before';
                    sliceOrder = backwards ? (order === 'asc' ? 'desc' : 'asc') : order;
                    return [4 /*yield*/, fetchSlice(__assign(__assign({}, (beyond !== undefined ? { beyond: beyond } : {})), { order: sliceOrder, take: limit + 1 }))];
                case 3:
                    rows = _a.sent();
                    hasMore = rows.length > limit;
                    data = rows.slice(0, limit);
                    if (backwards)
                        data.reverse();
                    first = data.length ? idOf(data[0]) : null;
                    last = data.length ? idOf(data.at(-1)) : null;
                    next = null;
                    prev = null;
                    if (backwards) {
                        if (hasMore && first)
                            next = encodeCursor('before', first, order);
                        if (last)
                            prev = encodeCursor('after', last, order);
                    }
                    else {
                        if (hasMore && last)
                            next = encodeCursor('after', last, order);
                        if (cursor && first)
                            prev = encodeCursor('before', first, order);
                    }
                    return [2 /*return*/, { data: data, first_id: first, last_id: last, has_more: hasMore, next_page: next, prev_page: prev }];
            }
        });
    });
}
