// Types the sweep (src/alerts/sweep.ts) and its steps share, kept apart so that no step imports the
// sweep or another step for a type.
import type { RoutedItem } from '../channels/channel-routing.ts';
import type { Database } from '../db/database.ts';
import type { StaleFlip } from '../db/episodes.ts';
import type { ProbeRow } from '../db/probes.ts';
import type { AlertLog } from '../mail/alert-types.ts';
import type { Metrics } from '../metrics.ts';
import type { ProbeGate, ProbeSettings } from './probe-gate.ts';

export interface SweepDeps {
  db: Database;
  staleAfterMs: number;
  alertRepeatMs: number;
  stormFraction: number;
  stormMin: number;
  operatorEmail?: string;
  log?: AlertLog;
  /** Nudge and probe before flipping; undefined = PROBE=off. */
  probe?: ProbeSettings;
  metrics?: Pick<Metrics, 'probes'>;
  /** ALERT_GROUP_WINDOW: stale and recovery digests gather an owner's sites for this long (0 = send at the sweep). */
  alertGroupWindowMs?: number;
  /** SWEEP_BATCH: bots flipped per transaction (default DEFAULT_FLIP_BATCH). */
  flipBatch?: number;
  /** Called after each committed batch of flips, before the next one (tests stop or watch a sweep there). */
  onBatch?: (progress: SweepProgress) => void | Promise<void>;
  /** The sweep lease's length (default SWEEP_LEASE_MS). */
  leaseMs?: number;
  /** This instance's name in the lease (default host/pid/random). */
  holder?: string;
}

export interface SweepProgress {
  /** Batches committed so far, and in this run. */
  batch: number;
  batches: number;
  /** Bots flipped so far in this run. */
  flipped: number;
}

/** What one run did: each step returns its own counts (SweepCounts), the run adds them up. */
export interface SweepResult {
  /** Another instance held the sweep lease. */
  skipped: boolean;
  /** Another instance took the lease over during this run, which stopped before its next write. */
  leaseLost: boolean;
  flipped: number;
  /** Transactions the flips were committed in. */
  flipBatches: number;
  storm: boolean;
  incidentOpened: boolean;
  incidentClosed: boolean;
  staleMails: number;
  heldMails: number;
  recoveryMails: number;
  reminderMails: number;
  releasedMails: number;
  droppedMails: number;
  /** Nudges queued for sites whose deadline passed in this run. */
  probesQueued: number;
  /** Sites a nudge woke (they stay connected, nobody is told). */
  woke: number;
  /** Stale mails of sites that stayed silent through a maintenance window, queued when it ended. */
  maintenanceMails: number;
  /** "Your maintenance window ends in a day" mails. */
  endingNotices: number;
  /** Digests (stale or recovery, owner mails and channel messages) that sites joined instead of a new row (ALERT_GROUP_WINDOW). */
  groupsJoined: number;
  /** Groups whose window ended in this run, now due to be sent. */
  groupsClosed: number;
}

/** What one step adds to the run's result. */
export type SweepCounts = Partial<SweepResult>;

/** One bot's line in a mail, with the notification (bot, episode, kind) it carries. */
export type SweepItem = RoutedItem;

/** Step 3's decision, made before any bot is flipped. */
export interface Deadlines {
  /** The bots to flip now, in last-activity order, each with the probe that judges it (none: not probed). */
  flips: StaleFlip[];
  probes: Map<string, ProbeRow | undefined>;
  /** The bots past their deadline that are in a maintenance window. */
  resting: Set<string>;
  /** The nudges queued in this run. */
  queued: number[];
  /** Deadlines passed in this run, as the storm guard counts them (never a site in a maintenance window). */
  newlySilent: number;
  counts: SweepCounts;
}

/** What every step is given: the sweep's settings, its log and its one probe gate. */
export interface SweepContext {
  deps: SweepDeps;
  log: AlertLog;
  gate: ProbeGate;
}
