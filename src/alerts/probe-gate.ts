// The sweep's one probe gate (docs/alerts.md "Nudge and probe"): before a silent site is announced,
// at its deadline (step 3 of src/alerts/sweep.ts), at each reminder (step 6) and when its
// maintenance window ends (step 7), the gate
//  1. queues a nudge for each site that has no probe yet ('deadline', or 'reminder' with its number;
//     a site in a maintenance window is not nudged and passes at once unless a probe is open);
//  2. waits: a site passes once its probe is ready (answered PROBE_CONFIRM ago, or given up on),
//     the others wait for a later sweep;
//  3. judges: judge() turns a passed probe into the verdict to record, notProbed() is the one verdict
//     for a site nobody checked (probing off, or in a maintenance window).
// With probing off (PROBE=off) every site passes at once, without a probe. Each verdict is counted
// (agentdesk_probes_total, docs/observability.md).
import type { Queryable } from '../db/database.ts';
import { insertProbes, selectOpenDeadlineProbes, selectReminderProbes, selectSiteUrls, type JudgedProbe, type ProbeRow } from '../db/probes.ts';
import { answerOf, judgeProbe, notProbedDetail, nudgeUrl, probeReady, type ProbeResult } from '../domain/probe-diagnosis.ts';

/** PROBE_CONFIRM, and how long an unanswered probe is waited for. */
export interface ProbeSettings {
  confirmMs: number;
  giveUpMs: number;
}

/** Why the sweep did not check a site (completing notProbedDetail's sentence). */
export const NOT_PROBED = {
  probingOff: 'probing is turned off on this AgentDesk service (PROBE=off)',
  inMaintenance: 'it was in a maintenance window',
} as const;

export interface GateSubject {
  botId: string;
  lastActivity: Date;
  /** A reminder's probe: its episode and number (0 at the end of a maintenance window). Absent: the deadline's. */
  reminder?: { episodeId: number; number: number };
  /** The site's URL when the caller has it (otherwise it is read for the nudges queued). */
  siteUrl?: string | null;
  /** false: not nudged (a site in a maintenance window); with no probe open it passes at once. */
  nudge?: boolean;
}

/** A subject through the gate, with the probe to judge (none: probing off, or not nudged). */
export interface Passed<S> {
  subject: S;
  probe: ProbeRow | undefined;
}

/** The nudge URL of a site, or null when it has none we can form. */
function nudgeUrlOf(siteUrl: string | null | undefined): string | null {
  if (!siteUrl) return null;
  try {
    return nudgeUrl(siteUrl);
  } catch {
    return null;
  }
}

const keyOf = (botId: string, reminder?: { episodeId: number; number: number }) => (reminder ? `${reminder.episodeId}:${reminder.number}` : botId);

export function createProbeGate(settings: ProbeSettings | undefined, count: (result: ProbeResult) => void) {
  /** The probes already queued for these subjects, by keyOf. */
  async function probesOf(tx: Queryable, purpose: 'deadline' | 'reminder', subjects: readonly GateSubject[]) {
    const rows =
      purpose === 'deadline'
        ? await selectOpenDeadlineProbes(tx, subjects.map((s) => s.botId))
        : await selectReminderProbes(tx, subjects.map((s) => s.reminder!.episodeId));
    return new Map(rows.map((probe) => [purpose === 'deadline' ? probe.bot_id : keyOf(probe.bot_id, { episodeId: probe.episode_id!, number: probe.reminder! }), probe]));
  }

  return {
    probing: settings !== undefined,
    /** Counts a probe's outcome that is not a verdict of the gate (a site that woke when nudged). */
    count,

    /** Steps 1 and 2: the subjects that pass now (in their order), and the ids of the nudges queued. */
    async pass<S extends GateSubject>(tx: Queryable, purpose: 'deadline' | 'reminder', subjects: readonly S[], now: Date): Promise<{ passed: Passed<S>[]; queued: number[] }> {
      if (!settings) return { passed: subjects.map((subject) => ({ subject, probe: undefined })), queued: [] };
      if (subjects.length === 0) return { passed: [], queued: [] };
      const probes = await probesOf(tx, purpose, subjects);
      const probeOf = (s: GateSubject) => probes.get(keyOf(s.botId, s.reminder));
      const missing = subjects.filter((s) => !probeOf(s) && s.nudge !== false);
      const urls = await selectSiteUrls(tx, missing.filter((s) => s.siteUrl === undefined).map((s) => s.botId));
      const queued = await insertProbes(
        tx,
        purpose,
        missing.map((s) => ({
          botId: s.botId,
          lastActivity: s.lastActivity,
          url: nudgeUrlOf(s.siteUrl === undefined ? urls.get(s.botId) : s.siteUrl),
          ...(s.reminder ? { episodeId: s.reminder.episodeId, reminder: s.reminder.number } : {}),
        })),
        null,
        now,
      );
      const passed = subjects.flatMap((subject) => {
        const probe = probeOf(subject);
        const ready = probe ? probeReady(probe, now, settings.confirmMs, settings.giveUpMs) : subject.nudge === false;
        return ready ? [{ subject, probe }] : [];
      });
      return { passed, queued };
    },

    /** Step 3: the verdict of a passed probe for this episode, ready to record. */
    judge(botId: string, episodeId: number, probe: ProbeRow, now: Date): JudgedProbe {
      const verdict = judgeProbe(answerOf(probe), false, settings?.confirmMs ?? 0);
      const result = verdict.result as JudgedProbe['result'];
      count(result);
      return { botId, episodeId, probeId: probe.id, result, detail: verdict.detail!, probedAt: probe.answered_at, event: verdict.event, at: now };
    },

    /** The verdict for a site nobody checked, for this reason (NOT_PROBED). */
    notProbed(botId: string, episodeId: number, reason: string, now: Date): JudgedProbe {
      count('not_probed');
      return { botId, episodeId, probeId: null, result: 'not_probed', detail: notProbedDetail(reason), probedAt: null, event: null, at: now };
    },
  };
}

export type ProbeGate = ReturnType<typeof createProbeGate>;
