import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describeRelease, parsePluginHeader, parseReadme, PluginMetadataError } from '../../src/domain/plugin-metadata.ts';

const test = suite('plugin metadata');

const main = (version: string, constant = version) => `<?php
/**
 * Plugin Name:       Demo Plugin
 * Version:           ${version}
 * Requires at least: 6.1
 * Requires PHP:      7.4
 */
define( 'DEMO_VERSION', '${constant}' );
`;
const readme = (stable: string) => `=== Demo Plugin ===
Requires at least: 6.1
Tested up to: 6.4
Stable tag: ${stable}

One line about it.

== Description ==

Longer.

== Changelog ==

= ${stable} =
* Something new.
`;

test('reads header fields as WordPress does, comment characters and all', () => {
  const header = parsePluginHeader(main('2.0.1'));
  // "Name: value" behind " * "
  assert.is(header['Plugin Name'], 'Demo Plugin');
  assert.is(header['Requires PHP'], '7.4');
});

test('splits a readme into header fields, summary and sections', () => {
  const parsed = parseReadme(readme('2.0.1'));
  // header block
  assert.is(parsed.fields['Tested up to'], '6.4');
  // the one-line summary
  assert.is(parsed.summary, 'One line about it.');
  // sections by lower-case name
  assert.is(parsed.sections['changelog'], '= 2.0.1 =\n* Something new.');
});

test('describes a release from header and readme', () => {
  const release = describeRelease('demo', main('2.0.1'), readme('2.0.1'), 'DEMO_VERSION');
  // version and requirements from the header, tested from the readme
  assert.equal(
    [release.version, release.requires, release.requires_php, release.tested, release.name],
    ['2.0.1', '6.1', '7.4', '6.4', 'Demo Plugin'],
  );
});

test('refuses a version constant that differs from the header', () => {
  // AGENTDESK_VERSION must follow the header
  assert.throws(() => describeRelease('demo', main('2.0.1', '2.0.0'), readme('2.0.1'), 'DEMO_VERSION'), (e: Error) => e instanceof PluginMetadataError && /DEMO_VERSION/.test(e.message));
});

test('refuses a readme whose Stable tag differs from the header', () => {
  // one source of truth: the header
  assert.throws(() => describeRelease('demo', main('2.0.1'), readme('2.0.0')), /Stable tag/);
});

test('refuses a header without a version', () => {
  assert.throws(() => describeRelease('demo', '<?php /* Plugin Name: x */', ''), /Version/);
});

test.run();
