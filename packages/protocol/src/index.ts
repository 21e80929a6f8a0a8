export * from './stages.ts';
export * from './limits.ts';
export * from './wire.ts';
export * from './dimensions.ts';
export * from './feedback.ts';
export * from './variants.ts';
export {
  parseBatch,
  isStageList,
  cleanText,
  stripControls,
  type ParsedBatch,
  type ParseResult,
  type ParseOptions,
} from './validate.ts';
export type * from './reports.ts';
