// The monthly uptime report by mail (docs/reports.md "By mail"): once a month is over in an
// owner's time zone, each client that opted in gets last month's report, computed then and queued
// in the outbox once (its dedupe key is the client and the month), to the owner's account email
// or to the email contact the owner chose (delivered only once that address has confirmed).
import type { Database } from '../db/database.ts';
import { selectDueMonthlyReports } from '../db/clients.ts';
import { enqueueMail } from '../db/outbox.ts';
import { uptimeReportKey } from '../domain/alert-keys.ts';
import { reportJson } from './report-formats.ts';
import type { UptimeReports } from './uptime-reports.ts';

/** Reports computed per run at most; the rest follow on the next run (a run is once a minute). */
export const REPORTS_PER_RUN = 50;

export function createMonthlyReports({ db, reports }: { db: Database; reports: UptimeReports }) {
  return {
    /** Queues the reports due at `now`; how many were queued. */
    async queueDue(now: Date): Promise<number> {
      let queued = 0;
      for (const due of await selectDueMonthlyReports(db, now, REPORTS_PER_RUN)) {
        const report = await reports.forOwner(due.user_id, due.month, { clientId: due.client_id });
        // In a transaction: the outbox's lock on keyed rows holds until the row is in.
        const id = await db.transaction((tx) =>
          enqueueMail(tx, {
            dedupeKey: uptimeReportKey(due.client_id, due.month),
            kind: 'uptime_report',
            userId: due.user_id,
            channelId: due.report_channel_id,
            payload: { client_name: due.client_name, ...reportJson(report) },
            status: 'pending',
            now,
          }),
        );
        if (id !== undefined) queued++;
      }
      return queued;
    },
  };
}

export type MonthlyReports = ReturnType<typeof createMonthlyReports>;
