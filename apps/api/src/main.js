"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
require("reflect-metadata");
var start_api_1 = require("./bootstrap/start-api");
(0, start_api_1.startApi)().then(function (_a) {
    var logger = _a.logger, url = _a.url;
    return logger.info("Stratus API listening on ".concat(url));
}, start_api_1.exitOnStartupError);
