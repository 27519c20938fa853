/**
 * Returns the `rel="next"` target of an RFC 8288 `Link` header, resolved against the URL of
 * the response that carried it. The query is kept exactly as sent, because registries put
 * opaque paging tokens there.
 */
export function nextLink(header: string | null, responseUrl: string): string | undefined {
  if (!header) {
    return undefined;
  }
  for (const link of splitLinks(header)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(link);
    if (!match) {
      continue;
    }
    const params = match[2] ?? "";
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relations = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/);
    if (relations.includes("next")) {
      return new URL(match[1] ?? "", responseUrl).toString();
    }
  }
  return undefined;
}

/** Splits a header holding several links at the commas between `>; …` groups. */
function splitLinks(header: string): string[] {
  const links: string[] = [];
  let current = "";
  let inUrl = false;
  let inQuotes = false;
  for (const character of header) {
    if (character === "<" && !inQuotes) {
      inUrl = true;
    } else if (character === ">" && !inQuotes) {
      inUrl = false;
    } else if (character === '"' && !inUrl) {
      inQuotes = !inQuotes;
    }
    if (character === "," && !inUrl && !inQuotes) {
      links.push(current);
      current = "";
      continue;
    }
    current += character;
  }
  links.push(current);
  return links;
}
