"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.toEnvironment = toEnvironment;
function toEnvironment(row) {
    var _a, _b;
    return {
        id: row.id,
        type: 'environment',
        name: row.name,
        description: row.description,
        config: row.config,
        metadata: row.metadata,
        archived_at: (_b = (_a = row.archivedAt) === null || _a === void 0 ? void 0 : _a.toISOString()) !== null && _b !== void 0 ? _b : null,
        created_at: row.createdAt.toISOString(),
        updated_at: row.updatedAt.toISOString(),
    };
}
