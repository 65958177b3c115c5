"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.TOKEN_PREFIX = void 0;
exports.generateTokenSecret = generateTokenSecret;
exports.hashToken = hashToken;
exports.tokenHint = tokenHint;
var node_crypto_1 = require("node:crypto");
/** Personal access tokens start with "pt-" (as Qoder's do). */
exports.TOKEN_PREFIX = 'pt-';
/** A new token secret: "pt-" and 43 url-safe characters (256 bits). */
function generateTokenSecret() {
    return exports.TOKEN_PREFIX + (0, node_crypto_1.randomBytes)(32).toString('base64url');
}
/** Only this digest is stored; a fast hash is right for 256-bit random secrets. */
function hashToken(secret) {
    return (0, node_crypto_1.createHash)('sha256').update(secret).digest('hex');
}
/** A short, non-secret prefix that tells tokens apart in listings. */
function tokenHint(secret) {
    return secret.slice(0, 7);
}
