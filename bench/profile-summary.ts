// Summarises a V8 .cpuprofile (from `--cpu-prof DIR`): where the server spent its CPU, by
// function (self time) and by file. Usage: tsx bench/profile-summary.ts FILE.cpuprofile [--top N]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/repo-root.js';
import { printTable } from './lib/table.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const [file] = positionals;
  if (file === undefined) throw new Error('usage: tsx bench/profile-summary.ts FILE.cpuprofile [--top N]');
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const totalSamples = profile.samples.length;
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, totalSamples);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const where = shortenUrl(node.callFrame.url);
    const name = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    byFile.set(where || node.callFrame.functionName, (byFile.get(where || node.callFrame.functionName) ?? 0) + hits);
  }
  const top = Number(values.top);
  const rows = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, hits]) => [name, `${Math.round(hits * msPerSample)} ms`, `${((hits / totalSamples) * 100).toFixed(1)} %`]);
  printTable(`self time by function (${Math.round(totalSamples * msPerSample)} ms profiled)`, ['function', 'self', 'share'], rows(byFunction));
  printTable('self time by file', ['file', 'self', 'share'], rows(byFile));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

function shortenUrl(url: string): string {
  return url.replace(`file://${REPO_ROOT}/`, '').replace(/^.*\/node_modules\//, 'node_modules/');
}
