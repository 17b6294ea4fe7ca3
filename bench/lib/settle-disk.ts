// Before each timed phase: the data the previous phase left in the page cache is written out
// (`sync`), and on PostgreSQL a CHECKPOINT writes its dirty buffers, so a phase does not pay for
// the writeback of the one before (the ingest's database writes, the reference's downloaded copy).
import { spawn } from 'node:child_process';
import pg from 'pg';

/** Seconds it took, for the report. A failed CHECKPOINT (no privilege) is said and skipped. */
export async function settleDisk(databaseUrl: string | null): Promise<number> {
  const startedAt = performance.now();
  if (databaseUrl !== null) await checkpoint(databaseUrl);
  await runSync();
  return (performance.now() - startedAt) / 1000;
}

async function checkpoint(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
  } catch (error) {
    process.stdout.write(`CHECKPOINT refused (${error instanceof Error ? error.message : String(error)}); the delivery may pay for PostgreSQL's writes\n`);
  } finally {
    await client.end();
  }
}

function runSync(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sync', [], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sync exited with ${String(code)}`))));
  });
}
