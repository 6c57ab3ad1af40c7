// Ready; answers any connection with an endless stream of bytes that claims to be a huge frame.
import { listen } from './common.mjs';
listen((s) => {
  s.on('error', () => {});
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const pump = () => { while (!s.destroyed && s.write(chunk)) {} if (!s.destroyed) s.once('drain', pump); };
  pump();
});
