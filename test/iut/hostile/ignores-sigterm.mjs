// Ready; SIGTERM is ignored (only SIGKILL ends it).
import { listen } from './common.mjs';
process.on('SIGTERM', () => process.stderr.write('ignores-sigterm: not stopping\n'));
listen((s) => s.on('data', () => {}));
