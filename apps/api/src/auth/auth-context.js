"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Auth = exports.IS_PUBLIC = exports.Public = exports.ALL_SCOPES = void 0;
var common_1 = require("@nestjs/common");
exports.ALL_SCOPES = ['read', 'write'];
var PUBLIC_KEY = 'stratus:public';
/** Marks a route that needs no token (health checks, the API reference). */
var Public = function () { return (0, common_1.SetMetadata)(PUBLIC_KEY, true); };
exports.Public = Public;
exports.IS_PUBLIC = PUBLIC_KEY;
/** The caller's AuthContext; only on routes behind the AuthGuard. */
exports.Auth = (0, common_1.createParamDecorator)(function (_data, ctx) {
    var auth = ctx.switchToHttp().getRequest().auth;
    if (!auth)
        throw new Error('Auth used on a public route');
    return auth;
});
