// Writes a benchmark's figures to bench/results/<name>-<timestamp>.json and <name>-latest.json,
// with the machine they were measured on.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './repo-root.js';

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryBytes: number;
  platform: string;
  kernel: string;
  node: string;
  /** 1-minute load average when the benchmark started and when it wrote its results. */
  loadAverageAtStart: number;
  loadAverageAtEnd: number;
}

const loadAverageAtStart = loadavg()[0] ?? 0;

/** Prints a warning when other processes already keep the CPUs busy: the figures would be low. */
export function warnIfMachineBusy(): void {
  const cpuCount = cpus().length;
  if (loadAverageAtStart > cpuCount * 0.5) {
    process.stderr.write(`warning: the 1-minute load average is ${loadAverageAtStart.toFixed(2)} on ${cpuCount} CPUs: other processes compete with the benchmark, its figures will be low\n`);
  }
}

export function describeMachine(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    memoryBytes: totalmem(),
    platform: process.platform,
    kernel: release(),
    node: process.version,
    loadAverageAtStart,
    loadAverageAtEnd: loadavg()[0] ?? 0,
  };
}

export async function writeResults(name: string, figures: Record<string, unknown>): Promise<string> {
  const directory = join(REPO_ROOT, 'bench/results');
  await mkdir(directory, { recursive: true });
  const finishedAt = new Date().toISOString();
  const body = `${JSON.stringify({ benchmark: name, finishedAt, machine: describeMachine(), ...figures }, null, 2)}\n`;
  const path = join(directory, `${name}-${finishedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(path, body);
  await writeFile(join(directory, `${name}-latest.json`), body);
  process.stdout.write(`results: ${path}\n`);
  return path;
}
