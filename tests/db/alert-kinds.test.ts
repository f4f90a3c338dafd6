import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Database } from '../../src/db/database.ts';
import { ALERT_KINDS } from '../../src/domain/alert-keys.ts';
import { testDatabase } from '../helpers/database.ts';

const test = suite<{ db: Database }>('alert kinds: one list in the domain, the same the database allows');

test.before(async (ctx) => {
  ctx.db = await testDatabase();
});

test('ALERT_KINDS is exactly the set the migrated alert_outbox.kind CHECK constraint allows', async ({ db }) => {
  const { rows } = await db.query<{ def: string }>(
    `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'alert_outbox'::regclass AND conname = 'alert_outbox_kind_check'`,
  );
  assert.is(rows.length, 1, 'the constraint exists');
  const allowed = [...rows[0]!.def.matchAll(/'([^']+)'/g)].map((match) => match[1]!);
  assert.equal([...allowed].sort(), [...ALERT_KINDS].sort());
});

test.run();
