// The probe worker: sends the nudges the sweep queued (docs/alerts.md "Nudge and probe") and records each answer.
//
//  1. Claim up to PROBE_CONCURRENCY due probes in one `UPDATE … FOR UPDATE SKIP LOCKED`: pending and
//     due, or probing with an expired lease (a worker died mid-probe). Claiming sets "probing", a
//     lease (the request timeout plus a margin) and one more attempt.
//  2. For each, at once: without a URL, or after MAX_PROBE_ATTEMPTS, record "not probed". Otherwise
//     take the host's slot (one probe per host per minute, across instances); when it is taken, put
//     the probe back until the slot frees. Then request the URL through the SSRF fence.
//  3. Record the answer (HTTP status, the error in words, or why the fence refused it), fenced by
//     the attempt number so a late worker cannot overwrite a newer one. The sweep judges it once
//     PROBE_CONFIRM has passed.
// Several instances run this worker; SKIP LOCKED and the fence keep them on disjoint probes.
import type { Database } from '../db/database.ts';
import { claimDueProbes, claimHostSlot, deferProbe, recordProbeAnswer, type ProbeRow } from '../db/probes.ts';
import type { ProbeAnswer } from '../domain/probe-diagnosis.ts';
import type { Metrics } from '../metrics.ts';
import type { SafeOutcome, SafeRequester } from '../outbound/safe-request.ts';

export const HOST_INTERVAL_MS = 60_000;
export const MAX_PROBE_ATTEMPTS = 3;

export interface ProbeWorkerDeps {
  db: Database;
  requester: SafeRequester;
  now: () => Date;
  concurrency: number;
  leaseMs: number;
  metrics?: Pick<Metrics, 'probeDuration'>;
  log?: { warn(details: object, message: string): void };
}

export interface ProbeRunResult {
  answered: number;
  deferred: number;
}

/** What a request outcome tells the diagnosis rules. */
export function answerFromOutcome(outcome: SafeOutcome): ProbeAnswer {
  switch (outcome.kind) {
    case 'refused':
      return { kind: 'not_probed', reason: `our safety rules do not allow requesting this address (${outcome.message})` };
    case 'failed':
      return { kind: 'no_answer', error: outcome.message };
    case 'response':
      return { kind: 'http', status: outcome.status };
  }
}

export function createProbeWorker(deps: ProbeWorkerDeps) {
  async function probeOne(row: ProbeRow, result: ProbeRunResult): Promise<void> {
    let answer: ProbeAnswer;
    if (row.attempts > MAX_PROBE_ATTEMPTS) {
      answer = { kind: 'not_probed', reason: `our check of the site did not complete after ${MAX_PROBE_ATTEMPTS} attempts` };
    } else if (!row.url) {
      answer = { kind: 'not_probed', reason: 'the plugin never reported a site URL' };
    } else {
      const host = new URL(row.url).hostname.toLowerCase();
      const freeAt = await claimHostSlot(deps.db, host, deps.now(), HOST_INTERVAL_MS);
      if (freeAt) {
        await deferProbe(deps.db, row.id, row.attempts, freeAt);
        result.deferred++;
        return;
      }
      const started = process.hrtime.bigint();
      const outcome = await deps.requester.request(row.url);
      deps.metrics?.probeDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      answer = answerFromOutcome(outcome);
    }
    if (await recordProbeAnswer(deps.db, row.id, row.attempts, answer, deps.now())) result.answered++;
    else deps.log?.warn({ probeId: row.id, attempt: row.attempts }, 'probe answer came after its lease ran out; another worker owns it');
  }

  return {
    /** Sends every probe due now, PROBE_CONCURRENCY at a time; returns what happened. */
    async runDue(): Promise<ProbeRunResult> {
      const result: ProbeRunResult = { answered: 0, deferred: 0 };
      const seen = new Set<number>();
      for (;;) {
        const claimed = (await claimDueProbes(deps.db, deps.now(), deps.leaseMs, deps.concurrency)).filter((row) => !seen.has(row.id));
        if (claimed.length === 0) return result;
        for (const row of claimed) seen.add(row.id);
        await Promise.all(claimed.map((row) => probeOne(row, result)));
      }
    },
  };
}

export type ProbeWorker = ReturnType<typeof createProbeWorker>;
