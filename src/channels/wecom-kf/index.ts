/** 微信客服 (WeChat Customer Service through WeCom): the `wecom-kf` channel. */
export { createWecomKf, type WecomKfDeps, type WecomKfModule } from './module.ts';
export { WecomKfAdapter, WecomSendRateLimited, WECOM_KF_MAX_TEXT_BYTES } from './adapter.ts';
export { parseWecomKfSettings, wecomKfSettingsSchema, type WecomKfSettings, type WecomKfSettingsResult } from './settings.ts';
export { windowState, MAX_REPLIES, WINDOW_S, type WindowState } from './window.ts';
export { WecomApi } from './api.ts';
export { WecomApiError, WecomRateLimitedError, WecomTransportError, WecomMediaTooLargeError } from './errors.ts';
export { botIdOf, customerIdOf } from './ids.ts';
export { CALLBACK_PATH } from './callback.ts';
export type { SessionState } from './session.ts';
