/**
 * The one way the project writes CSV (report downloads, `kefu report`): files meant for Excel or
 * WPS, with customers' words in them. A cell that starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return is a formula to a spreadsheet (`=HYPERLINK(...)`, `@SUM(...)`, DDE), so such a
 * text cell gets a leading `'` and quotes (OWASP's advice for CSV injection): it then shows as the
 * text the customer typed, with the quote, and never runs. Numbers the project computed are written
 * as numbers (a negative count is still a number).
 */

// OWASP's list, plus the same characters after leading white space: some importers trim cells.
const FORMULA_START = /^(?:[=+\-@\t\r]|\s+[=+\-@])/;

/** UTF-8 byte order mark: without it Excel reads UTF-8 Chinese as mojibake. */
const BOM = '\uFEFF';

/** One cell: quoted when it holds a quote, comma or line break, neutralised when it could be a formula. */
export function csvCell(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  let s = String(value ?? '');
  const formula = FORMULA_START.test(s);
  if (formula) s = `'${s}`;
  return formula || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A whole file: BOM, one CRLF-terminated line per row (RFC 4180 line endings). */
export function toCsv(rows: readonly (readonly unknown[])[]): string {
  return BOM + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
