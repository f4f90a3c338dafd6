// Reads a WordPress plugin's release facts from its own files, so the plugin's header and
// readme.txt are the one source of truth for what the service announces to the updater.
// Pure: text in, facts out.

/**
 * The header fields of a plugin's main file, as WordPress's get_file_data() reads them: within
 * the first 8 KiB, a line "Name: value" optionally preceded by comment characters.
 */
export function parsePluginHeader(php: string): Record<string, string> {
  const head = php.slice(0, 8192).replace(/\r\n?/g, '\n');
  const fields: Record<string, string> = {};
  for (const match of head.matchAll(/^[ \t/*#@]*([A-Za-z][A-Za-z ]*?):[ \t]*(.*)$/gm)) {
    const name = match[1]!.trim();
    const value = match[2]!.replace(/\s*(?:\*\/|\?>).*$/, '').trim();
    if (!(name in fields) && value !== '') fields[name] = value;
  }
  return fields;
}

/** The value of `define( 'NAME', 'value' )` in PHP source, if present. */
export function parsePhpDefine(php: string, constant: string): string | undefined {
  const escaped = constant.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`define\\(\\s*['"]${escaped}['"]\\s*,\\s*['"]([^'"]*)['"]\\s*\\)`).exec(php)?.[1];
}

export interface Readme {
  /** "Field: value" lines of the readme's header block. */
  fields: Record<string, string>;
  /** The one-line summary after the header. */
  summary: string;
  /** Sections by lower-case name ("description", "changelog", …), raw text. */
  sections: Record<string, string>;
}

/** A readme.txt in the WordPress.org format. */
export function parseReadme(text: string): Readme {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const fields: Record<string, string> = {};
  const sections: Record<string, string> = {};
  let index = 0;
  if (/^===.*===\s*$/.test(lines[0] ?? '')) index = 1;
  for (; index < lines.length; index++) {
    const match = /^([A-Za-z][A-Za-z ]*):\s*(.*)$/.exec(lines[index]!);
    if (!match) break;
    fields[match[1]!.trim()] = match[2]!.trim();
  }
  let summary = '';
  let current: string | undefined;
  const buffer: string[] = [];
  const flush = () => {
    if (current !== undefined) sections[current] = buffer.join('\n').trim();
    buffer.length = 0;
  };
  for (; index < lines.length; index++) {
    const line = lines[index]!;
    const heading = /^==\s*(.+?)\s*==\s*$/.exec(line);
    if (heading) {
      flush();
      current = heading[1]!.toLowerCase();
    } else if (current === undefined) {
      if (!summary && line.trim()) summary = line.trim();
    } else {
      buffer.push(line);
    }
  }
  flush();
  return { fields, summary, sections };
}

export interface PluginRelease {
  name: string;
  slug: string;
  version: string;
  requires: string;
  tested: string;
  requires_php: string;
  homepage: string;
  description: string;
  changelog: string;
}

export class PluginMetadataError extends Error {}

const VERSION = /^[0-9A-Za-z.+\-]{1,32}$/;

/**
 * The release a plugin's files describe. Refuses files that disagree with each other (the
 * header's Version, the AGENTDESK_VERSION constant and the readme's Stable tag), because an
 * updater fed inconsistent versions offers the same update forever.
 */
export function describeRelease(slug: string, mainFile: string, readmeText: string, versionConstant?: string): PluginRelease {
  const header = parsePluginHeader(mainFile);
  const readme = parseReadme(readmeText);
  const version = header['Version'];
  if (!version || !VERSION.test(version)) throw new PluginMetadataError('The plugin header has no valid "Version:"');
  if (versionConstant) {
    const constant = parsePhpDefine(mainFile, versionConstant);
    if (constant !== version) {
      throw new PluginMetadataError(`${versionConstant} (${constant ?? 'missing'}) differs from the header's Version (${version})`);
    }
  }
  const stable = readme.fields['Stable tag'];
  if (stable && stable !== version) {
    throw new PluginMetadataError(`readme.txt's Stable tag (${stable}) differs from the header's Version (${version})`);
  }
  return {
    name: header['Plugin Name'] ?? slug,
    slug,
    version,
    requires: header['Requires at least'] ?? readme.fields['Requires at least'] ?? '',
    tested: readme.fields['Tested up to'] ?? '',
    requires_php: header['Requires PHP'] ?? readme.fields['Requires PHP'] ?? '',
    homepage: header['Plugin URI'] ?? '',
    description: readme.summary || header['Description'] || '',
    changelog: readme.sections['changelog'] ?? '',
  };
}
