import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { listQueryString, pageLinks, pageWindow, parseListQuery } from '../../src/dashboard/list-query.ts';

const test = suite('list query and paging (bot list and fleet page)');

test('reads valid filters and ignores the rest, without an error', () => {
  const query = parseListQuery({ status: 'stale', q: '  shop  ', page: '3', plugin: '1.2.0', wp: 'x y' }, { versions: true, maxPage: 100 });
  // a known status, a trimmed search, the page, a valid plugin version; the bad WordPress version dropped
  assert.equal(query, { status: 'stale', q: 'shop', page: 3, plugin: '1.2.0', wp: undefined });
  const odd = parseListQuery({ status: 'asleep', page: '-4' }, { maxPage: 100 });
  // an unknown status is no filter, a page below 1 is page 1
  assert.equal(odd, { status: undefined, q: undefined, page: 1 });
});

test('keeps the version filters to lists that have them and bounds the page', () => {
  // the bot list has no version filter
  assert.is(parseListQuery({ plugin: '1.2.0' }, { maxPage: 100 }).plugin, undefined);
  // a page past the bound is the last allowed page
  assert.is(parseListQuery({ page: '999999' }, { maxPage: 100 }).page, 100);
});

test('writes links that keep the filters and leave page 1 out', () => {
  const query = parseListQuery({ status: 'connected', q: 'a&b', page: '2' }, { maxPage: 100 });
  // the filters are encoded, the page is kept
  assert.is(listQueryString(query), 'status=connected&q=a%26b&page=2');
  // previous is page 1 (without a page parameter), next is page 3
  assert.equal(pageLinks(query, true), { previous: 'status=connected&q=a%26b', next: 'status=connected&q=a%26b&page=3' });
  // from page 2 of an unfiltered list, previous is an explicit page=1; no next page
  assert.equal(pageLinks({ page: 2 }, false), { previous: 'page=1', next: null });
  // page 3 of 20 rows a page starts at row 40
  assert.equal(pageWindow(3, 20), { limit: 20, offset: 40 });
});

test.run();
