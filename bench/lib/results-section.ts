// One `## ` section of RESULTS.md replaced by the bench that measures it, every other section left as it is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Where the section starting with `heading` begins and ends in `text` (end: the next `## ` heading or the end). */
export function sectionBounds(text: string, heading: string): { start: number; end: number } | undefined {
  const start = text.indexOf(`${heading}\n`);
  if (start < 0) return undefined;
  const rest = text.slice(start + 1).search(/^## /m);
  return { start, end: rest >= 0 ? start + 1 + rest : text.length };
}

/**
 * `md` with `section` (starting with its `## ` heading) in place of its old version; a new section goes before the
 * section whose heading starts with `before`, when there is one, else at the end.
 */
export function placeSection(md: string, section: string, before?: string): string {
  const heading = section.slice(0, section.indexOf('\n'));
  const body = `${section.trimEnd()}\n`;
  const at = sectionBounds(md, heading);
  if (at) return `${md.slice(0, at.start)}${body}${at.end < md.length ? `\n${md.slice(at.end)}` : ''}`;
  const next = before ? md.indexOf(before) : -1;
  return next >= 0 ? `${md.slice(0, next)}${body}\n${md.slice(next)}` : `${md.trimEnd()}\n\n${body}`;
}

/** Writes `section` into the RESULTS.md at `path` (see placeSection), creating the file when there is none. */
export function writeSection(path: string, section: string, before?: string): void {
  const md = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n\n';
  writeFileSync(path, placeSection(md, section, before));
}
