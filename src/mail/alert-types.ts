// Types the alert pipeline's modules share (the sweep, routing, composing and delivery), kept
// apart so none of them imports another for a type.
import type { Diagnosis } from '../domain/probe-diagnosis.ts';

export interface AlertLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** One site as it appears in a mail's payload (rendered at send time). */
export interface SitePayload {
  id: string;
  name: string;
  site_url: string | null;
  plugin_version: string | null;
  last_seen_at: string;
  recovered_at?: string;
  reminder?: number;
  diagnosis?: Diagnosis | null;
  diagnosis_detail?: string | null;
  /** The "maintenance window ends in a day" mail: when the window ends, and why it was opened. */
  maintenance_until?: string;
  maintenance_reason?: string | null;
  /** When the sweep decided to announce this site (the delay metric counts from here). */
  decided_at?: string;
}

/** One site's (or the totals') monthly figures as an uptime report mail carries them (docs/reports.md). */
export interface UptimeFiguresPayload {
  uptime_percent: number | null;
  downtime_seconds: number;
  maintenance_seconds: number;
  unknown_seconds: number;
  longest_outage_seconds: number;
  mttr_seconds: number | null;
  incidents: Array<{ start: string; end: string | null; downtime_seconds: number; diagnosis: Diagnosis | null }>;
}

/** The payload of a client's monthly uptime report mail: the report's JSON and the client's name. */
export interface UptimeReportPayload {
  client_name: string;
  month: string;
  time_zone: string;
  sites: Array<{ name: string; figures: UptimeFiguresPayload }>;
  totals: UptimeFiguresPayload;
}
