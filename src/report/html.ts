// The HTML report: one self-contained file (inline style and script, no external asset, no
// network) a reviewer opens in a browser. Summary, coverage by spec area, one row per case
// filterable by suite, verdict and requirement (also from the URL: report.html#verdict=fail&
// suite=knobs&req=E2ED-HS-30), and for each failure the requirement text, the accepted outcomes,
// what happened, the events of both sides, links to the capture, key log and `pcap inspect` text.
import { escapeXml as h } from './xml-text.js';
import { type ReportCase, type ReportData } from './types.js';

export interface HtmlExtras {
  /** `pcap inspect` text by case id, shown inline under the failure. */
  inspect?: Record<string, string>;
}

/** The spec area of a requirement id: `E2ED-HS-30` -> `E2ED-HS`. */
export function specArea(id: string): string {
  return id.replace(/-\d+$/, '');
}

function coverageRows(report: ReportData): string {
  const areas = new Map<string, { musts: number; covered: number }>();
  for (const [id, cases] of Object.entries(report.coverage.byRequirement)) {
    const a = areas.get(specArea(id)) ?? { musts: 0, covered: 0 };
    a.musts++;
    if (cases.length > 0) a.covered++;
    areas.set(specArea(id), a);
  }
  return [...areas.entries()]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([area, a]) => {
      const pct = a.musts === 0 ? 0 : Math.round((100 * a.covered) / a.musts);
      return `<tr data-area="${h(area)}"><td>${h(area)}</td><td class="n">${a.covered} / ${a.musts}</td><td><div class="bar"><div style="width:${pct}%"></div></div></td></tr>`;
    })
    .join('\n');
}

