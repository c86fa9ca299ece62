/** The transcript kind of a Wechaty message type. */
import { types } from 'wechaty';

/** The transcript kind of a WeChat message type; undefined = not something a customer says. */
export function kindOf(type: types.Message): string | undefined {
  switch (type) {
    case types.Message.Text:
      return 'text';
    case types.Message.Image:
      return 'image';
    case types.Message.Audio:
      return 'voice';
    case types.Message.Attachment:
      return 'file';
    case types.Message.Emoticon:
      return 'sticker';
    case types.Message.Url:
      return 'link';
    case types.Message.Video:
      return 'video';
    case types.Message.Location:
      return 'location';
    case types.Message.MiniProgram:
      return 'miniprogram';
    case types.Message.Contact:
      return 'contact';
    default:
      return undefined;
  }
}
