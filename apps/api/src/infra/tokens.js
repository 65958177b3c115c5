"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.EVENT_STORE = exports.SECRET_BOX = exports.MODEL_CATALOG = exports.REDIS = exports.PRISMA = exports.API_ENV = void 0;
/** Injection tokens of the shared infrastructure clients. */
exports.API_ENV = Symbol('API_ENV');
exports.PRISMA = Symbol('PRISMA');
exports.REDIS = Symbol('REDIS');
exports.MODEL_CATALOG = Symbol('MODEL_CATALOG');
exports.SECRET_BOX = Symbol('SECRET_BOX');
exports.EVENT_STORE = Symbol('EVENT_STORE');
