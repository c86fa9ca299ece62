/**
 * 微信客服 events (origin 4) as what we keep of them: the session state they imply, and the line
 * the transcript shows agents. The lines are for agents in the console (not customer copy).
 */
import type { SessionState } from './session.ts';
import type { KfEvent } from './wire.ts';

/**
 * session_status_change: change_type 1 = a servicer took it from the queue, 2 = moved to another
 * servicer, 3 = ended, 4 = a servicer re-opened an ended or transferred session.
 */
export function sessionChange(e: KfEvent): { state: SessionState; servicer?: string } | undefined {
  if (e.event_type !== 'session_status_change') return undefined;
  switch (e.change_type) {
    case 1:
    case 2:
    case 4:
      return { state: 3, servicer: e.new_servicer_userid };
    case 3:
      return { state: 4 };
    default:
      return undefined;
  }
}

/** The transcript line of an event, or undefined for events agents need not see. */
export function eventLine(e: KfEvent): { kind: string; text: string } | undefined {
  switch (e.event_type) {
    case 'msg_send_fail': {
      // fail_type's meanings are WeChat's to document: the number is shown as it came.
      const why = e.fail_type !== undefined ? `（fail_type ${e.fail_type}）` : '';
      return { kind: 'send_failed', text: `微信未能送达一条消息${why}` };
    }
    case 'session_status_change':
      switch (e.change_type) {
        case 1:
          return { kind: 'session_state', text: `企业微信接待人员 ${e.new_servicer_userid ?? ''} 从待接入池接入了会话`.replace(/ {2}/g, ' ') };
        case 2:
          return { kind: 'session_state', text: `会话由 ${e.old_servicer_userid ?? '?'} 转给了企业微信接待人员 ${e.new_servicer_userid ?? '?'}` };
        case 3:
          return { kind: 'session_state', text: `企业微信接待人员 ${e.old_servicer_userid ?? ''} 结束了会话`.replace(/ {2}/g, ' ') };
        case 4:
          return { kind: 'session_state', text: `企业微信接待人员 ${e.new_servicer_userid ?? ''} 重新接入了会话`.replace(/ {2}/g, ' ') };
        default:
          return undefined;
      }
    case 'user_recall_msg':
      return { kind: 'recall', text: '客户撤回了一条消息' };
    case 'servicer_recall_msg':
      return { kind: 'recall', text: '企业微信接待人员撤回了一条消息' };
    default:
      return undefined;
  }
}
