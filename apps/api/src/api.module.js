"use strict";
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
var __setFunctionName = (this && this.__setFunctionName) || function (f, name, prefix) {
    if (typeof name === "symbol") name = name.description ? "[".concat(name.description, "]") : "";
    return Object.defineProperty(f, "name", { configurable: true, value: prefix ? "".concat(prefix, " ", name) : name });
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.ApiModule = void 0;
var common_1 = require("@nestjs/common");
var core_1 = require("@nestjs/core");
var agents_controller_1 = require("./agents/agents.controller");
var agents_repository_1 = require("./agents/agents.repository");
var agents_service_1 = require("./agents/agents.service");
var auth_guard_1 = require("./auth/auth.guard");
var rate_limit_guard_1 = require("./auth/rate-limit.guard");
var tokens_repository_1 = require("./auth/tokens.repository");
var tokens_service_1 = require("./auth/tokens.service");
var error_filter_1 = require("./common/error.filter");
var docs_controller_1 = require("./docs/docs.controller");
var environments_controller_1 = require("./environments/environments.controller");
var environments_repository_1 = require("./environments/environments.repository");
var environments_service_1 = require("./environments/environments.service");
var events_controller_1 = require("./events/events.controller");
var events_repository_1 = require("./events/events.repository");
var events_service_1 = require("./events/events.service");
var health_controller_1 = require("./health/health.controller");
var health_repository_1 = require("./health/health.repository");
var idempotency_interceptor_1 = require("./idempotency/idempotency.interceptor");
var idempotency_repository_1 = require("./idempotency/idempotency.repository");
var infra_module_1 = require("./infra/infra.module");
var models_controller_1 = require("./models/models.controller");
var sessions_controller_1 = require("./sessions/sessions.controller");
var sessions_repository_1 = require("./sessions/sessions.repository");
var sessions_service_1 = require("./sessions/sessions.service");
/** The control-plane REST API: every route of the public contract except the event stream. */
var ApiModule = function () {
    var _classDecorators = [(0, common_1.Module)({})];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var ApiModule = _classThis = /** @class */ (function () {
        function ApiModule_1() {
        }
        ApiModule_1.forRoot = function (env) {
            return {
                module: ApiModule,
                imports: [infra_module_1.InfraModule.forRoot(env)],
                controllers: [agents_controller_1.AgentsController, environments_controller_1.EnvironmentsController, sessions_controller_1.SessionsController, events_controller_1.EventsController, models_controller_1.ModelsController, health_controller_1.HealthController, docs_controller_1.DocsController],
                providers: [
                    agents_repository_1.AgentsRepository,
                    agents_service_1.AgentsService,
                    environments_repository_1.EnvironmentsRepository,
                    environments_service_1.EnvironmentsService,
                    sessions_repository_1.SessionsRepository,
                    sessions_service_1.SessionsService,
                    events_repository_1.EventsRepository,
                    events_service_1.EventsService,
                    health_repository_1.HealthRepository,
                    idempotency_repository_1.IdempotencyRepository,
                    tokens_repository_1.TokensRepository,
                    tokens_service_1.TokensService,
                    // Guards run in this order: who is calling, then whether they are within their budget.
                    { provide: core_1.APP_GUARD, useClass: auth_guard_1.AuthGuard },
                    { provide: core_1.APP_GUARD, useClass: rate_limit_guard_1.RateLimitGuard },
                    { provide: core_1.APP_INTERCEPTOR, useClass: idempotency_interceptor_1.IdempotencyInterceptor },
                    { provide: core_1.APP_FILTER, useClass: error_filter_1.ErrorFilter },
                ],
                exports: [tokens_service_1.TokensService],
            };
        };
        return ApiModule_1;
    }());
    __setFunctionName(_classThis, "ApiModule");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        ApiModule = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return ApiModule = _classThis;
}();
exports.ApiModule = ApiModule;
