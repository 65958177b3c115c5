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
Object.defineProperty(exports, "__esModule", { value: true });
exports.definitionOf = definitionOf;
exports.toAgent = toAgent;
/** The definition stored in one version row. */
function definitionOf(version) {
    return {
        name: version.name,
        description: version.description,
        model: version.model,
        system: version.system,
        tools: version.tools,
        mcp_servers: version.mcpServers,
        metadata: version.metadata,
    };
}
/** An agent as the API returns it: the row's identity and the fields of one version. */
function toAgent(agent, version) {
    var _a, _b;
    return __assign(__assign({ id: agent.id, type: 'agent' }, definitionOf(version)), { version: version.version, archived_at: (_b = (_a = agent.archivedAt) === null || _a === void 0 ? void 0 : _a.toISOString()) !== null && _b !== void 0 ? _b : null, created_at: agent.createdAt.toISOString(), 
        // A past version was last updated when it was created; the current one when the agent was.
        updated_at: (version.version === agent.currentVersion ? agent.updatedAt : version.createdAt).toISOString() });
}
