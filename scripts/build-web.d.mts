// Types of build-web.mjs for the tests, benchmarks and scripts that import it.
export function buildWeb(options?: { outDir?: string; quiet?: boolean }): Promise<{ outDir: string; jsGzipBytes: number }>;
