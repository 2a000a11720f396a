import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { sendJson } from './http-util';

/**
 * The console page and its assets from `web/`: `/` is `web/index.html`, `/web/*` any file below `web/`.
 * Until the page exists, `/` says so in one line.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export function createStaticFiles(webDir: string) {
  const root = resolve(webDir);

  /** Serves the path if it is one of ours; false when it is not (the caller goes on routing). */
  return async function serve(res: ServerResponse, method: string, rawPath: string): Promise<boolean> {
    if (method !== 'GET' && method !== 'HEAD') return false;
    const isIndex = rawPath === '/' || rawPath === '/index.html';
    if (!isIndex && !rawPath.startsWith('/web/')) return false;

    let relative: string;
    try {
      relative = isIndex ? 'index.html' : decodeURIComponent(rawPath.slice('/web/'.length));
    } catch {
      return notFound(res);
    }
    const file = resolve(root, relative);
    if (!file.startsWith(root + sep)) return notFound(res);
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch {
      return notFound(res);
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': content.length,
      'cache-control': 'no-cache',
    });
    res.end(method === 'HEAD' ? undefined : content);
    return true;
  };
}

function notFound(res: ServerResponse): true {
  sendJson(res, 404, { message: 'Not Found' });
  return true;
}
