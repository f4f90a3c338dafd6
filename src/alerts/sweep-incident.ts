// Step 4 of the sweep (src/alerts/sweep.ts), the storm guard: many bots newly silent at once is
// probably our fault, so one incident holds the owners' stale mails and the operator is told; the
// incident ends at the first calm run a full stale_after after its last storm, once its probes are
// judged, and its held mails are released with the sites still stale (or dropped).
import { countConnectedBots } from '../db/bots.ts';
import type { Queryable } from '../db/database.ts';
import { closeIncident, extendIncident, findOpenIncident, openIncident, type IncidentRow } from '../db/incidents.ts';
import { enqueueMail, releaseHeldMail, selectHeldMails, selectHeldNotifications } from '../db/outbox.ts';
import { countOpenIncidentProbes, probeBreakdown, tagProbesWithIncident } from '../db/probes.ts';
import { incidentEnds, isStorm } from '../domain/alert-rules.ts';
import { incidentMailKey } from '../domain/alert-keys.ts';
import { notifiable } from './queue-alerts.ts';
import type { Deadlines, SweepContext, SweepCounts } from './sweep-types.ts';

export interface StormDecision {
  /** The open incident that holds this run's stale mails, if any. */
  incident: IncidentRow | undefined;
  /** The open incident that ends in this run (closed in its last transaction). */
  ending: IncidentRow | undefined;
  counts: SweepCounts;
}

/** The operator's mail about an incident in this state, once per incident and state (its dedupe key); none without OPERATOR_EMAIL. */
async function mailOperator(ctx: SweepContext, tx: Queryable, incidentId: number, payload: { state: 'opened' | 'assessed' | 'resolved' } & Record<string, unknown>, now: Date) {
  if (!ctx.deps.operatorEmail) return;
  await enqueueMail(tx, {
    dedupeKey: incidentMailKey(incidentId, payload.state),
    kind: 'incident',
    toAddress: ctx.deps.operatorEmail,
    payload: { ...payload, incident_id: incidentId },
    status: 'pending',
    now,
  });
}

/**
 * Step 4, decided from step 3's count before anything is flipped, so that every batch's stale mails
 * are held: more than STORM_FRACTION of the bots connected before this run, and at least STORM_MIN,
 * newly silent → open (or extend) the one incident and tag this run's probes with it.
 */
export async function decideStorm(ctx: SweepContext, tx: Queryable, deadlines: Deadlines, now: Date): Promise<StormDecision> {
  const { deps, log } = ctx;
  const { newlySilent, queued } = deadlines;
  const connectedBefore = newlySilent ? await countConnectedBots(tx) : 0;
  const storm = isStorm({ newlyStale: newlySilent, connectedBefore, fraction: deps.stormFraction, min: deps.stormMin });
  let incident = await findOpenIncident(tx);
  let ending: IncidentRow | undefined;
  let incidentOpened = false;
  if (storm && incident) {
    await extendIncident(tx, incident.id, now, newlySilent);
    log.warn({ incident: incident.id, stale: newlySilent, connected: connectedBefore }, 'storm continues: owner mails stay held');
  } else if (storm) {
    incident = await openIncident(tx, now, newlySilent, connectedBefore);
    incidentOpened = true;
    log.error({ incident: incident.id, stale: newlySilent, connected: connectedBefore }, 'storm: many bots went silent at once, probably our fault; owner mails are held');
    const opened = { state: 'opened', stale_count: newlySilent, connected_count: connectedBefore, opened_at: now.toISOString(), probing: deps.probe !== undefined } as const;
    await mailOperator(ctx, tx, incident.id, opened, now);
  } else if (
    incident &&
    incidentEnds(incident.last_storm_at, deps.staleAfterMs, now) &&
    // Probes made during the storm are judged before it ends, so their mails are held too; the
    // ones judged by this run's flips count as judged.
    (await countOpenIncidentProbes(tx, incident.id, [...deadlines.probes.values()].flatMap((probe) => (probe ? [probe.id] : [])))) === 0
  ) {
    ending = incident;
    incident = undefined;
  }
  if (incident) await tagProbesWithIncident(tx, queued, incident.id);
  return { incident, ending, counts: { storm, incidentOpened } };
}

/** The held mails of an incident: released with the sites still stale (and notifiable), dropped when none is. */
async function releaseHeld(tx: Queryable, incident: IncidentRow, now: Date) {
  const held = await selectHeldMails(tx, incident.id);
  if (held.length === 0) return { released: 0, dropped: 0 };
  const rows = await selectHeldNotifications(tx, held.map((mail) => mail.id));
  let released = 0;
  let dropped = 0;
  for (const mail of held) {
    const keep = new Set(rows.filter((r) => r.outbox_id === mail.id && r.still_stale && notifiable(r, now)).map((r) => r.bot_id));
    const sites = mail.payload.sites.filter((site) => keep.has(site.id));
    await releaseHeldMail(tx, mail.id, sites.length ? { ...mail.payload, sites } : null, [...keep]);
    if (sites.length) released++;
    else dropped++;
  }
  return { released, dropped };
}

/** Step 4's end of an incident, once this run's flips have judged its last probes; the operator gets the breakdown. */
export async function endIncident(ctx: SweepContext, tx: Queryable, incident: IncidentRow, now: Date): Promise<SweepCounts> {
  await closeIncident(tx, incident.id, now);
  const { released, dropped } = await releaseHeld(tx, incident, now);
  const breakdown = await probeBreakdown(tx, incident.id);
  ctx.log.info({ incident: incident.id, released, dropped, breakdown }, 'storm incident ended: held mails still true are released');
  const { stale_count, connected_count } = incident;
  const resolved = { state: 'resolved', stale_count, connected_count, opened_at: incident.opened_at.toISOString(), closed_at: now.toISOString(), released, dropped, breakdown } as const;
  await mailOperator(ctx, tx, incident.id, resolved, now);
  return { incidentClosed: true, releasedMails: released, droppedMails: dropped };
}

/**
 * Once every probe of an open incident is judged, the operator gets the breakdown by diagnosis
 * (once per incident, by its dedupe key): many plugin_silent means the sites are up and cannot
 * reach us. The mail that ends the incident repeats it with everything probed since.
 */
export async function assessIncident(ctx: SweepContext, tx: Queryable, incident: IncidentRow, now: Date): Promise<SweepCounts> {
  if (!ctx.deps.operatorEmail || !ctx.deps.probe || (await countOpenIncidentProbes(tx, incident.id)) > 0) return {};
  const breakdown = await probeBreakdown(tx, incident.id);
  if (breakdown.length > 0) await mailOperator(ctx, tx, incident.id, { state: 'assessed', opened_at: incident.opened_at.toISOString(), breakdown }, now);
  return {};
}
