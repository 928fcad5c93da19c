/**
 * @module serve — runs the test server ({@link startServer}) in its own process, for benchmarks:
 * `node --import tsx test/serve.ts ROOT ['{"random":{"rate":0.2,"seed":1}}']` prints `{"port": N}` on one
 * line, then serves until its standard input closes or it gets SIGTERM.
 */
import { type ServerOptions, startServer } from './server.js';

const [root, json] = process.argv.slice(2);
const options = { ...(json ? (JSON.parse(json) as Partial<ServerOptions>) : {}), root: root as string };
const server = await startServer(options);
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
const stop = (): void => {
  server.close().then(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
