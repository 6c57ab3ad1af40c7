// Declares irpEnrolment and is given an account, but enrols nothing: listens, reports, writes no chain.
import { listen } from './common.mjs';
listen(() => {});
