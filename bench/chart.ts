/**
 * The README's chart: throughput against the ceiling, and latency percentiles, as an SVG built here and
 * rasterised with @resvg/resvg-js (a native binary from npm; nothing is downloaded at run time).
 */
import { writeFile } from 'node:fs/promises';
import { Resvg } from '@resvg/resvg-js';
import type { BenchReport } from './report-types';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Bar {
  label: string;
  value: number;
  color: string;
  note?: string;
}

function panel(x: number, y: number, w: number, h: number, title: string, unit: string, bars: Bar[]): string {
  const max = Math.max(1, ...bars.map((b) => b.value)) * 1.15;
  const plotX = x + 190;
  const plotW = w - 190 - 80;
  const rowH = (h - 40) / bars.length;
  let svg = `<text x="${x}" y="${y + 16}" font-size="16" font-weight="bold">${esc(title)}</text>`;
  bars.forEach((bar, i) => {
    const by = y + 32 + i * rowH;
    const bw = Math.max(1, (bar.value / max) * plotW);
    svg += `<text x="${plotX - 8}" y="${by + rowH / 2 + 4}" font-size="12" text-anchor="end">${esc(bar.label)}</text>`;
    svg += `<rect x="${plotX}" y="${by + 4}" width="${bw.toFixed(1)}" height="${(rowH - 8).toFixed(1)}" fill="${bar.color}"/>`;
    svg += `<text x="${plotX + bw + 6}" y="${by + rowH / 2 + 4}" font-size="12">${esc(`${bar.value} ${unit}${bar.note ? ` ${bar.note}` : ''}`)}</text>`;
  });
  svg += `<line x1="${plotX}" y1="${y + 30}" x2="${plotX}" y2="${y + h - 6}" stroke="#444"/>`;
  return svg;
}

export function chartSvg(r: BenchReport): string {
  const width = 900;
  const height = 560;
  const pct = (v: number) => `(${Math.round(v * 100)}% of ceiling)`;
  const ceil = r.ceiling.workflowsPerSecond;
  const throughput: Bar[] = [
    { label: 'ceiling: no-op workflow', value: ceil, color: '#7f7f7f' },
    {
      label: 'one-time orders (API→Keap)',
      value: r.orders.ordersPerSecond,
      color: '#1f77b4',
      note: pct(r.orders.ordersPerSecond / ceil),
    },
    {
      label: 'webhook payments → Keap',
      value: r.webhooks.recordedPerSecond,
      color: '#2ca02c',
      note: pct(r.webhooks.recordedPerSecond / ceil),
    },
    {
      label: 'subscriptions started',
      value: r.scale.phases.at(-1)?.startedPerSecond ?? 0,
      color: '#9467bd',
      note: pct((r.scale.phases.at(-1)?.startedPerSecond ?? 0) / ceil),
    },
  ];
  const latency: Bar[] = [
    { label: 'order end-to-end p50', value: r.orders.endToEndMs.p50, color: '#1f77b4' },
    { label: 'order end-to-end p99', value: r.orders.endToEndMs.p99, color: '#1f77b4' },
    { label: 'webhook ack p50', value: r.webhooks.ackMs.p50, color: '#2ca02c' },
    { label: 'webhook ack p99', value: r.webhooks.ackMs.p99, color: '#2ca02c' },
    { label: 'webhook → Keap p50', value: r.webhooks.toKeapMs.p50, color: '#98df8a' },
    { label: 'webhook → Keap p99', value: r.webhooks.toKeapMs.p99, color: '#98df8a' },
  ];
  const body =
    panel(20, 50, width - 40, 200, 'Throughput (per second)', '/s', throughput) +
    panel(20, 270, width - 40, 270, 'Latency (ms)', 'ms', latency);
  const subtitle = `${r.machine.cpus} CPU · ${r.machine.memoryGiB} GiB · Keap sandbox latency ${r.config.keapLatencyMs} ms · ${r.generatedAt.slice(0, 16)}Z${r.config.quick ? ' · QUICK RUN' : ''}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="20" y="26" font-size="18" font-weight="bold">Sales Sync vs. the ceiling of this machine</text>
<text x="20" y="44" font-size="12" fill="#555">${esc(subtitle)}</text>
${body}
</svg>`;
}

export async function renderChart(report: BenchReport, pngPath: string): Promise<void> {
  const svg = chartSvg(report);
  const png = new Resvg(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: true } }).render().asPng();
  await writeFile(pngPath, png);
}
