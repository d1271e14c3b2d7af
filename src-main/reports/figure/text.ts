// Text as a figure lays it out: widths from the font's own advance table (fontMetrics.ts), lines
// wrapped at spaces and, for a word wider than the room, inside the word, so no label is ever cut
// short. The figure declares the font it measured, so the width it plans is the width Chromium
// draws, or less: kerning only draws pairs closer, and the fallbacks (Verdana, whose metrics Vera
// and so DejaVu follow, then the system's sans) are no wider. The declaration is an attribute, not
// a style: the app's CSP refuses inline styles.
import { ADVANCE_UNITS, BOLD, FIGURE_FONT, REGULAR } from './fontMetrics';

export { FIGURE_FONT };

export interface TextStyle {
  size: number;
  bold?: boolean;
}

/** Characters outside the table: as wide as the widest in it, so a guess never runs short. */
const WIDEST = Math.max(...Object.values(BOLD));

export function textWidth(text: string, style: TextStyle): number {
  const table = style.bold ? BOLD : REGULAR;
  let units = 0;
  for (const c of text) units += table[c] ?? WIDEST;
  return (units * style.size) / ADVANCE_UNITS;
}

/** The baseline-to-baseline distance a figure uses for wrapped lines. */
export const lineHeight = (style: TextStyle): number => Math.ceil(style.size * 1.25);

/** Words break at plain spaces only: a no-break space keeps "3\u00a0runs" whole. */
const words = (text: string): string[] => text.split(/[ \t\n]+/).filter(Boolean);

/**
 * A word too wide for `width`, split into pieces that fit: after a hyphen or underscore where one
 * is in reach (auto-throughput, not auto-throu ghput), else between any two characters.
 */
function breakWord(word: string, width: number, style: TextStyle): string[] {
  const pieces: string[] = [];
  let piece = '';
  for (const c of word) {
    if (piece && textWidth(piece + c, style) > width) {
      const at = Math.max(piece.lastIndexOf('-'), piece.lastIndexOf('_')) + 1;
      const cut = at > 0 && at < piece.length ? at : piece.length;
      pieces.push(piece.slice(0, cut));
      piece = piece.slice(cut);
    }
    piece += c;
  }
  if (piece) pieces.push(piece);
  return pieces;
}

/** `text` in lines no wider than `width`: every character kept, in order. */
export function wrap(text: string, width: number, style: TextStyle): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words(text)) {
    const tried = line ? `${line} ${word}` : word;
    if (textWidth(tried, style) <= width) {
      line = tried;
      continue;
    }
    if (line) lines.push(line);
    const pieces = breakWord(word, width, style);
    line = pieces.pop() ?? '';
    lines.push(...pieces);
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/** The widest word of `text`: the narrowest room it wraps into without breaking a word. */
export function widestWord(text: string, style: TextStyle): number {
  return Math.max(0, ...words(text).map((w) => textWidth(w, style)));
}
