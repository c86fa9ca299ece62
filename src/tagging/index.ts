/**
 * Tags that write themselves: suggestions from a conversation's words (the knowledge engine's
 * segmentation) and the FAQ entries it touched, learned from agents' past tags; auto-apply for the
 * tags whose precision, measured on held-out past conversations, passes the bar. Pure: no wechaty,
 * no fastify; Redis through handoff/keys.ts.
 */
export { featuresOf, type LabelledConversation, type TaggingInput } from './features.ts';
export { predict, reasons, trainModel, TRAIN_DEFAULTS, type TagModel, type TrainingDoc, type TrainOptions } from './model.ts';
export {
  AUTO_PRECISION,
  AUTO_THRESHOLD,
  autoTags,
  crossPredict,
  FOLDS,
  foldOf,
  measure,
  MIN_AUTO_SUPPORT,
  SUGGEST_MAX,
  SUGGEST_THRESHOLD,
  suggestedTags,
  summarize,
  type DocWithId,
  type Judged,
  type Summary,
  type TagQuality,
} from './quality.ts';
export { inputOf, readHistory, type MessageLike, type TaggedArchive } from './source.ts';
export { DEFAULT_MAX_APPLIED, TaggingStore, type AppliedRecord, type StoredModel, type TaggingSettings } from './store.ts';
export { TAG_LABELS_FILE, TagLabels } from './labels.ts';
export { liveConversations, pruneApplied, type PruneResult } from './applied.ts';
export { DEFAULT_RETRAIN_MS, TagSuggester, type QualityRow, type QualityTable, type Suggestion, type Suggestions, type TaggingOptions } from './service.ts';
