// The admin token (FMNIST_ADMIN_TOKEN) this browser sends with every tRPC request, kept in
// localStorage so it is asked for once. Reads are open; only mutations check it on the server.
const KEY = "fmnist-admin-token";

export function getAdminToken(): string | null {
  if (typeof window === "undefined") return null;
  try {
    return window.localStorage.getItem(KEY);
  } catch {
    return null; // storage disabled: no token, the server answers 401 and the UI asks again
  }
}

export function setAdminToken(token: string | null): void {
  try {
    if (token) window.localStorage.setItem(KEY, token);
    else window.localStorage.removeItem(KEY);
  } catch {
    // storage disabled: nothing to keep
  }
}

/** The Authorization header for a request, when a token is stored. */
export function adminAuthHeader(): Record<string, string> {
  const token = getAdminToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}
