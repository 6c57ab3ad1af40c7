// The relay suite's self-test (issue 10 §3): every case with a `careless` entry passes with two
// conforming references and fails, with the attack reported, when the side that must detect it is
// made careless by a knob; and every case that requires a refusal fails when the relay does
// nothing (the verdict rests on the attack, not on the setup). Then the evidence of one failed
// case, as the runner writes it, is checked for what a reviewer needs without the source.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RunEnvironment } from '../../src/run/environment.js';
import { carelessPlan, FAMILIES, relayCaseData, relayCaseId, relayCases, relayPlanOf, type RelayCaseData, type RelaySuiteData } from '../../src/run/relay-cases.js';
import { runRelayCase, type RelayPlan } from '../../src/run/relay-run.js';
import { runConformance } from '../../src/run/runner.js';
import { REPO_ROOT } from '../../src/run/catalogue.js';
import { formatSummary } from '../../src/run/report.js';

const data = JSON.parse(readFileSync(path.join(REPO_ROOT, 'suites', 'relay.json'), 'utf8')) as RelaySuiteData;
const all = relayCaseData(data).filter((c) => !c.disabled);

t.test('the relay suite has at least 80 cases, every family represented', async (t) => {
  t.ok(relayCases(data).length >= 80);
  const families = new Set(all.map((c) => c.family));
  for (const f of FAMILIES) t.ok(families.has(f), f);
});

t.test('careless honest sides let the attacks through, and the cases say so', async (t) => {
  const env = await RunEnvironment.start({ seed: 'relay-selftest', slots: 1 });
  t.teardown(() => env.close());
  const run = async (c: RelayCaseData, plan: RelayPlan): Promise<string[]> => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 8000);
    try {
      return (await runRelayCase(plan, { env, slot: env.slots[0]!, seed: `relay-selftest/${c.id}`, signal: ac.signal })).mismatches;
    } finally {
      clearTimeout(timer);
    }
  };
  const detected: Record<string, number> = {};
  for (const c of all) {
    const careless = carelessPlan(c);
    if (!careless) continue;
    t.same(await run(c, relayPlanOf(c)), [], `${c.id} passes with two conforming references`);
    const mismatches = await run(c, careless);
    t.ok(mismatches.length > 0, `${c.id} fails with ${c.careless!.knobs.join(' + ')} on the ${c.careless!.side}`);
    // The first line names the attack's success, or the defence the careless side no longer has
    // (its alert, its Connected, or, for a deleted close_notify, how it reports the end: E2ED-ALERT-9).
    t.match(mismatches[0] ?? '', /^(the attack succeeded: |(initiator|responder)2? (alert sent|Connected|end of connection))/, `${c.id}: ${mismatches[0]}`);
    detected[c.family] = (detected[c.family] ?? 0) + 1;
  }
  for (const f of FAMILIES) t.ok((detected[f] ?? 0) > 0, `family ${f}: ${detected[f] ?? 0} cases shown to fail when the detecting side is careless`);
  t.comment(`careless cases per family: ${JSON.stringify(detected)}`);
});

t.test('with the relay passing everything, every case that requires a refusal fails', async (t) => {
  const env = await RunEnvironment.start({ seed: 'relay-selftest-passive', slots: 1 });
  t.teardown(() => env.close());
  const byFamily: Record<string, number> = {};
  for (const c of all) {
    if (c.outcome.why !== undefined) continue; // undetectable by design: nothing to refuse
    const passive: RelayPlan = { ...relayPlanOf(c), script: [] };
    delete passive.steer;
    delete passive.second;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 8000);
    const r = await runRelayCase(passive, { env, slot: env.slots[0]!, seed: `passive/${c.id}`, signal: ac.signal });
    clearTimeout(timer);
    t.ok(r.mismatches.length > 0, `${c.id} cannot pass without its attack`);
    byFamily[c.family] = (byFamily[c.family] ?? 0) + 1;
  }
  t.ok((byFamily.record ?? 0) > 0);
  t.comment(`cases shown to rest on the attack, per family: ${JSON.stringify(byFamily)}`);
});

t.test("a failed relay case's evidence shows what the attacker did and what each honest side did", async (t) => {
  const c = all.find((x) => x.id === 'downgrade.version.strip-1.0.i1.0-0.9.r1.0-0.9')!;
  const spec = relayCases(data).find((s) => s.id === relayCaseId(c))!;
  const careless = { ...spec, action: { kind: 'relay' as const, relay: carelessPlan(c)! } };
  const report = await runConformance({ seed: 'relay-evidence', cases: [careless], concurrency: 1 });
  const result = report.cases[0]!;
  t.equal(result.verdict, 'fail');
  t.match(result.reason, /^the attack succeeded: the initiator reached Connected \(0\.9 /);
  const ev = result.evidence!;
  t.ok(ev.requirements.some((r) => r.id === 'E2ED-VER-5' && r.text.length > 0), 'the requirement, quoted');
  t.ok(ev.attacker!.some((l) => /i2r Hello_I .*versions=\[1\.0 0\.9\].*: edit versions := \[0\.9\]/.test(l)), 'what the relay changed, in which frame, as sent');
  t.ok(ev.attacker!.some((l) => /r2i Hello_R .*version=0\.9 .*nonce_R\[24\.\.32\]=45324544444f574e.*: pass/.test(l)), 'the other leg, frame by frame');
  t.ok(ev.events!.initiator.some((e) => e.startsWith('connected')), "the initiator's events");
  t.ok(ev.events!.responder.some((e) => e.startsWith('parameters_negotiated 0.9')), "the responder's events");
  const summary = formatSummary(report, { color: false });
  t.match(summary, /happened: the attack succeeded: the initiator reached Connected/);
  t.match(summary, /attacker: session 0 i2r Hello_I .*: edit versions := \[0\.9\]/, 'the summary shows what the attacker did');
  t.notMatch(summary, /attacker: .*: pass\n/, 'not the frames it only passed on');
});
