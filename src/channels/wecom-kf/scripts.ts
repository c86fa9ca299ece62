/** The channel's Lua scripts (./lua/<name>-<numKeys>.lua; each header documents KEYS and ARGV). */
import { luaScripts } from '../../lua.ts';

export type KfScript = 'sync-acquire' | 'sync-commit' | 'sync-release' | 'window-in' | 'window-take' | 'window-settle';

export const runKfScript = luaScripts<KfScript>(new URL('./lua/', import.meta.url), 'wecomkf');
