import * as os from 'node:os';
import * as path from 'node:path';

/** Where `test/e2e/setup-code-server.sh` installs code-server; the same env override and default as the script. */
export const codeServerInstallDir =
  process.env.SIMILAR_SENTENCES_E2E_CACHE ?? path.join(os.homedir(), '.cache', 'similar-sentences-e2e', 'code-server');

export const codeServerBin = path.join(codeServerInstallDir, 'node_modules', '.bin', 'code-server');

/** Debian's chromium: playwright's own browser downloads cannot reach the internet from these machines. */
export const chromiumBin = '/usr/bin/chromium';

/** Repository root, from out/test/e2e/harness/ after tsc. */
export const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');
