// Step 6 of the sweep (src/alerts/sweep.ts): reminders for episodes due one (ALERT_REPEAT after
// going stale, then every ALERT_REPEAT, for 7 days), one mail per owner. With probing on, each
// reminder goes through the probe gate first (src/alerts/probe-gate.ts) and carries its verdict.
import type { Queryable } from '../db/database.ts';
import { selectDueReminders, updateReminderSchedule } from '../db/episodes.ts';
import { recordDiagnoses } from '../db/probes.ts';
import { reminderDue } from '../domain/alert-rules.ts';
import { botsInMaintenance } from './maintenance-sweep.ts';
import { itemFor, notifiable, queueAlerts } from './queue-alerts.ts';
import type { SweepContext, SweepCounts, SweepItem } from './sweep-types.ts';

export async function queueReminders(ctx: SweepContext, tx: Queryable, now: Date): Promise<SweepCounts> {
  const due = await selectDueReminders(tx, now);
  const decisions = due.map((row) => ({ row, decision: reminderDue(row.opened_at, row.reminders_sent, now, ctx.deps.alertRepeatMs) }));
  // A bot in a maintenance window gets no reminder (step 7).
  const resting = await botsInMaintenance(tx, due.map((row) => row.bot_id), now);
  const mailable = ({ row, decision }: (typeof decisions)[number]) =>
    decision.send !== null && row.connection_status === 'stale' && row.announced && notifiable(row, now) && !resting.has(row.bot_id);

  const subjects = decisions.filter(mailable).map((entry) => ({
    entry,
    botId: entry.row.bot_id,
    lastActivity: entry.row.last_seen_at,
    siteUrl: entry.row.site_url,
    reminder: { episodeId: entry.row.episode_id, number: entry.decision.send! },
  }));
  const { passed } = await ctx.gate.pass(tx, 'reminder', subjects, now);
  const probeOf = new Map(passed.map(({ subject, probe }) => [subject.entry, probe]));

  const items: SweepItem[] = [];
  const verdicts = [];
  const schedule: Array<{ episodeId: number; remindersSent: number; nextAt: Date | null }> = [];
  for (const entry of decisions) {
    const { row, decision } = entry;
    // Not through the gate yet: leave the reminder due, the next sweep looks again.
    if (mailable(entry) && !probeOf.has(entry)) continue;
    const probe = probeOf.get(entry);
    const verdict = probe && ctx.gate.judge(row.bot_id, row.episode_id, probe, now);
    if (verdict) verdicts.push(verdict);
    schedule.push({ episodeId: row.episode_id, remindersSent: decision.send ?? row.reminders_sent, nextAt: decision.nextAt });
    if (!mailable(entry)) continue;
    const diagnosis = verdict ? { diagnosis: verdict.result, diagnosis_detail: verdict.detail } : {};
    items.push(itemFor(row, 'reminder', { reminder: decision.send!, ...diagnosis }));
  }
  await recordDiagnoses(tx, verdicts);
  await updateReminderSchedule(tx, schedule);
  const { queued } = await queueAlerts(tx, 'reminder', items, { now });
  return { reminderMails: queued };
}
