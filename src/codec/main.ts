/** `npm run codec-server`: decrypts payloads for the Temporal Web UI and CLI (see README). */
import { loadCodecServerConfig, orExit } from '../config';
import { EncryptionCodec } from './encryption-codec';
import { startCodecServer } from './server';

async function main(): Promise<void> {
  const config = orExit(() => loadCodecServerConfig());
  const server = await startCodecServer({
    codec: new EncryptionCodec(config.keyRing),
    corsOrigins: config.corsOrigins,
    token: config.token,
    port: config.port,
    host: config.host,
    log: (line) => console.error(line),
  });
  console.log(
    `codec server on ${server.url} (/encode, /decode; keys ${config.keyRing.ids.map((k) => `"${k}"`).join(', ')}; ` +
      `CORS for ${config.corsOrigins.join(', ')}; ${config.token ? 'bearer token required' : 'no token'})`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}

main().catch((err: unknown) => {
  console.error(`codec server failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
