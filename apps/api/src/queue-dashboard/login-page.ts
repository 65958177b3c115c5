import { DASHBOARD_PATH } from './admin-session';

/** The page's own style is inline; it loads nothing and posts only to itself. */
export const LOGIN_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The login form of the queue dashboard: an admin token in, a session cookie out. */
export const LOGIN_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stratus queues: log in</title>
<style>
  body { font: 16px system-ui, sans-serif; max-width: 28rem; margin: 4rem auto; padding: 0 1rem; color: #1f2933; }
  label, input, button { display: block; width: 100%; box-sizing: border-box; }
  input { margin: 0.5rem 0 1rem; padding: 0.5rem; font: inherit; }
  button { padding: 0.5rem; font: inherit; cursor: pointer; }
  p { color: #52606d; font-size: 0.9rem; }
</style>
</head>
<body>
<h1>Stratus queues</h1>
<form method="post" action="${DASHBOARD_PATH}/login">
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="off" required autofocus>
  <button type="submit">Log in</button>
</form>
<p>A token with the <code>admin</code> scope: <code>./stratus tokens create --workspace WORKSPACE_ID --scope admin</code>.</p>
</body>
</html>
`;
