/**
 * The knowledge component: markdown FAQ files, their validation and hot reload, the
 * matching engine and the WeChat renderer. No transport or storage here (no wechaty,
 * fastify or Redis): the bot and the console build on this API only.
 */
export type {
  Decision,
  FaqEntry,
  KbExtras,
  KbProblem,
  KnowledgeBase,
  MatchCandidate,
  AnsweredQuestion,
  MatchResult,
  Thresholds,
} from './types.ts';
export { formatProblem, KnowledgeBaseInvalidError } from './errors.ts';
export { lintKnowledgeBase, loadKnowledgeBase, parseEntryFile } from './loader.ts';
export { watchKnowledgeBase, type KnowledgeWatcher, type WatchOptions } from './watcher.ts';
export { createKnowledgeService, type KnowledgeService, type KnowledgeServiceOptions } from './service.ts';
export { Matcher, type MatcherOptions, type RankedEntry } from './engine/matcher.ts';
export { defaultThresholds } from './engine/model.ts';
export { defaultMatchThreads, MatchThreads, type Matched, type MatchThreadsOptions } from './match-threads.ts';
export { MAX_QUERY_CHARS } from './engine/query.ts';
export { normalize } from './engine/text.ts';
export { toSimplified } from './engine/simplified.ts';
export { warmUp } from './engine/segmenter.ts';
export { renderAnswer, renderPlainText, splitMessages, WECHAT_MAX_MESSAGE_BYTES } from './render.ts';
export { menuEntries } from './menu.ts';
export { parseReplies, readReplies, REPLIES_FILE, type CannedReply } from './replies.ts';
export {
  DEFAULT_MESSAGES_FILE,
  loadMessages,
  MESSAGE_KEYS,
  MESSAGE_PLACEHOLDERS,
  MessagesInvalidError,
  parseMessages,
  placeholdersOf,
  readMessages,
  renderFixNotice,
  renderSuggestions,
  renderTemplate,
  type MessageKey,
  type Messages,
} from './phrases.ts';
export { EDITOR_PARTS, lintEditorFiles, partOfPath, readPart, type EditorFilesReport, type EditorPart, type EditorPartValues, type PartRead } from './editor-files.ts';
export {
  followingWatcher,
  watchEditorFiles,
  type EditorEvent,
  type EditorFiles,
  type EditorFilesOptions,
  type EditorSnapshot,
  type PartResults,
} from './editor-watch.ts';
export { unsafeText, type UnsafeText } from './safe-text.ts';
export { evaluate, percentile, rate, type EvalCase, type EvalReport } from './evaluate.ts';
export { readCases } from './cli/cases.ts';
export {
  addAlternate,
  applyKbEdits,
  createEntry,
  KbEditError,
  MAX_MENU,
  MAX_PHRASE_CHARS,
  menuOf,
  phraseKey,
  setAnswer,
  setMenuOrder,
  type AlternateAdded,
  type AnswerSet,
  type EntryCreated,
  type FileChange,
  type KbEditCode,
  type MenuItem,
  type NewEntry,
} from './edit.ts';
export { decisionKey, MIN_AUTO_THRESHOLD } from '../learning-rules.ts';
export { groupGaps, type GapExample, type GapGroup, type GapInput, type GroupGapsOptions } from './gaps.ts';
export {
  adoptConfirmed,
  autoAdopt,
  learnFromTraffic,
  readyToAdopt,
  type AdoptionLedger,
  type Adopted,
  type AlternateProposal,
  type EvidenceInput,
  type LearningLog,
  type LearningReport,
  type LearningStore,
  type LearningTarget,
  type LearnOptions,
  type ProposalGroup,
  type WrongAnswer,
} from './learning.ts';
export { removeAlternate, withoutAlternate } from './learning-edit.ts';
export { DEFAULT_SMALLTALK, detectSmalltalk, parseSmalltalk, readSmalltalk, SMALLTALK_FILE, SMALLTALK_INTENTS, type Smalltalk, type SmalltalkIntent, type SmalltalkMatch } from './smalltalk.ts';
