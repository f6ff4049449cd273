import { log } from '@temporalio/activity';
import type { AppConfig } from '../config';
import { allOf, logNotifier, webhookNotifier, type Notifier } from './notifier';

/** The log always; the signed webhook too when NOTIFY_WEBHOOK_URL is configured. */
export function createNotifier(config: Pick<AppConfig, 'notifyWebhook'>): Notifier {
  const toLog = logNotifier((message, meta) => {
    log.info(message, meta);
  });
  return config.notifyWebhook ? allOf(toLog, webhookNotifier(config.notifyWebhook)) : toLog;
}
