import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import { notFound, Public } from '@stratus/nest-common';
import type { FastifyReply } from 'fastify';
import { buildOpenApiDocument } from './openapi';

// swagger-ui-dist ships the reference UI as static files; nothing is fetched from a CDN.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const SWAGGER_DIR = (require('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Stratus API reference</title>
  <link rel="icon" href="/docs/assets/favicon-32x32.png" />
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
</head>
<body>
  <div id="reference"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: '/api/v1/cloud/openapi.json', dom_id: '#reference', deepLinking: true, persistAuthorization: true });
  </script>
</body>
</html>`;

@Controller()
@Public()
export class DocsController {
  private readonly document = buildOpenApiDocument();

  /** The OpenAPI 3.1 document, generated from the contracts at start-up. */
  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }

  /** A readable API reference page over the same document. */
  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  @Get('docs/assets/:file')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): void {
    const type = ASSETS[file];
    if (!type) throw notFound('Asset', file);
    void reply.type(type).header('cache-control', 'public, max-age=86400').send(createReadStream(path.join(SWAGGER_DIR, file)));
  }
}
