/**
 * Materializes build/agent-monitor once before any test file runs (test files run in parallel
 * forks and must not race on the build output). SKIP_MONITOR_BUILD=1 skips it for quick unit runs.
 */
export default async function setup(): Promise<void> {
  if (process.env.SKIP_MONITOR_BUILD === '1') return;
  const { buildAgentMonitor } = await import('../../scripts/build-agent-monitor.js');
  const result = await buildAgentMonitor({ quiet: true });
  if (!result.ok) throw new Error(`agent monitor build failed:\n${result.report}`);
}
