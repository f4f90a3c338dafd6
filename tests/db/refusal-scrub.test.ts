// Migration 160: refusals stored before the fence stopped echoing addresses ("intranet.test
// resolves to 10.0.0.5 is a private network address") are rewritten to name the rule only,
// wherever an owner can read them; other text is left as it was.
import fs from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBotFor, createOwner } from '../helpers/app.ts';
import { testDatabase } from '../helpers/database.ts';

const test = suite('stored refusals without addresses');
const MIGRATION = fs.readFileSync(new URL('../../sql/160_refusals_without_addresses.sql', import.meta.url), 'utf8');

test('the migration rewrites old refusals in diagnoses and last errors, and nothing else', async () => {
  const db = await testDatabase();
  const owner = await createOwner(db);
  const { bot } = await createBotFor(db, owner.user.id);
  const { bot: other } = await createBotFor(db, owner.user.id);
  const old = 'We did not check the site: our safety rules do not allow requesting this address (intranet.test resolves to 10.0.0.5 is a private network address).';
  await db.query('UPDATE bots SET diagnosis = $2, diagnosis_detail = $3 WHERE id = $1', [bot.id, 'not_probed', old]);
  await db.query('UPDATE bots SET diagnosis = $2, diagnosis_detail = $3 WHERE id = $1', [other.id, 'site_down', 'Your site did not answer (connection refused (shop.example, ECONNREFUSED)).']);
  await db.query(
    `INSERT INTO alert_channels (user_id, kind, name, target, secret, last_error) VALUES ($1, 'webhook', 'Hook', 'http://vm/', 'whsec_test', $2)`,
    [owner.user.id, 'not sent: vm resolves to 127.0.0.1 is a loopback address'],
  );
  await db.exec(MIGRATION);
  const bots = await db.query<{ id: string; diagnosis_detail: string }>('SELECT id, diagnosis_detail FROM bots WHERE id = ANY($1::uuid[])', [[bot.id, other.id]]);
  const detail = (id: string) => bots.rows.find((row) => row.id === id)!.diagnosis_detail;
  // the rule stays, the name and its address go
  assert.is(detail(bot.id), 'We did not check the site: our safety rules do not allow requesting this address (the address is in a refused range (private network)).');
  // a diagnosis that is not a refusal is untouched
  assert.is(detail(other.id), 'Your site did not answer (connection refused (shop.example, ECONNREFUSED)).');
  const channel = await db.query<{ last_error: string }>("SELECT last_error FROM alert_channels WHERE user_id = $1 AND kind = 'webhook'", [owner.user.id]);
  assert.is(channel.rows[0]!.last_error, 'not sent: the address is in a refused range (loopback)');
});

test.run();
