// npm's install step: builds the optional native CSV encoder (binding.gyp, src/export/formats/csv/native/)
// with node-gyp, npm's own (npm names it in npm_config_node_gyp for install scripts). Without
// a compiler or Python it cannot be built; the export then uses its JavaScript encoder, which
// writes the same bytes more slowly, so that is a warning and not a failed install.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import process from 'node:process';

const nodeGyp = process.env.npm_config_node_gyp;
const [command, args] = nodeGyp ? [process.execPath, [nodeGyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(command, args, { stdio: 'inherit' });
if (result.status !== 0) {
  const reason = result.error ? result.error.message : `node-gyp exited with ${result.status ?? result.signal}`;
  console.warn(`squidship: the native CSV encoder was not built (${reason}); exports use the JavaScript encoder (same bytes, slower).`);
}
