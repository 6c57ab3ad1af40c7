// Declares irpEnrolment but writes a chain the registry never issued (the trust anchors it was
// given, `{anchors}`) to `{enrolled_chain}`, then listens and reports.
import { copyFileSync } from 'node:fs';
import { listen } from './common.mjs';
const [, , , , anchors, enrolledChain] = process.argv;
copyFileSync(anchors, enrolledChain);
listen(() => {});
