/**
 * access_tokens as the two platforms hand them out. WeCom's gettoken returns the same token while
 * it is valid; an Official Account's /cgi-bin/token issues a new one on every call and the
 * previous one keeps working for five more minutes; /cgi-bin/stable_token returns the same one
 * unless asked to force a refresh.
 */
import { randomBytes } from 'node:crypto';
import type { SimClock } from './clock.ts';
import { OA_ERR, WECOM_ERR, type Platform } from './errcodes.ts';

/** How long a superseded Official Account token keeps working. */
const OA_OVERLAP_MS = 5 * 60_000;

interface TokenEntry {
  platform: Platform;
  expiresAt: number;
  /** When a newer /cgi-bin/token call replaced it (Official Account only). */
  supersededAt?: number;
}

export interface IssuedToken {
  access_token: string;
  expires_in: number;
}

export class TokenStore {
  private readonly tokens = new Map<string, TokenEntry>();
  private wecomCurrent: string | undefined;
  private oaCurrent: string | undefined;
  private oaStable: string | undefined;

  constructor(
    private readonly clock: SimClock,
    private readonly ttlS: number,
  ) {}

  private mint(platform: Platform): string {
    const token = randomBytes(48).toString('base64url');
    this.tokens.set(token, { platform, expiresAt: this.clock.now() + this.ttlS * 1000 });
    return token;
  }

  private live(token: string | undefined): TokenEntry | undefined {
    const entry = token ? this.tokens.get(token) : undefined;
    return entry && entry.expiresAt > this.clock.now() && entry.supersededAt === undefined ? entry : undefined;
  }

  private issued(token: string): IssuedToken {
    const entry = this.tokens.get(token) as TokenEntry;
    return { access_token: token, expires_in: Math.max(1, Math.ceil((entry.expiresAt - this.clock.now()) / 1000)) };
  }

  /** WeCom gettoken: the current token while it lives, else a new one. */
  wecom(): IssuedToken {
    if (!this.live(this.wecomCurrent)) this.wecomCurrent = this.mint('wecom');
    return this.issued(this.wecomCurrent as string);
  }

  /** Official Account /cgi-bin/token: always a new token; the previous one fades out after 5 minutes. */
  oa(): IssuedToken {
    const previous = this.oaCurrent ? this.tokens.get(this.oaCurrent) : undefined;
    if (previous && previous.supersededAt === undefined) previous.supersededAt = this.clock.now();
    this.oaCurrent = this.mint('oa');
    return this.issued(this.oaCurrent);
  }

  /** Official Account /cgi-bin/stable_token. */
  oaStableToken(forceRefresh: boolean): IssuedToken {
    if (forceRefresh || !this.live(this.oaStable)) {
      const old = this.oaStable ? this.tokens.get(this.oaStable) : undefined;
      if (old && old.supersededAt === undefined) old.supersededAt = this.clock.now();
      this.oaStable = this.mint('oa');
    }
    return this.issued(this.oaStable as string);
  }

  /** 0 when `token` may call `platform`'s API now, else the errcode the platform answers with. */
  check(platform: Platform, token: string | undefined): number {
    const err = platform === 'wecom' ? WECOM_ERR : OA_ERR;
    if (!token) return err.TOKEN_MISSING;
    const entry = this.tokens.get(token);
    if (!entry || entry.platform !== platform) return platform === 'wecom' ? WECOM_ERR.INVALID_TOKEN : OA_ERR.INVALID_CREDENTIAL;
    const now = this.clock.now();
    if (entry.expiresAt <= now) return err.TOKEN_EXPIRED;
    if (entry.supersededAt !== undefined && now - entry.supersededAt >= OA_OVERLAP_MS) return OA_ERR.INVALID_CREDENTIAL;
    return 0;
  }

  /** Every token issued so far expires now (42001 on use); the next fetch gets a new one. */
  expireAll(): void {
    const now = this.clock.now();
    for (const entry of this.tokens.values()) entry.expiresAt = Math.min(entry.expiresAt, now);
    this.wecomCurrent = this.oaCurrent = this.oaStable = undefined;
  }
}
