/** One entry of a ustar archive: a directory, or a regular file with its bytes. */
export type TarEntry =
  | { type: "directory"; path: string; mode?: number }
  | { type: "file"; path: string; content: Buffer; mode?: number };

const BLOCK = 512;

/**
 * Builds an uncompressed POSIX ustar archive. Owner root, fixed modification time, so the
 * same entries always give the same bytes (and the same layer digest).
 */
export function buildTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === "file" ? entry.content : Buffer.alloc(0);
    parts.push(tarHeader(entry, content.length));
    parts.push(content);
    const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
    parts.push(Buffer.alloc(padding));
  }
  // Two zero blocks end the archive.
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function tarHeader(entry: TarEntry, size: number): Buffer {
  const header = Buffer.alloc(BLOCK);
  const isDirectory = entry.type === "directory";
  const name = isDirectory && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path;
  if (Buffer.byteLength(name) > 100) {
    throw new Error(`tar entry path ${name} is longer than 100 bytes: use a shorter path`);
  }

  header.write(name, 0, 100, "utf8");
  writeOctal(header, entry.mode ?? (isDirectory ? 0o755 : 0o644), 100, 8);
  writeOctal(header, 0, 108, 8);
  writeOctal(header, 0, 116, 8);
  writeOctal(header, size, 124, 12);
  writeOctal(header, 0, 136, 12);
  header.write(isDirectory ? "5" : "0", 156, 1, "ascii");
  header.write("ustar\u000000", 257, 8, "ascii");
  header.write("root", 265, 32, "ascii");
  header.write("root", 297, 32, "ascii");

  // The checksum is computed with its own field read as eight spaces.
  header.fill(" ", 148, 156);
  let sum = 0;
  for (const byte of header) {
    sum += byte;
  }
  writeOctal(header, sum, 148, 8);
  return header;
}

function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  header.write(`${value.toString(8).padStart(length - 1, "0")}\u0000`, offset, length, "ascii");
}
