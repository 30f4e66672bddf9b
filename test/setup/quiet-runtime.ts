/**
 * Test output shows the SDK's warnings and errors only; its INFO lines about every worker's lifecycle
 * would bury the test results. Runs before each test file (vitest setupFiles).
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Already installed in this process (a previous file in the same fork): keep that one.
}
