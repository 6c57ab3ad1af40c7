// --shard I/N and `sixbench report merge`: the N shards run each case of the catalogue exactly
// once, balanced per suite; the merged report of a run in 3 shards equals the unsharded run case
// for case, with summary and coverage recomputed; shards that do not make one run are refused.
import t from 'tap';
import { loadCatalogue } from '../../src/run/catalogue.js';
import { mergeReports, MergeError } from '../../src/run/merge.js';
import { runConformance } from '../../src/run/runner.js';
import { parseShard, shardCases } from '../../src/run/shard.js';

// Four runs (the whole and three shards) of five suites: under 10 s alone; the limit guards a
// hang when the other test files load the two cores, not speed (npm run bench does).
t.setTimeout(180_000);

t.test('shards partition the cases, balanced within each suite, stable when a case is added', async (t) => {
  const catalogue = loadCatalogue();
  const shards = [1, 2, 3].map((index) => shardCases(catalogue, { index, count: 3 }));
  const all = shards.flat().map((c) => c.id);
  t.equal(all.length, catalogue.length, 'no case twice, none left out');
  t.same(new Set(all), new Set(catalogue.map((c) => c.id)));
  for (const suite of new Set(catalogue.map((c) => c.suite))) {
    const sizes = shards.map((s) => s.filter((c) => c.suite === suite).length);
    t.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${suite}: ${sizes.join(' / ')}`);
  }
  // Adding a case moves few others (hash order, not catalogue position).
  const grown = [...catalogue, { ...catalogue[0]!, id: 'interop.zz-new-case' }];
  const grownFirst = new Set(shardCases(grown, { index: 1, count: 3 }).map((c) => c.id));
  const first = new Set(shards[0]!.map((c) => c.id));
  const moved = catalogue.filter((c) => grownFirst.has(c.id) !== first.has(c.id));
  t.ok(moved.length < catalogue.length / 4, `${moved.length} cases changed shard when one was added`);
  t.same(parseShard('2/3'), { index: 2, count: 3 });
  for (const bad of ['0/3', '4/3', '3', 'a/b', '1/0', '-1/2']) t.throws(() => parseShard(bad), { name: 'ShardSyntaxError' }, bad);
});

t.test('3 shards merged equal the unsharded run, case for case', async (t) => {
  const seed = 'shard-test';
  // Conversation, check, vectors, IRP and adversary cases without running the whole catalogue four
  // times: the partition itself, relay cases included, is checked on the whole catalogue above.
  const suites = ['interop', 'vectors', 'irp', 'reflection', 'key-transport'];
  const whole = await runConformance({ seed, suites });
  t.same([...new Set(whole.cases.map((c) => c.suite))].sort(), [...suites].sort(), 'the suites asked for');
  const parts = [];
  for (const index of [1, 2, 3]) parts.push({ file: `shard-${index}.json`, report: await runConformance({ seed, suites, shard: { index, count: 3 } }) });
  t.ok(parts.every((p) => p.report.cases.length < whole.cases.length && p.report.cases.length > whole.cases.length / 4), 'each shard runs a share');
  const merged = await mergeReports([parts[2]!, parts[0]!, parts[1]!]);
  t.same(merged.cases, whole.cases, 'the same cases, in catalogue order, with the same results');
  t.same(merged.summary, whole.summary);
  t.same(merged.coverage, whole.coverage);
  t.same(Object.keys(merged.timings.cases).sort(), Object.keys(whole.timings.cases).sort());
  t.notOk(merged.shard, 'the merged report is the whole run');

  await t.rejects(mergeReports(parts.slice(0, 2)), new MergeError('shard(s) 3/3 missing'));
  await t.rejects(mergeReports([parts[0]!, parts[0]!, parts[1]!]), /shard 1\/3 is given twice/);
  const other = { file: 'other.json', report: { ...parts[2]!.report, seed: 'another' } };
  await t.rejects(mergeReports([parts[0]!, parts[1]!, other]), /of seed another/);
  await t.rejects(mergeReports([{ file: 'whole.json', report: whole }]), /not the report of a shard/);
});
