/**
 * The handoff component: conversations, the SLA queue and reliable delivery between bots and
 * consoles, all through Redis. No wechaty and no fastify here: bots and consoles use this API.
 */
export type {
  Agent,
  Conversation,
  ConversationStatus,
  CustomerRef,
  HandoffEvent,
  HandoffEventType,
  HandoffReason,
  KnowledgeGap,
  MessageFrom,
  NewMessage,
  OutboundMessage,
  Tier,
  TranscriptMessage,
  TurnOutcome,
} from './types.ts';
export { HANDOFF_REASONS, STATUSES, TURN_OUTCOMES } from './types.ts';
export { HandoffError, type HandoffErrorCode } from './errors.ts';
export { Handoff } from './handoff.ts';
export { WITHDRAWN_BY } from './transitions.ts';
export type { HandoffOptions } from './context.ts';
export type { BotStatus, ChannelInfo, ServiceWindow } from './registry.ts';
export { readServiceWindow } from './registry.ts';
export type { QueueCounts } from './queries.ts';
export { InvalidCursorError, LIST_STATUSES, LIST_VIEWS, type ListPage, type ListQuery, type ListStatus, type ListView } from './lists.ts';
export type { QueueTicket } from './queue-place.ts';
export type { Rating } from './counters.ts';
export type { LowRating, LowRatingState } from './low-ratings.ts';
export {
  DEFAULT_THRESHOLD,
  EVIDENCE_KINDS,
  Learning,
  LEARNING_MAX_LEN,
  MAX_THRESHOLD,
  MIN_THRESHOLD,
  type Adoption,
  type Evidence,
  type EvidenceKind,
  type LearningSettings,
} from './learning.ts';
export { OutboundConsumer, outcomeLineId, type OutboundOptions } from './outbound.ts';
export { Problems, type Problem, type ProblemStatus, type ProblemsDeps, type ProblemsOptions } from './problems.ts';
export { startSlaTicker, type SlaFired } from './ticker.ts';
export { EventReader, type EventReaderOptions } from './events.ts';
export { readSnapshots, type Snapshot } from './snapshots.ts';
export { conversationId, createKeys, parseConversationId, InvalidIdError, type Keys } from './keys.ts';
export { createRedis, isReady, type RedisConfig } from './redis.ts';
export { parseRedisUrl, RedisUrlError, type RedisTarget } from './redis-url.ts';
export {
  addBusinessMinutes,
  businessMinutesBetween,
  DEFAULT_SLA_POLICY,
  isBusinessTime,
  nextBusinessStart,
  queueNotice,
  slaPolicySchema,
  slaState,
  slaTimes,
  type BusinessHours,
  type QueueNotice,
  type SlaPolicy,
  type SlaState,
  type SlaTimes,
} from './sla.ts';
export { MediaStore, MEDIA_TTL_S, type MediaFile } from './media.ts';
export { isFiller } from './preview.ts';
