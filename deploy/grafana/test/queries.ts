import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { parse as parseYaml } from 'yaml';

export const GRAFANA_DIR = path.resolve(__dirname, '..');

export interface CatalogueMetric {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  labels: string[];
  help: string;
}

/** The metrics the apps export (metrics.json), by Prometheus name. */
export function loadCatalogue(): CatalogueMetric[] {
  return (JSON.parse(readFileSync(path.join(GRAFANA_DIR, 'metrics.json'), 'utf8')) as { metrics: CatalogueMetric[] }).metrics;
}

/** One PromQL expression and where it is written. */
export interface Query {
  where: string;
  expr: string;
}

/** Grafana's interval variables are not PromQL: a query is parsed with a duration in their place. */
function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
}

/** Every query of the dashboard's panels. */
export function dashboardQueries(): Query[] {
  const dashboard = JSON.parse(readFileSync(path.join(GRAFANA_DIR, 'stratus.dashboard.json'), 'utf8')) as { panels: { title: string; targets?: { refId: string; expr: string }[] }[] };
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr })));
}

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The alert rules, as a Prometheus rules file holds them. */
export function alertRules(): AlertRule[] {
  const file = parseYaml(readFileSync(path.join(GRAFANA_DIR, 'stratus-alerts.rules.yaml'), 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

export function ruleQueries(): Query[] {
  return alertRules().map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }));
}

/** A series selector of a query: the metric name and the labels it matches on. */
export interface Selector {
  metric: string;
  matchedLabels: string[];
}

const text = (expr: string, node: SyntaxNode) => expr.slice(node.from, node.to);
const unquote = (literal: string) => JSON.parse(literal.replace(/^'|'$/g, '"')) as string;

/**
 * The series selectors of a PromQL expression, read from Prometheus's own grammar (lezer-promql):
 * `name{...}`, `{__name__="name", ...}` and `{"name", ...}`. Throws on a syntax error.
 */
export function selectorsOf(rawExpr: string): Selector[] {
  const expr = withoutGrafanaVariables(rawExpr);
  const tree = parser.parse(expr);
  const selectors: Selector[] = [];
  const errors: number[] = [];
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) errors.push(ref.from);
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      let metric = node.getChild('Identifier') ? text(expr, node.getChild('Identifier')!) : undefined;
      const matchedLabels: string[] = [];
      for (const matcher of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = text(expr, matcher.getChild('LabelName')!);
        if (label === '__name__') metric = unquote(text(expr, matcher.getChild('StringLiteral')!));
        else matchedLabels.push(label);
      }
      for (const quoted of node.getChild('LabelMatchers')?.getChildren('QuotedLabelName') ?? []) metric = unquote(text(expr, quoted));
      if (metric === undefined) throw new Error(`a selector without a metric name in ${rawExpr}`);
      selectors.push({ metric, matchedLabels });
    },
  });
  if (errors.length > 0) throw new Error(`PromQL syntax error at offset ${errors[0]} of ${rawExpr}`);
  return selectors;
}

/** The catalogue metric a scraped series name belongs to (a histogram's _bucket, _sum and _count are its own). */
export function catalogueMetricOf(series: string, catalogue: CatalogueMetric[]): CatalogueMetric | undefined {
  return catalogue.find((m) => m.name === series || (m.type === 'histogram' && [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`].includes(series)));
}

/** Every series name the dashboard and the alert rules query. */
export function queriedSeries(): string[] {
  return [...new Set([...dashboardQueries(), ...ruleQueries()].flatMap((q) => selectorsOf(q.expr).map((s) => s.metric)))].sort();
}
