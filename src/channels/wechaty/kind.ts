/** The transcript kind of a Wechaty message type. */
import { types } from 'wechaty';

const KINDS = new Map<types.Message, string>([
  [types.Message.Text, 'text'],
  [types.Message.Image, 'image'],
  [types.Message.Audio, 'voice'],
  [types.Message.Attachment, 'file'],
  [types.Message.Emoticon, 'sticker'],
  [types.Message.Url, 'link'],
  [types.Message.Video, 'video'],
  [types.Message.Location, 'location'],
  [types.Message.MiniProgram, 'miniprogram'],
  [types.Message.Contact, 'contact'],
]);

/** The transcript kind of a WeChat message type; undefined = not something a customer says. */
export const kindOf = (type: types.Message): string | undefined => KINDS.get(type);
