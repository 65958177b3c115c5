import { readFileSync } from 'node:fs';
import path from 'node:path';
import { alertRules, catalogueMetricOf, dashboardQueries, GRAFANA_DIR, loadCatalogue, queriedSeries, ruleQueries, selectorsOf } from './queries';

const catalogue = loadCatalogue();
/** Labels Prometheus adds when it scrapes (job, instance) and that Kubernetes service discovery adds. */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'service', 'container', 'endpoint'];

describe('the PromQL reader', () => {
  it('finds the metric of every selector form and refuses broken expressions', () => {
    expect(selectorsOf('sum by (le) (rate(a_bucket{x="1", y=~"2"}[$__rate_interval])) / on() group_left b')).toEqual([
      { metric: 'a_bucket', matchedLabels: ['x', 'y'] },
      { metric: 'b', matchedLabels: [] },
    ]);
    expect(selectorsOf('{__name__="c_total", z!="3"} + {"d.utf8"}')).toEqual([
      { metric: 'c_total', matchedLabels: ['z'] },
      { metric: 'd.utf8', matchedLabels: [] },
    ]);
    expect(() => selectorsOf('sum(rate(a[5m])')).toThrow(/syntax error/);
    expect(() => selectorsOf('rate(a[5m]) +')).toThrow(/syntax error/);
  });
});

describe('dashboard and alert queries', () => {
  const queries = [...dashboardQueries(), ...ruleQueries()];

  it('are many and all valid PromQL', () => {
    expect(dashboardQueries().length).toBeGreaterThanOrEqual(20);
    expect(ruleQueries().length).toBe(5);
    for (const query of queries) expect(() => selectorsOf(query.expr)).not.toThrow();
  });

  it('query only metrics of the catalogue, on labels those metrics have', () => {
    const problems: string[] = [];
    for (const query of queries) {
      for (const selector of selectorsOf(query.expr)) {
        const metric = catalogueMetricOf(selector.metric, catalogue);
        if (!metric) {
          problems.push(`${query.where}: ${selector.metric} is not an exported metric`);
          continue;
        }
        const known = [...metric.labels, ...TARGET_LABELS, ...(selector.metric.endsWith('_bucket') ? ['le'] : [])];
        for (const label of selector.matchedLabels.filter((l) => !known.includes(l))) problems.push(`${query.where}: ${selector.metric} has no label ${label}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('cover every metric of the catalogue', () => {
    const queried = new Set(queriedSeries().map((series) => catalogueMetricOf(series, catalogue)!.name));
    expect(catalogue.map((m) => m.name).filter((name) => !queried.has(name))).toEqual([]);
  });
});

describe('the dashboard', () => {
  const dashboard = JSON.parse(readFileSync(path.join(GRAFANA_DIR, 'stratus.dashboard.json'), 'utf8'));

  it('takes its Prometheus data source as a variable, used by every panel and query', () => {
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    for (const panel of dashboard.panels.filter((p: { type: string }) => p.type !== 'row')) {
      expect({ panel: panel.title, datasource: panel.datasource }).toEqual({ panel: panel.title, datasource: { type: 'prometheus', uid: '${datasource}' } });
      for (const target of panel.targets) expect(target.datasource.uid).toBe('${datasource}');
    }
  });

  it('has a row for each part of the system, and panels that do not overlap', () => {
    expect(dashboard.panels.filter((p: { type: string }) => p.type === 'row').map((p: { title: string }) => p.title)).toEqual([
      'Sessions', 'Turns', 'Queue', 'Model', 'Tools', 'Sandboxes', 'Streams', 'Errors',
    ]);
    const cells = new Set<string>();
    for (const { gridPos: g, title } of dashboard.panels) {
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect({ title, cell: cells.has(`${x},${y}`) }).toEqual({ title, cell: false });
          cells.add(`${x},${y}`);
        }
      }
    }
    expect(new Set(dashboard.panels.map((p: { id: number }) => p.id)).size).toBe(dashboard.panels.length);
  });
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');

describe('the alert rules', () => {
  const readme = readFileSync(path.join(GRAFANA_DIR, '..', '..', 'README.md'), 'utf8');
  const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));

  it('cover queue wait, turn failures, sandbox start failures, stream lag and the 5xx rate', () => {
    expect(alertRules().map((r) => r.alert)).toEqual(['StratusQueueWaitHigh', 'StratusTurnFailures', 'StratusSandboxStartFailures', 'StratusStreamLag', 'StratusHttp5xxRate']);
  });

  it('each wait before firing, carry a severity and a summary, and link to their runbook in the README', () => {
    for (const rule of alertRules()) {
      expect({ alert: rule.alert, for: rule.for, severity: rule.labels.severity }).toEqual({ alert: rule.alert, for: expect.stringMatching(/^\d+m$/), severity: expect.stringMatching(/^(warning|critical)$/) });
      expect(rule.annotations.summary).toBeTruthy();
      const anchor = /README\.md#([\w-]+)$/.exec(rule.annotations.runbook_url ?? '')?.[1];
      expect({ alert: rule.alert, anchor }).toEqual({ alert: rule.alert, anchor: rule.alert.toLowerCase() });
      expect({ alert: rule.alert, runbook: anchors.has(anchor!) }).toEqual({ alert: rule.alert, runbook: true });
    }
  });
});
