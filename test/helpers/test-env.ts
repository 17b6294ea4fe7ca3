// The settings the test run's environment may choose for every test: CI runs the export and
// delivery tests once more with SQUIDSHIP_NATIVE_CSV=false, on the JS encoder alone.
export function readTestEnv(): Record<string, string | undefined> {
  return { SQUIDSHIP_NATIVE_CSV: process.env.SQUIDSHIP_NATIVE_CSV };
}
