// The status page's SVG badge, in the flat style of shields.io: "status | up" in green, "late" in
// amber, "down" in red. Fixed words, so the widths are fixed too.
import type { BadgeState } from '../domain/public-status.ts';

const STYLE: Record<BadgeState, { color: string; width: number }> = {
  up: { color: '#2da44e', width: 30 },
  late: { color: '#d4a72c', width: 36 },
  down: { color: '#cf222e', width: 42 },
};
const LABEL_WIDTH = 46;

export function statusBadgeSvg(state: BadgeState): string {
  const { color, width } = STYLE[state];
  const total = LABEL_WIDTH + width;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="20" role="img" aria-label="status: ${state}">
<title>status: ${state}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${total}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${LABEL_WIDTH}" height="20" fill="#555"/><rect x="${LABEL_WIDTH}" width="${width}" height="20" fill="${color}"/><rect width="${total}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">
<text x="${LABEL_WIDTH / 2}" y="14">status</text><text x="${LABEL_WIDTH + width / 2}" y="14">${state}</text>
</g></svg>
`;
}
