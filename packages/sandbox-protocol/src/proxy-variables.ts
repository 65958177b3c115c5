/** HTTP(S)_PROXY, ALL_PROXY and their lower-case twins for a proxy at `proxyUrl`; loopback goes direct. */
export function proxyVariables(proxyUrl: string): Record<string, string> {
  const noProxy = 'localhost,127.0.0.1,::1';
  const variables: Record<string, string> = {};
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY']) {
    variables[name] = proxyUrl;
    variables[name.toLowerCase()] = proxyUrl;
  }
  variables.NO_PROXY = noProxy;
  variables.no_proxy = noProxy;
  return variables;
}
