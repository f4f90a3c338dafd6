// Steps 3 and 5 of the sweep (src/alerts/sweep.ts): the bots whose deadline passed, which of them
// the probe gate lets through now, and the flip of one batch with its stale mails.
import { selectStaleCandidates } from '../db/bots.ts';
import type { Queryable } from '../db/database.ts';
import { flipStale, type StaleFlip } from '../db/episodes.ts';
import { holdEpisodesForMaintenance } from '../db/maintenance.ts';
import { recordDiagnoses } from '../db/probes.ts';
import type { IncidentRow } from '../db/incidents.ts';
import { isStale, staleAt, staleCandidateCutoff } from '../domain/alert-rules.ts';
import { readIngestResumedAt } from './ingest-liveness.ts';
import { botsInMaintenance } from './maintenance-sweep.ts';
import { NOT_PROBED } from './probe-gate.ts';
import { itemFor, notifiable, queueAlerts } from './queue-alerts.ts';
import type { Deadlines, SweepContext, SweepCounts } from './sweep-types.ts';

/**
 * Step 3 without the flip: the connected bots silent past stale_after (one indexed range scan), kept
 * when now − max(last_activity, ingest_resumed_at) > stale_after + grace, then through the probe gate
 * (a site in a maintenance window is not nudged; a probe sent before the window is still judged).
 */
export async function passedDeadlines(ctx: SweepContext, tx: Queryable, now: Date): Promise<Deadlines> {
  const { staleAfterMs } = ctx.deps;
  const resumedAt = await readIngestResumedAt(tx);
  const cutoff = staleCandidateCutoff(staleAfterMs, resumedAt, now);
  const candidates = cutoff ? await selectStaleCandidates(tx, cutoff) : [];
  const due = candidates
    .map((c) => ({ lastActivity: c.last_activity, graceSeconds: c.grace_seconds, id: c.id }))
    .filter((c) => isStale(c, staleAfterMs, resumedAt, now))
    .map((c) => ({ id: c.id, lastActivity: c.lastActivity, staleAt: staleAt(c, staleAfterMs, resumedAt) }));
  const resting = await botsInMaintenance(tx, due.map((bot) => bot.id), now);
  const subjects = due.map((bot) => ({ bot, botId: bot.id, lastActivity: bot.lastActivity, nudge: !resting.has(bot.id) }));
  const { passed, queued } = await ctx.gate.pass(tx, 'deadline', subjects, now);
  // With probing, a deadline passed is a nudge queued (the flip comes a few minutes later); sites in
  // a maintenance window are silent on purpose and never make a storm.
  const newlySilent = ctx.gate.probing ? queued.length : passed.filter(({ subject }) => subject.nudge).length;
  return {
    flips: passed.map(({ subject }) => subject.bot),
    probes: new Map(passed.map(({ subject, probe }) => [subject.botId, probe])),
    resting,
    queued,
    newlySilent,
    counts: { probesQueued: queued.length },
  };
}

/**
 * Steps 3 and 5 for one batch, in its own transaction: the conditional flip connected → stale, the
 * verdicts recorded, and the stale mails of the bots flipped (held by an open incident; a site in a
 * maintenance window waits on its episode for the end of the window, step 7).
 */
export async function flipBatch(ctx: SweepContext, tx: Queryable, batch: StaleFlip[], plan: Deadlines & { incident?: IncidentRow }, now: Date): Promise<SweepCounts> {
  const { gate } = ctx;
  const flipped = await flipStale(tx, batch, ctx.deps.alertRepeatMs);
  const verdicts = flipped.map((row) => {
    const probe = plan.probes.get(row.bot_id);
    if (probe) return gate.judge(row.bot_id, row.episode_id, probe, now);
    return gate.notProbed(row.bot_id, row.episode_id, plan.resting.has(row.bot_id) ? NOT_PROBED.inMaintenance : NOT_PROBED.probingOff, now);
  });
  await recordDiagnoses(tx, verdicts);
  const verdictOf = new Map(verdicts.map((verdict) => [verdict.botId, verdict]));
  await holdEpisodesForMaintenance(tx, flipped.filter((row) => plan.resting.has(row.bot_id)).map((row) => row.episode_id));
  const items = flipped
    .filter((row) => notifiable(row, now) && !plan.resting.has(row.bot_id))
    .map((row) => {
      const verdict = verdictOf.get(row.bot_id);
      return itemFor(row, 'stale', { diagnosis: verdict?.result ?? null, diagnosis_detail: verdict?.detail ?? null });
    });
  const { queued, joined } = await queueAlerts(tx, 'stale', items, { now, incident: plan.incident, groupWindowMs: ctx.deps.alertGroupWindowMs });
  const mails = plan.incident ? { heldMails: queued } : { staleMails: queued };
  return { flipped: flipped.length, flipBatches: 1, ...mails, groupsJoined: joined };
}
