import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

/** What `stratus login` remembers. */
export interface StoredConfig {
  baseUrl: string;
  token: string;
}

/** `$XDG_CONFIG_HOME/stratus/config.json`, or `~/.config/stratus/config.json` when XDG_CONFIG_HOME is unset. */
export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(homedir(), '.config');
  return path.join(base, 'stratus', 'config.json');
}

export async function readConfig(env: NodeJS.ProcessEnv): Promise<Partial<StoredConfig>> {
  let text: string;
  try {
    text = await readFile(configPath(env), 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return {
      ...(typeof parsed.baseUrl === 'string' ? { baseUrl: parsed.baseUrl } : {}),
      ...(typeof parsed.token === 'string' ? { token: parsed.token } : {}),
    };
  } catch {
    throw new Error(`${configPath(env)} is not valid JSON: run \`stratus login\` again.`);
  }
}

/** Writes the file readable by its owner only (0600, in a 0700 folder): it holds a token. */
export async function writeConfig(env: NodeJS.ProcessEnv, config: StoredConfig): Promise<string> {
  const file = configPath(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  // The mode given to writeFile is masked by the umask; chmod makes it exact.
  await chmod(temporary, 0o600);
  await rename(temporary, file);
  return file;
}
