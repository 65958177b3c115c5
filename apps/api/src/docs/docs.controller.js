"use strict";
var __runInitializers = (this && this.__runInitializers) || function (thisArg, initializers, value) {
    var useValue = arguments.length > 2;
    for (var i = 0; i < initializers.length; i++) {
        value = useValue ? initializers[i].call(thisArg, value) : initializers[i].call(thisArg);
    }
    return useValue ? value : void 0;
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
var __setFunctionName = (this && this.__setFunctionName) || function (f, name, prefix) {
    if (typeof name === "symbol") name = name.description ? "[".concat(name.description, "]") : "";
    return Object.defineProperty(f, "name", { configurable: true, value: prefix ? "".concat(prefix, " ", name) : name });
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.DocsController = void 0;
var node_fs_1 = require("node:fs");
var node_path_1 = require("node:path");
var common_1 = require("@nestjs/common");
var auth_context_1 = require("../auth/auth-context");
var api_error_1 = require("../common/api-error");
var openapi_1 = require("./openapi");
// swagger-ui-dist ships the reference UI as static files; nothing is fetched from a CDN.
// eslint-disable-next-line @typescript-eslint/no-require-imports
var SWAGGER_DIR = require('swagger-ui-dist').getAbsoluteFSPath();
var ASSETS = {
    'swagger-ui.css': 'text/css; charset=utf-8',
    'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
    'favicon-32x32.png': 'image/png',
};
var PAGE = "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\" />\n  <title>Stratus API reference</title>\n  <link rel=\"icon\" href=\"/docs/assets/favicon-32x32.png\" />\n  <link rel=\"stylesheet\" href=\"/docs/assets/swagger-ui.css\" />\n</head>\n<body>\n  <div id=\"reference\"></div>\n  <script src=\"/docs/assets/swagger-ui-bundle.js\"></script>\n  <script>\n    window.ui = SwaggerUIBundle({ url: '/api/v1/cloud/openapi.json', dom_id: '#reference', deepLinking: true, persistAuthorization: true });\n  </script>\n</body>\n</html>";
var DocsController = function () {
    var _classDecorators = [(0, common_1.Controller)(), (0, auth_context_1.Public)()];
    var _classDescriptor;
    var _classExtraInitializers = [];
    var _classThis;
    var _instanceExtraInitializers = [];
    var _openapi_decorators;
    var _page_decorators;
    var _asset_decorators;
    var DocsController = _classThis = /** @class */ (function () {
        function DocsController_1() {
            this.document = (__runInitializers(this, _instanceExtraInitializers), (0, openapi_1.buildOpenApiDocument)());
        }
        /** The OpenAPI 3.1 document, generated from the contracts at start-up. */
        DocsController_1.prototype.openapi = function () {
            return this.document;
        };
        /** A readable API reference page over the same document. */
        DocsController_1.prototype.page = function () {
            return PAGE;
        };
        DocsController_1.prototype.asset = function (file, reply) {
            var type = ASSETS[file];
            if (!type)
                throw (0, api_error_1.notFound)('Asset', file);
            void reply.type(type).header('cache-control', 'public, max-age=86400').send((0, node_fs_1.createReadStream)(node_path_1.default.join(SWAGGER_DIR, file)));
        };
        return DocsController_1;
    }());
    __setFunctionName(_classThis, "DocsController");
    (function () {
        var _metadata = typeof Symbol === "function" && Symbol.metadata ? Object.create(null) : void 0;
        _openapi_decorators = [(0, common_1.Get)('openapi.json')];
        _page_decorators = [(0, common_1.Get)('docs'), (0, common_1.Header)('content-type', 'text/html; charset=utf-8')];
        _asset_decorators = [(0, common_1.Get)('docs/assets/:file')];
        __esDecorate(_classThis, null, _openapi_decorators, { kind: "method", name: "openapi", static: false, private: false, access: { has: function (obj) { return "openapi" in obj; }, get: function (obj) { return obj.openapi; } }, metadata: _metadata }, null, _instanceExtraInitializers);
        __esDecorate(_classThis, null, _page_decorators, { kind: "method", name: "page", static: false, private: false, access: { has: function (obj) { return "page" in obj; }, get: function (obj) { return obj.page; } }, metadata: _metadata }, null, _instanceExtraInitializers);
        __esDecorate(_classThis, null, _asset_decorators, { kind: "method", name: "asset", static: false, private: false, access: { has: function (obj) { return "asset" in obj; }, get: function (obj) { return obj.asset; } }, metadata: _metadata }, null, _instanceExtraInitializers);
        __esDecorate(null, _classDescriptor = { value: _classThis }, _classDecorators, { kind: "class", name: _classThis.name, metadata: _metadata }, null, _classExtraInitializers);
        DocsController = _classThis = _classDescriptor.value;
        if (_metadata) Object.defineProperty(_classThis, Symbol.metadata, { enumerable: true, configurable: true, writable: true, value: _metadata });
        __runInitializers(_classThis, _classExtraInitializers);
    })();
    return DocsController = _classThis;
}();
exports.DocsController = DocsController;
