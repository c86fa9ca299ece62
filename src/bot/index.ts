/**
 * The bot component: the channel-agnostic turn that answers from the FAQ and hands chats to people
 * through the handoff, run per channel account (./runtime.ts) over a channel adapter
 * (../channels: Wechaty, 微信客服, Official Account); `KefuBot` is the Wechaty plugin form. It builds on the public APIs of ../knowledge and ../handoff only (never fastify or
 * the console).
 */
export { KefuBot, kindOf, type KefuBotConfig, type KefuBotPlugin, type KefuBotUninstaller } from './plugin.ts';
export { startBot, policyFromConfig, type RunningBot, type StartOptions } from './main.ts';
export { IdentityMap, customerIdFromAlias, fingerprint, ALIAS_PREFIX, type IdentityContact, type IdentityOptions } from '../channels/wechaty/index.ts';
export { BotRuntime } from './runtime.ts';
export { Turn } from './turn.ts';
export type { BotRuntimeConfig, BotMetrics } from './config.ts';
export { FloodGuard, RecentIds, isTooOld, type FloodOptions, type FloodVerdict } from './guard.ts';
export { FloodCap, type FloodCapOptions, type FloodCut } from './guard.ts';
export { Journal, journalName, type JournalEntry, type JournalOptions } from './journal.ts';
export {
  decide,
  decideNonText,
  delayNoticeText,
  queueNoticeText,
  DEFAULT_POLICY_OPTIONS,
  type PolicyKnowledge,
  type PolicyOptions,
} from './policy.ts';
export { MockWeChatSimulator, SimulatorFullError, type SimulatedLine, type SimulatorOptions } from './simulator.ts';
export { loadMessages, parseMessages, watchMessages, MessagesInvalidError, type Messages, type MessageKey, type MessagesWatcher } from './messages.ts';
export type { Action, Decision, PolicyInput, Session } from './types.ts';
