import { luaScripts } from '../lua.ts';

export type ScriptName =
  | 'append'
  | 'enqueue'
  | 'claim'
  | 'transfer'
  | 'release'
  | 'resolve'
  | 'park'
  | 'reply'
  | 'tags'
  | 'sla-tick'
  | 'ack'
  | 'notify-fix'
  | 'problem-fix';

/** The handoff's transitions: `lua/<name>-<numKeys>.lua`. */
export const runScript = luaScripts<ScriptName>(new URL('./lua/', import.meta.url), 'kefu');
