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
var __makeTemplateObject = (this && this.__makeTemplateObject) || function (cooked, raw) {
    if (Object.defineProperty) { Object.defineProperty(cooked, "raw", { value: raw }); } else { cooked.raw = raw; }
    return cooked;
};
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
var __esDecorate = (this && this.__esDecorate) || function (ctor, descriptorIn, decorators, contextIn, initializers, extraInitializers) {
    function accept(f) { if (f !== void 0 && typeof f !== "function") throw new TypeError("Function expected"); return f; }
    var kind = contextIn.kind, key = kind === "getter" ? "get" : kind === "setter" ? "set" : "value";
    var target = !descriptorIn && ctor ? contextIn["static"] ? ctor : ctor.prototype : null;
    var descriptor = descriptorIn || (target ? Object.getOwnPropertyDescriptor(target, contextIn.name) : {});
    var _, done = false;
    for (var i = decorators.length - 1; i >= 0; i--) {
        var context = {};
        for (var p in contextIn) context[p] = p === "access" ? {} : contextIn[p];
        for (var p in contextIn.access) context.access[p] = contextIn.access[p];
        context.addInitializer = function (f) { if (done) throw new TypeError("Cannot add initializers after decoration has completed"); extraInitializers.push(accept(f || null)); };
        var result = (0, decorators[i])(kind === "accessor" ? { get: descriptor.get, set: descriptor.set } : descriptor[key], context);
        if (kind === "accessor") {
            if (result === void 0) continue;
            if (result === null || typeof result !== "object") throw new TypeError("Object expected");
            if (_ = accept(result.get)) descriptor.get = _;
            if (_ = accept(result.set)) descriptor.set = _;
            if (_ = accept(result.init)) initializers.unshift(_);
        }
        else if (_ = accept(result)) {
            if (kind === "field") initializers.unshift(_);
            else descriptor[key] = _;
        }
    }
    if (target) Object.defineProperty(target, contextIn.name, descriptor);
    done = true;
};
var __runInitializers = (this && this.__runInitializers) || function (thisArg, initializers, value) {
    var useValue = arguments.length > 2;
    for (var i = 0; i < initializers.length; i++) {
        value = useValue ? initializers[i].call(thisArg, value) : initializers[i].call(thisArg);
    }
    return useValue ? value : void 0;
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
var __setFunctionName = (this && this.__setFunctionName) || function (f, name, prefix) {
    if (typeof name === "symbol") name = name.description ? "[".concat(name.description, "]") : "";
    return Object.defineProperty(f, "name", { configurable: true, value: prefix ? "".concat(prefix, " ", name) : name });
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.EnvironmentsRepository = exports.DuplicateNameError = void 0;
var common_1 = require("@nestjs/common");
var db_1 = require("@stratus/db");
/** Thrown when a name is already taken in the workspace. */
var DuplicateNameError = /** @class */ (function (_super) {
    __extends(DuplicateNameError, _super);
    function DuplicateNameError() {
        return _super !== null && _super.apply(this, arguments) || this;
    }
    return DuplicateNameError;
}(Error));
exports.DuplicateNameError = DuplicateNameError;
function isUniqueViolation(error) {
    return error instanceof db_1.Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}
var EnvironmentsRepository = function () {
    var _classDecorators = [(0, common_1.Injectable)()];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var EnvironmentsRepository = _classThis = /** @class */ (function () {
        function EnvironmentsRepository_1(prisma) {
            this.prisma = prisma;
        }
        EnvironmentsRepository_1.prototype.create = function (workspaceId, input) {
            return __awaiter(this, void 0, void 0, function () {
                var now, error_1;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0:
                            now = new Date();
                            _a.label = 1;
                        case 1:
                            _a.trys.push([1, 3, , 4]);
                            return [4 /*yield*/, this.prisma.environment.create({
                                    data: { id: (0, db_1.newId)('environment'), workspaceId: workspaceId, name: input.name, description: input.description, config: input.config, metadata: input.metadata, createdAt: now, updatedAt: now },
                                })];
                        case 2: return [2 /*return*/, _a.sent()];
                        case 3:
                            error_1 = _a.sent();
                            if (isUniqueViolation(error_1))
                                throw new DuplicateNameError();
                            throw error_1;
                        case 4: return [2 /*return*/];
                    }
                });
            });
        };
        EnvironmentsRepository_1.prototype.find = function (workspaceId, id) {
            return this.prisma.environment.findFirst({ where: { id: id, workspaceId: workspaceId } });
        };
        EnvironmentsRepository_1.prototype.update = function (id, input) {
            return __awaiter(this, void 0, void 0, function () {
                var error_2;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0:
                            _a.trys.push([0, 2, , 3]);
                            return [4 /*yield*/, this.prisma.environment.update({
                                    where: { id: id },
                                    data: __assign(__assign(__assign(__assign(__assign({}, (input.name !== undefined ? { name: input.name } : {})), (input.description !== undefined ? { description: input.description } : {})), (input.config !== undefined ? { config: input.config } : {})), (input.metadata !== undefined ? { metadata: input.metadata } : {})), { updatedAt: new Date() }),
                                })];
                        case 1: return [2 /*return*/, _a.sent()];
                        case 2:
                            error_2 = _a.sent();
                            if (isUniqueViolation(error_2))
                                throw new DuplicateNameError();
                            throw error_2;
                        case 3: return [2 /*return*/];
                    }
                });
            });
        };
        EnvironmentsRepository_1.prototype.archive = function (id) {
            return __awaiter(this, void 0, void 0, function () {
                var now;
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0:
                            now = new Date();
                            return [4 /*yield*/, this.prisma.environment.updateMany({ where: { id: id, archivedAt: null }, data: { archivedAt: now, updatedAt: now } })];
                        case 1:
                            _a.sent();
                            return [2 /*return*/, this.prisma.environment.findUniqueOrThrow({ where: { id: id } })];
                    }
                });
            });
        };
        /**
         * Deletes the environment unless a non-archived session uses it. The environment row is locked
         * first, and session creation takes a share lock on it, so no session can slip in between.
         */
        EnvironmentsRepository_1.prototype.deleteIfUnused = function (id) {
            return __awaiter(this, void 0, void 0, function () {
                var _this = this;
                return __generator(this, function (_a) {
                    return [2 /*return*/, this.prisma.$transaction(function (tx) { return __awaiter(_this, void 0, void 0, function () {
                            var inUse;
                            return __generator(this, function (_a) {
                                switch (_a.label) {
                                    case 0: return [4 /*yield*/, tx.$queryRaw(templateObject_1 || (templateObject_1 = __makeTemplateObject(["SELECT id FROM environments WHERE id = ", " FOR UPDATE"], ["SELECT id FROM environments WHERE id = ", " FOR UPDATE"])), id)];
                                    case 1:
                                        _a.sent();
                                        return [4 /*yield*/, tx.session.count({ where: { environmentId: id, archivedAt: null } })];
                                    case 2:
                                        inUse = _a.sent();
                                        if (inUse > 0)
                                            return [2 /*return*/, 'in_use'];
                                        return [4 /*yield*/, tx.environment.delete({ where: { id: id } })];
                                    case 3:
                                        _a.sent();
                                        return [2 /*return*/, 'deleted'];
                                }
                            });
                        }); })];
                });
            });
        };
        EnvironmentsRepository_1.prototype.listSlice = function (workspaceId, filter, slice) {
            return this.prisma.environment.findMany({
                where: __assign(__assign(__assign({ workspaceId: workspaceId }, (filter.includeArchived ? {} : { archivedAt: null })), (filter.createdAt ? { createdAt: filter.createdAt } : {})), (slice.beyond ? { id: slice.order === 'asc' ? { gt: slice.beyond } : { lt: slice.beyond } } : {})),
                orderBy: { id: slice.order },
                take: slice.take,
            });
        };
        EnvironmentsRepository_1.prototype.exists = function (workspaceId, id) {
            return __awaiter(this, void 0, void 0, function () {
                return __generator(this, function (_a) {
                    switch (_a.label) {
                        case 0: return [4 /*yield*/, this.prisma.environment.count({ where: { id: id, workspaceId: workspaceId } })];
                        case 1: return [2 /*return*/, (_a.sent()) > 0];
                    }
                });
            });
        };
        return EnvironmentsRepository_1;
    }());
    __setFunctionName(_classThis, "EnvironmentsRepository");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        EnvironmentsRepository = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return EnvironmentsRepository = _classThis;
}();
exports.EnvironmentsRepository = EnvironmentsRepository;
var templateObject_1;
