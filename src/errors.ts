/** Base of every error the product throws on purpose: a stable `code` callers can branch on. */
export class KefuError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