function details(c: ReportCase, extras: HtmlExtras): string {
  const parts: string[] = [];
  if (c.evidence) {
    parts.push('<dl>');
    for (const r of c.evidence.requirements) parts.push(`<dt class="req">${h(r.id)}</dt><dd>${h(r.text)}</dd>`);
    parts.push(`<dt>accepted</dt><dd class="expected">${h(c.evidence.expected)}</dd>`);
    parts.push(`<dt>happened</dt><dd class="observed"><ul>${c.evidence.mismatches.map((m) => `<li>${h(m)}</li>`).join('')}</ul></dd>`);
    if (c.evidence.observed !== undefined) parts.push(`<dt>observed</dt><dd><pre>${h(JSON.stringify(c.evidence.observed, null, 2))}</pre></dd>`);
    parts.push('</dl>');
    if (c.evidence.events) {
      parts.push('<div class="events">');
      for (const side of ['initiator', 'responder'] as const) parts.push(`<div><h4>${side} events</h4><pre class="events-${side}">${h(c.evidence.events[side].join('\n'))}</pre></div>`);
      parts.push('</div>');
    }
  } else if (c.reason) parts.push(`<p>${h(c.reason)}</p>`);
  if (c.seeds) parts.push(`<p class="seeds">seeds: ${Object.entries(c.seeds).map(([k, v]) => `${h(k)} <code>${h(v)}</code>`).join(', ')}</p>`);
  if (c.captures) {
    const links = [
      ...c.captures.pcaps.map((p) => `<a class="capture" href="${h(p.path)}">capture, ${h(p.leg)} leg</a>`),
      ...(c.captures.keylog ? [`<a class="keylog" href="${h(c.captures.keylog)}">key log</a>`] : []),
      ...(c.captures.tlsKeylog ? [`<a class="keylog" href="${h(c.captures.tlsKeylog)}">TLS key log</a>`] : []),
      ...(c.captures.inspect ? [`<a class="inspect" href="${h(c.captures.inspect)}">pcap inspect</a>`] : []),
      ...(c.captures.none ? [`no capture: ${h(c.captures.none)}`] : []),
    ];
    parts.push(`<p class="files">${links.join(' · ')}</p>`);
  }
  const text = extras.inspect?.[c.id];
  if (text !== undefined) parts.push(`<details class="inspect-text"><summary>the conversation on the wire (sixbench pcap inspect)</summary><pre>${h(text)}</pre></details>`);
  return parts.join('\n');
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.n{text-align:right}.bar{width:12em;height:.8em;background:#eee}.bar div{height:100%;background:#4a4}
.v-pass{color:#080}.v-fail{color:#c00;font-weight:bold}.v-skip{color:#a70}
.cases td.details{padding-left:2em;background:#fafafa}pre{white-space:pre-wrap;margin:.2em 0;font-size:12px}
.events{display:flex;gap:1em}.events>div{flex:1}#filters{margin:1em 0;display:flex;gap:1em;flex-wrap:wrap}
dt{font-weight:bold}dd{margin:0 0 .4em 1.5em}.summary span{margin-right:1.5em}
`;

// Filters: the controls and the URL hash hold the same state; every change rewrites the hash, a
// hash change (or the page opened with one) sets the controls. Rows that do not match are hidden.
const SCRIPT = `
(function(){
  var suite=document.getElementById('f-suite'),verdict=document.getElementById('f-verdict'),req=document.getElementById('f-req');
  function fromHash(){
    var p=new URLSearchParams(location.hash.replace(/^#/,''));
    suite.value=p.get('suite')||'';verdict.value=p.get('verdict')||'';req.value=p.get('req')||'';apply();
  }
  function toHash(){
    var p=new URLSearchParams();
    if(suite.value)p.set('suite',suite.value);if(verdict.value)p.set('verdict',verdict.value);if(req.value)p.set('req',req.value);
    var s=p.toString();if(('#'+s)!==location.hash)history.replaceState(null,'',s?'#'+s:location.pathname);apply();
  }
  function apply(){
    var shown=0,r=req.value.trim().toUpperCase();
    document.querySelectorAll('tr.case').forEach(function(row){
      var reqs=(row.getAttribute('data-requirements')||'').split(' ');
      var ok=(!suite.value||row.getAttribute('data-suite')===suite.value)&&(!verdict.value||row.getAttribute('data-verdict')===verdict.value)
        &&(!r||reqs.some(function(x){return x===r||x.indexOf(r+'-')===0;}));
      row.hidden=!ok;var d=document.getElementById('details-'+row.id.slice(5));if(d)d.hidden=!ok;if(ok)shown++;
    });
    document.getElementById('shown').textContent=String(shown);
    document.body.setAttribute('data-filter',[suite.value,verdict.value,r].join('|'));
  }
  [suite,verdict].forEach(function(e){e.addEventListener('change',toHash);});req.addEventListener('input',toHash);
  window.addEventListener('hashchange',fromHash);fromHash();
})();
`;

export function formatHtml(report: ReportData, extras: HtmlExtras = {}): string {
  const s = report.summary;
  const suites = [...new Set(report.cases.map((c) => c.suite))];
  const verdicts = [...new Set(report.cases.map((c) => c.verdict))];
  const p = report.provenance;
  const rows = report.cases.map((c, i) => {
    const anchor = `c${i}`;
    const row = `<tr class="case" id="case-${anchor}" data-id="${h(c.id)}" data-suite="${h(c.suite)}" data-verdict="${h(c.verdict)}" data-requirements="${h(c.requirements.join(' '))}"><td class="v-${h(c.verdict)}">${h(c.verdict.toUpperCase())}</td><td><code>${h(c.id)}</code></td><td>${h(c.title)}</td><td>${c.requirements.map((r) => `<code>${h(r)}</code>`).join(' ')}</td><td class="n">${report.timings.cases[c.id] ?? ''}</td></tr>`;
    const showDetails = c.verdict !== 'pass' || c.captures !== undefined;
    return showDetails ? `${row}\n<tr class="details-row" id="details-${anchor}"><td></td><td colspan="4" class="details">${details(c, extras)}</td></tr>` : row;
  });
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>sixbench report: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped</title>
<style>${STYLE}</style></head>
<body>
<h1>sixbench report</h1>
<p class="summary" id="summary"><span id="passed">${s.passed} passed</span><span id="failed">${s.failed} failed</span><span id="skipped">${s.skipped} skipped</span><span>of ${s.total} cases</span></p>
<p>seed <code>${h(report.seed)}</code>, started ${h(report.started)}${p ? `; sixbench ${h(p.bench.version)}${p.bench.commit ? ` (${h(p.bench.commit.slice(0, 12))})` : ''}, spec ${h(p.spec.version)}, Node ${h(p.node)}, OpenSSL ${h(p.openssl)}` : ''}${report.iut ? `; IUT ${h(report.iut.name)} ${h(report.iut.version ?? '')}` : ''}${report.shard ? `; shard ${report.shard.index}/${report.shard.count}` : ''}</p>
<h2>Suites</h2>
<table><tr><th>suite</th><th>passed</th><th>failed</th><th>skipped</th></tr>
${Object.entries(s.suites).map(([n, v]) => `<tr><td>${h(n)}</td><td class="n">${v?.pass ?? 0}</td><td class="n">${v?.fail ?? 0}</td><td class="n">${v?.skip ?? 0}</td></tr>`).join('\n')}
</table>
<h2>Coverage by spec area</h2>
<p>${report.coverage.covered} / ${report.coverage.musts} MUST requirements cited by a case of this run.</p>
<table id="coverage"><tr><th>area</th><th>MUSTs covered</th><th></th></tr>
${coverageRows(report)}
</table>
<h2>Cases</h2>
<div id="filters">
<label>suite <select id="f-suite"><option value="">all</option>${suites.map((x) => `<option>${h(x)}</option>`).join('')}</select></label>
<label>verdict <select id="f-verdict"><option value="">all</option>${verdicts.map((x) => `<option>${h(x)}</option>`).join('')}</select></label>
<label>requirement <input id="f-req" placeholder="E2ED-HS-30 or E2ED-HS"></label>
<span><span id="shown">${report.cases.length}</span> shown</span>
</div>
<table class="cases"><tr><th>verdict</th><th>case</th><th>title</th><th>requirements</th><th>ms</th></tr>
${rows.join('\n')}
</table>
<script>${SCRIPT}</script>
</body></html>
`;
}
