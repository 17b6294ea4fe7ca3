// A webhook destination's settings: Lobstr's `webhook_fields` (the active flag lives on the
// destination) plus the squid's signing secret, kept sealed with the rest of the config.

/** Lobstr's events, in its documented order: each a boolean in `webhook_fields.events`. */
export const WEBHOOK_EVENTS = ['run.running', 'run.paused', 'run.done', 'run.error'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookConfig {
  url: string;
  /** false: one attempt per event. */
  retry: boolean;
  events: Record<WebhookEvent, boolean>;
  /** `whsec_<base64>`; null only in a parsed config before prepareConfig gives it one. */
  secret: string | null;
}
