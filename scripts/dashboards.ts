/**
 * The Grafana dashboards of the chart (charts/inference-service/dashboards/*.json), built from
 * the panel tables of dashboard-panels.ts with the Grafana Foundation SDK's builders, so they
 * have the shape of its generated dashboard model; `node scripts/gen.ts` writes them (`--check`:
 * the drift check). tests/observability/dashboards.test.ts typechecks each file against that
 * model; tests/observability/prometheus.test.ts runs every panel's query against a real
 * Prometheus and fails on one that returns no series.
 */
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  LegendDisplayMode,
  LegendPlacement,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { DASHBOARDS, type Panel } from './dashboard-panels.ts';

export { DASHBOARDS };

const datasource = { type: 'prometheus', uid: '${datasource}' };

/**
 * One dashboard in Grafana's classic JSON model (the SDK's `dashboard` package), with a
 * Prometheus data source variable; two timeseries panels a row. The SDK marks that model
 * deprecated in favour of `dashboardv2` (Grafana 12's resource format), but the classic model is
 * what the Grafana sidecar and file provisioning load without feature toggles, so we keep it.
 */
/* eslint-disable @typescript-eslint/no-deprecated -- the classic model, on purpose (above) */
export function dashboardJson(uid: string, title: string, panels: readonly Panel[]): Dashboard {
  const dashboard = new DashboardBuilder(title)
    .uid(`inference-${uid}`)
    .tags(['inference-service'])
    .editable()
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .withVariable(
      new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'),
    );
  panels.forEach((p, i) => {
    dashboard.withPanel(
      new PanelBuilder()
        .id(i + 1)
        .title(p.title)
        .description(p.answers)
        .datasource(datasource)
        .gridPos({ x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 })
        .unit(p.unit)
        .legend(
          new VizLegendOptionsBuilder()
            .showLegend(true)
            .displayMode(LegendDisplayMode.List)
            .placement(LegendPlacement.Bottom),
        )
        .tooltip(
          new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending),
        )
        .withTarget(
          new DataqueryBuilder()
            .refId('A')
            .datasource(datasource)
            .expr(p.expr)
            .legendFormat(p.legend),
        ),
    );
  });
  return dashboard.build();
}
/* eslint-enable @typescript-eslint/no-deprecated */

/** The chart's dashboard files, path → prettier-formatted JSON (a generator of scripts/gen.ts). */
export async function dashboardFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const [name, d] of Object.entries(DASHBOARDS)) {
    const path = join('charts/inference-service/dashboards', `${name}.json`);
    const json = JSON.stringify(dashboardJson(name, d.title, d.panels));
    files[path] = await format(json, { ...(await resolveConfig(path)), filepath: path });
  }
  return files;
}
