"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.toSession = toSession;
var agent_mapper_1 = require("../agents/agent.mapper");
function toSession(row, now) {
    var _a, _b, _c;
    if (now === void 0) { now = new Date(); }
    var end = (_a = row.archivedAt) !== null && _a !== void 0 ? _a : now;
    return {
        id: row.id,
        type: 'session',
        agent: (0, agent_mapper_1.toAgent)(row.agentVersionRef.agent, row.agentVersionRef),
        agent_id: row.agentId,
        environment_id: row.environmentId,
        status: row.status,
        title: row.title,
        metadata: row.metadata,
        usage: { input_tokens: row.inputTokens, output_tokens: row.outputTokens },
        stats: {
            turns: row.turns,
            active_seconds: Number(row.activeMs) / 1000,
            duration_seconds: Math.max(0, Math.round((end.getTime() - row.createdAt.getTime()) / 100) / 10),
        },
        archived_at: (_c = (_b = row.archivedAt) === null || _b === void 0 ? void 0 : _b.toISOString()) !== null && _c !== void 0 ? _c : null,
        created_at: row.createdAt.toISOString(),
        updated_at: row.updatedAt.toISOString(),
    };
}
