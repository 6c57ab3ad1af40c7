// Ready, accepts, then never answers anything.
import { listen } from './common.mjs';
listen((s) => s.on('data', () => {}));
