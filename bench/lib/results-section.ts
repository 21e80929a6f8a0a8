// One `## ` section of RESULTS.md replaced by the bench that measures it, every other section left as it is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Where the section starting with `heading` begins and ends in `text` (end: the next `## ` heading or the end). */
export function sectionBounds(text: string, heading: string): { start: number; end: number } | undefined {
  const start = text.indexOf(`${heading}\n`);
  if (start < 0) return undefined;
  const rest = text.slice(start + 1).search(/^## /m);
  return { start, end: rest >= 0 ? start + 1 + rest : text.length };
}

/** Writes `section` (starting with its `## ` heading) into the file at `path`, in place of its old version or at the end. */
export function writeSection(path: string, section: string): void {
  const heading = section.slice(0, section.indexOf('\n'));
  const before = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n\n';
  const at = sectionBounds(before, heading);
  const body = `${section.trimEnd()}\n`;
  const after = at
    ? `${before.slice(0, at.start)}${body}${at.end < before.length ? `\n${before.slice(at.end)}` : ''}`
    : `${before.trimEnd()}\n\n${body}`;
  writeFileSync(path, after);
}
