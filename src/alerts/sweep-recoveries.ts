// Step 2 of the sweep (src/alerts/sweep.ts): sites that reported again. Their episodes close, the
// announced ones get a recovery, and the probes of sites that woke when nudged end here.
import type { Queryable } from '../db/database.ts';
import { closeEpisodesFromEvents } from '../db/episodes.ts';
import { withdrawFromOpenGroups } from '../db/alert-groups.ts';
import { finishReportedProbes, recordWokenBots, selectEpisodeDiagnoses } from '../db/probes.ts';
import { judgeProbe, type Diagnosis } from '../domain/probe-diagnosis.ts';
import { itemFor, notifiable, queueAlerts } from './queue-alerts.ts';
import type { SweepContext, SweepCounts } from './sweep-types.ts';

/**
 * Claims the "stale → …" events written since the last run and closes those episodes; each bot back
 * to connected whose stale alert went out gets a recovery (one digest per owner), with what its
 * episode turned out to be.
 */
export async function queueRecoveries(ctx: SweepContext, tx: Queryable, now: Date): Promise<SweepCounts> {
  const closed = await closeEpisodesFromEvents(tx, now);
  // Back inside its group's window: the stale alert about it is not sent yet on that channel, so
  // nothing is said there at all. Routing then finds no announcement on that channel and sends no
  // recovery to it; a channel whose group had already gone out (groups of one owner's channels
  // open and close apart) still hears that the site is back.
  await withdrawFromOpenGroups(tx, closed.map((row) => row.episode_id));
  const recovering = closed.filter((row) => row.to_status === 'connected' && row.announced && notifiable(row, now));
  const diagnoses = await selectEpisodeDiagnoses(tx, recovering.map((row) => row.episode_id));
  const items = recovering.map((row) => {
    const known = diagnoses.get(row.episode_id);
    return itemFor(row, 'recovery', {
      recovered_at: row.ended_at.toISOString(),
      diagnosis: (known?.diagnosis as Diagnosis | null) ?? null,
      diagnosis_detail: known?.detail ?? null,
    });
  });
  const { queued, joined } = await queueAlerts(tx, 'recovery', items, { now, groupWindowMs: ctx.deps.alertGroupWindowMs });
  return { recoveryMails: queued, groupsJoined: joined };
}

/**
 * Probes whose bot reported since they were queued: "woke" (a `probe` event, counted) when the
 * nudge had gone out, "cancelled" when the site reported before we sent it.
 */
export async function finishWokenProbes(ctx: SweepContext, tx: Queryable, now: Date): Promise<SweepCounts> {
  const reported = await finishReportedProbes(tx, now);
  const woken = reported.filter((row) => row.result === 'woke');
  await recordWokenBots(
    tx,
    woken.map((row) => ({
      botId: row.bot_id,
      probedAt: row.answered_at,
      at: row.reported_at,
      event: row.answer ? judgeProbe(row.answer, true, 0).event : { result: 'woke', woke: true },
    })),
  );
  for (const _ of woken) ctx.gate.count('woke');
  if (woken.length) ctx.log.info({ woke: woken.length }, 'silent sites woke when nudged: they stay connected');
  return { woke: woken.length };
}
