// Markdown tables, statistics and the machine line under every table.

import { ROOT } from "./proc.ts";

/** A markdown table; numbers are right-aligned by the caller's formatting. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => row[i].length))
  );
  const line = (cells: string[]) =>
    "| " + cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ") + " |";
  const rule = "| " + widths.map((width) => "-".repeat(width)).join(" | ") + " |";
  return [line(header), rule, ...rows.map(line)].join("\n");
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile of `values` (0 < p <= 100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** `1 234 567`-style grouping, as the issues write numbers. */
export function count(value: number): string {
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, " ");
}

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

/** `value / reference` as a percentage, or as a factor when `factor`. */
export function ratio(value: number, reference: number, factor = false): string {
  if (!(reference > 0) || !Number.isFinite(value)) return "–";
  return factor
    ? `${(value / reference).toFixed(1)}×`
    : `${Math.round((value / reference) * 100)} %`;
}

/** The 1-minute load average. */
export async function load(): Promise<number> {
  return Number((await Deno.readTextFile("/proc/loadavg")).split(" ")[0]);
}

async function version(argv: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(argv[0], { args: argv.slice(1), cwd: ROOT }).output();
    return new TextDecoder().decode(out.stdout).split("\n")[0].trim();
  } catch {
    return "?";
  }
}

/** Cores, CPU model and runtime versions, computed once. */
export async function machine(): Promise<string> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1].replace(/\s+/g, " ") ?? "?";
  const bin = `${ROOT}/node_modules/.bin`;
  const bun = await version([`${bin}/bun`, "--version"]);
  const node = await version(["node", "--version"]);
  const hono = JSON.parse(await Deno.readTextFile(`${ROOT}/node_modules/hono/package.json`))
    .version;
  return `${navigator.hardwareConcurrency} cores (${model}); Deno ${Deno.version.deno}, ` +
    `Bun ${bun}, Node ${node}, Hono ${hono}`;
}

/** The line under a table: the machine and how loaded it was while the table was measured. */
export function footer(machineLine: string, loadBefore: number, loadAfter: number): string {
  return `Machine: ${machineLine}; load average ${loadBefore.toFixed(2)} → ${
    loadAfter.toFixed(2)
  } during the run.`;
}
