/**
 * What failed when a request got no answer, in words an admin acts on: refused, name not
 * found, timeout, TLS. Node's fetch (undici) throws `TypeError: fetch failed` and keeps the
 * socket's error, with its code, in `cause` (nested once more for some TLS failures).
 */
export function networkFailure(error: unknown): string {
  const code = codeOf(error);
  const detail = innermostMessage(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused: nothing listens at that address and port (ECONNREFUSED)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name not found: the DNS lookup failed (${code})`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `timeout: the connection was not established in time (${code})`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `timeout: the server stopped answering (${code})`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `the server closed the connection (${code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `the host cannot be reached from here (${code})`;
    default:
      if (code && /CERT|TLS|SSL|EPROTO|UNABLE_TO_/.test(code)) {
        return `TLS failed: ${detail} (${code}); the server's certificate is not trusted or does not match the host`;
      }
      return code ? `${detail} (${code})` : detail;
  }
}

/** A base URL as it may appear in a message: origin and path, never user info or query. */
export function safeBaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(an invalid URL)';
  }
}

function codeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      return code;
    }
  }
  return undefined;
}

/** The socket's own message, with any user info of a URL in it taken out. */
function innermostMessage(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof Error && e.message) {
      message = e.message;
    }
  }
  return message.replace(/\/\/[^/@\s]*@/g, '//');
}
