import { RegistryError } from "../errors.js";

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

/** The registry and repository a next-page link was read for, for error messages. */
export interface LinkContext {
  registry: string;
  repository: string;
}

/**
 * Returns the next page to request, or `undefined` on the last page. Requests carry the
 * registry's credentials, so a link to another origin is rejected rather than followed.
 *
 * @throws RegistryError (kind `protocol`) when the link is not a URL or leaves the origin.
 */
export function nextPageUrl(
  header: string | null,
  responseUrl: string,
  context: LinkContext,
): string | undefined {
  let next: string | undefined;
  try {
    next = nextLink(header, responseUrl);
  } catch (error) {
    throw new RegistryError(
      `registry ${context.registry} sent a next-page Link header that is not a URL (${JSON.stringify(header)}) for ${context.repository}: check the registry or the proxy in front of it`,
      {
        kind: "protocol",
        registry: context.registry,
        repository: context.repository,
        cause: error,
      },
    );
  }
  if (next === undefined || new URL(next).origin === new URL(responseUrl).origin) {
    return next;
  }
  throw new RegistryError(
    `registry ${context.registry} linked the next page of ${context.repository} to ${next}, another origin than ${new URL(responseUrl).origin}: set the registry URL to the address the registry advertises (for Gitea, its ROOT_URL)`,
    { kind: "protocol", registry: context.registry, repository: context.repository },
  );
}
